/*-------------------------------------------------------------------------
 *
 * src/campaign.c
 *		campaign_create: validate, insert, answer, without a PL/pgSQL layer.
 *
 * POST /campaigns/ is the hottest write of the API.  The C validator
 * (validate.c) normalises the body; one kept plan inserts the row and
 * returns its response body (response.c) in the same statement.  Running
 * it from C rather than PL/pgSQL saves the per-transaction set-up of a
 * PL/pgSQL function's expressions, which cost more than the insert itself.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "parser/parse_func.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

#include "plans.h"
#include "models.h"
#include "validate.h"

/*
 * Kept plans, valid for the campaign_create they were made for: a dropped
 * and re-created extension has a new campaign_create (its schema may keep
 * its OID), so the cache is keyed on the function's own OID.
 */
static Oid	cached_fn_oid = InvalidOid;
static Oid	current_user_fn = InvalidOid;
static SPIPlanPtr insert_plan = NULL;

/*
 * PrepareForSchema looks up current_user_id() and prepares the insert for
 * the extension's schema, once per backend (again if the extension was
 * dropped and created anew).
 */
static void
PrepareForSchema(Oid fn_oid, Oid nspid)
{
	char	   *nsp;
	char	   *sql;
	Oid			argtypes[2] = {JSONBOID, UUIDOID};

	if (cached_fn_oid == fn_oid && insert_plan != NULL)
		return;
	if (insert_plan != NULL)
	{
		SPI_freeplan(insert_plan);
		insert_plan = NULL;
	}
	nsp = get_namespace_name(nspid);
	if (nsp == NULL)
		elog(ERROR, "schema of campaign_create not found");
	current_user_fn = LookupFuncName(list_make2(makeString(nsp), makeString("current_user_id")),
									 0, NULL, false);
	sql = psprintf("INSERT INTO %1$s.campaign AS c ("
				   " user_id, dataset_id, name, description, type, launch_type, start_date,"
				   " daily_limit, sending_window_start, sending_window_end, min_interval_seconds,"
				   " timezone, send_days, steps_config, alias_ids, connected_account_id,"
				   " system_prompt, unreviewed_launch_policy, stop_on_reply, max_bounce_rate, bounce_window)"
				   " VALUES ($2, ($1->>'dataset_id')::uuid, $1->>'name', $1->>'description', $1->>'type',"
				   " $1->>'launch_type', ($1->>'start_date')::timestamptz, ($1->>'daily_limit')::int,"
				   " ($1->>'sending_window_start')::time, ($1->>'sending_window_end')::time,"
				   " ($1->>'min_interval_seconds')::int, $1->>'timezone',"
				   " ARRAY(SELECT jsonb_array_elements_text($1->'send_days')), $1->'steps',"
				   " CASE WHEN jsonb_typeof($1->'alias_ids') = 'array'"
				   "      THEN ARRAY(SELECT jsonb_array_elements_text($1->'alias_ids')) END,"
				   " ($1->>'connected_account_id')::uuid, $1->>'system_prompt',"
				   " $1->>'unreviewed_launch_policy', $1->>'stop_on_reply', ($1->>'max_bounce_rate')::int,"
				   " ($1->>'bounce_window')::int)"
				   " RETURNING %1$s._campaign_json(c)",
				   quote_identifier(nsp));
	insert_plan = KeepPlan(sql, 2, argtypes, 0);
	cached_fn_oid = fn_oid;
}

PG_FUNCTION_INFO_V1(campaign_create);

/*
 * campaign_create(body jsonb) takes exactly the HTTP request body and
 * returns exactly the response body of a new draft campaign; a body that
 * breaks any rule raises 22023 with every violation and writes nothing.
 */
Datum
campaign_create(PG_FUNCTION_ARGS)
{
	Jsonb	   *body = PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0);
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	Datum		uid;
	Jsonb	   *normalised;
	Datum		values[2];
	bool		isnull;
	Datum		result;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PrepareForSchema(fcinfo->flinfo->fn_oid, nspid);
	/* 28000 when no user is authenticated, before anything is looked at. */
	uid = OidFunctionCall0(current_user_fn);
	normalised = CampaignValidate(body, &CampaignCreate, DatumGetUUIDP(uid), true, nspid);

	values[0] = JsonbPGetDatum(normalised);
	values[1] = uid;
	ret = SPI_execute_plan(insert_plan, values, NULL, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "campaign insert failed: %s", SPI_result_code_string(ret));
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "campaign insert returned no response body");
	result = SPI_datumTransfer(result, false, -1);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
