/*-------------------------------------------------------------------------
 *
 * src/schedexec.c
 *		The scheduler's two bulk statements, run from C with kept plans.
 *
 * enrol_insert: one enrolment batch of a launch.  A launch copies a
 * dataset's reachable leads into campaign_lead, up to a million rows in
 * batches of campaigns.launch_batch_size.  Inserted the ordinary way, every
 * row queues the foreign-key check of campaign_id, and at the end of the
 * statement each check runs a query of its own against campaign: a third of
 * the enrolment's time, to confirm fifty thousand times that the one
 * campaign the batch belongs to exists.  enrol_insert confirms it once
 * instead: it locks the campaign row (FOR KEY SHARE, the lock the check
 * would take; the launch and tick already hold FOR UPDATE) and takes
 * campaign_id and user_id of every inserted row from that locked row, so each
 * row references an existing campaign that cannot go away before the
 * transaction ends.  The insert itself runs with session_replication_role =
 * replica, which skips the per-row check (and would skip any other ordinary
 * trigger on campaign_lead; it has no insert trigger).  The foreign key stays
 * declared: every other path that writes campaign_lead (and a campaign's
 * deletion, which cascades) is checked by it as before.  Row-level security,
 * CHECK constraints and the unique indexes apply to the insert as usual.
 * Leads on the user's suppression list are left out (a second plan, used
 * only when the list is not empty).
 *
 * queue_pass: the pacing pass of tick (_queue_pass_sql).  Its CTEs are
 * joined to each other; planned for a guessed 10 due campaigns (a generic
 * plan) it joins them with nested loops, which is quadratic in the number
 * due.  It keeps two plans of the statement, one always planned for the
 * call's values (CURSOR_OPT_CUSTOM_PLAN) for many campaigns, one generic
 * (planned once) for a few; plan_cache_mode could not make that choice for
 * this statement alone.  With many campaigns the pass also skips the two
 * per-row foreign-key checks of each queued action (campaign_id: the caller
 * holds every due campaign's row FOR UPDATE; campaign_lead_id: the same
 * statement updates that lead row, and queue_pass refuses the pass when
 * fewer leads were updated than actions queued, i.e. a lead row was deleted
 * under it).  Skipping ordinary triggers also skips the statement triggers
 * that wake the worker on commit, so queue_pass asks for that wake-up
 * itself.  Switching session_replication_role discards the session's cached
 * plans, so a pass over a few campaigns (generic plan, planned once) keeps
 * the checks.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "commands/trigger.h"
#include "utils/guc.h"
#include "parser/parse_func.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

#include "plans.h"

/* Kept plans, for the _enrol_insert they were made for (see campaign.c). */
static Oid	enrol_fn_oid = InvalidOid;
static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr insert_supp_plan = NULL;	/* the same, skipping suppressed leads */

/* One enrolment batch; %1$s the schema, %2$s an extra condition on l. */
static const char enrol_insert_sql[] =
"INSERT INTO %1$s.campaign_lead"
" (campaign_lead_id, user_id, campaign_id, lead_id, status, current_step,"
"  next_step, next_channel, eligible_at, enrolled_at)"
" SELECT %1$s._uuid_ordered(), $2, $1, l.lead_id, 'pending', 0, $6, $7, $8, $9"
"   FROM %1$s.lead l"
"  WHERE l.dataset_id = $3 AND l.user_id = $2 AND l.lead_id > $4"
"    AND ($10 & 1 = 0 OR nullif(btrim(l.email), '') IS NOT NULL)"
"    AND ($10 & 2 = 0 OR nullif(btrim(l.linkedin_url), '') IS NOT NULL)"
"    %2$s"
"  ORDER BY l.lead_id"
"  LIMIT $5"
" RETURNING lead_id";

/* The lead is not on the user's suppression list ($2 the user). */
static const char enrol_unsuppressed_sql[] =
"AND NOT EXISTS (SELECT 1 FROM %1$s.suppression s WHERE s.user_id = $2"
"      AND s.kind = 'email' AND s.value = %1$s._suppression_value('email', l.email)"
"     UNION ALL"
"     SELECT 1 FROM %1$s.suppression s WHERE s.user_id = $2"
"      AND s.kind = 'domain' AND s.value = %1$s._email_domain(l.email)"
"     UNION ALL"
"     SELECT 1 FROM %1$s.suppression s WHERE s.user_id = $2"
"      AND s.kind = 'linkedin_url' AND s.value = %1$s._suppression_value('linkedin_url', l.linkedin_url))";

/*
 * EnrolPrepare prepares the campaign lock and the batch insert for the
 * extension's schema, once per backend (again after the extension was
 * dropped and created anew).
 */
static void
EnrolPrepare(Oid fn_oid)
{
	char	   *nsp = get_namespace_name(get_func_namespace(fn_oid));
	const char *q;
	Oid			lock_args[1] = {UUIDOID};
	Oid			insert_args[10] = {UUIDOID, UUIDOID, UUIDOID, UUIDOID, INT4OID,
	INT4OID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID};

	if (enrol_fn_oid == fn_oid && lock_plan != NULL && insert_plan != NULL &&
		insert_supp_plan != NULL)
		return;
	if (nsp == NULL)
		elog(ERROR, "schema of _enrol_insert not found");
	q = quote_identifier(nsp);
	if (lock_plan != NULL)
		SPI_freeplan(lock_plan);
	if (insert_plan != NULL)
		SPI_freeplan(insert_plan);
	if (insert_supp_plan != NULL)
		SPI_freeplan(insert_supp_plan);
	lock_plan = insert_plan = insert_supp_plan = NULL;

	/* (and whether the user's suppression list has any entry) */
	lock_plan = KeepPlan(psprintf("SELECT c.user_id, c.dataset_id,"
								  " EXISTS (SELECT 1 FROM %1$s.suppression s WHERE s.user_id = c.user_id)"
								  " FROM %1$s.campaign c"
								  " WHERE c.campaign_id = $1 FOR KEY SHARE OF c", q),
						 1, lock_args, 0);

	/*
	 * $10: bit 1 = the steps need an email address, bit 2 = a linkedin_url.
	 * The leads are read in lead_id order after the cursor $4; RETURNING
	 * gives the last one read (the next batch's cursor).  A lead whose
	 * email, email domain or LinkedIn URL is on the user's suppression list
	 * is not enrolled (campaign_launch warns about it): that plan probes the
	 * list for each lead, so users with an empty list (most) get one
	 * without the probes.
	 */
	insert_plan = KeepPlan(psprintf(enrol_insert_sql, q, ""), 10, insert_args, 0);
	insert_supp_plan = KeepPlan(psprintf(enrol_insert_sql, q, psprintf(enrol_unsuppressed_sql, q)),
								10, insert_args, 0);
	enrol_fn_oid = fn_oid;
}

PG_FUNCTION_INFO_V1(enrol_insert);

/*
 * enrol_insert(campaign_id, after_lead, batch, first_step, first_channel,
 * first_eligible, enrolled_at, needs_email, needs_linkedin) enrols up to
 * batch reachable leads of the campaign's dataset whose lead_id follows
 * after_lead (null: from the start), as pending leads of first_step.
 * Returns (n, last_lead_id): how many were enrolled and the greatest lead_id
 * among them (null when none).  A campaign the caller cannot see enrols
 * nothing.
 */
Datum
enrol_insert(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		lock_values[1];
	Datum		values[10];
	char		nulls[10];
	Datum		result[2];
	bool		result_null[2] = {false, true};
	pg_uuid_t  *last = NULL;
	int			nestlevel;
	int			ret;
	uint64		n = 0;
	bool		isnull;
	bool		has_suppressions;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "_enrol_insert must return a record");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("_enrol_insert: campaign_id and batch must not be null")));
	if (PG_GETARG_INT32(2) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("_enrol_insert: batch must not be negative")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	EnrolPrepare(fcinfo->flinfo->fn_oid);

	/* The campaign row, locked until the end of the transaction. */
	lock_values[0] = PG_GETARG_DATUM(0);
	ret = SPI_execute_plan(lock_plan, lock_values, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "enrolment lock failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 1)
	{
		static const pg_uuid_t nil;

		values[0] = PG_GETARG_DATUM(0);
		values[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		values[2] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		has_suppressions = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
		values[3] = PG_ARGISNULL(1) ? UUIDPGetDatum(&nil) : PG_GETARG_DATUM(1);
		for (i = 2; i <= 6; i++)
			values[i + 2] = PG_GETARG_DATUM(i);
		values[9] = Int32GetDatum((!PG_ARGISNULL(7) && PG_GETARG_BOOL(7) ? 1 : 0) |
								  (!PG_ARGISNULL(8) && PG_GETARG_BOOL(8) ? 2 : 0));
		for (i = 0; i < 10; i++)
			nulls[i] = ' ';
		for (i = 3; i <= 6; i++)
			if (PG_ARGISNULL(i))
				nulls[i + 2] = 'n';

		/*
		 * The row lock above stands in for the per-row foreign-key check:
		 * skip it for this one statement.  The nest level restores the
		 * setting, on error too.
		 */
		nestlevel = NewGUCNestLevel();
		(void) set_config_option("session_replication_role", "replica",
								 PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		ret = SPI_execute_plan(has_suppressions ? insert_supp_plan : insert_plan,
							   values, nulls, false, 0);
		AtEOXact_GUC(true, nestlevel);
		if (ret != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "enrolment insert failed: %s", SPI_result_code_string(ret));

		n = SPI_processed;
		for (i = 0; (uint64) i < n; i++)
		{
			pg_uuid_t  *id = DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 1, &isnull));

			if (last == NULL || memcmp(id->data, last->data, UUID_LEN) > 0)
				last = id;
		}
	}

	result[0] = Int32GetDatum((int32) n);
	if (last != NULL)
	{
		pg_uuid_t  *copy = SPI_palloc(sizeof(pg_uuid_t));

		memcpy(copy, last, sizeof(pg_uuid_t));
		result[1] = UUIDPGetDatum(copy);
		result_null[1] = false;
	}
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), result, result_null)));
}

/* Kept plans of the pacing pass, for the _queue_pass they were made for. */
static Oid	pass_fn_oid = InvalidOid;
static SPIPlanPtr pass_generic = NULL;
static SPIPlanPtr pass_custom = NULL;
static Oid	wake_fn = InvalidOid;

/*
 * PassPrepare reads the statement from _queue_pass_sql() and prepares its
 * two plans, once per backend (again after the extension was re-created).
 */
static void
PassPrepare(Oid fn_oid)
{
	char	   *nsp = get_namespace_name(get_func_namespace(fn_oid));
	Oid			args[2] = {TIMESTAMPTZOID, UUIDARRAYOID};
	Oid			sql_fn;
	char	   *sql;

	if (pass_fn_oid == fn_oid && pass_generic != NULL && pass_custom != NULL)
		return;
	if (nsp == NULL)
		elog(ERROR, "schema of _queue_pass not found");
	if (pass_generic != NULL)
		SPI_freeplan(pass_generic);
	if (pass_custom != NULL)
		SPI_freeplan(pass_custom);
	pass_generic = pass_custom = NULL;

	sql_fn = LookupFuncName(list_make2(makeString(nsp), makeString("_queue_pass_sql")), 0, NULL, false);
	wake_fn = LookupFuncName(list_make2(makeString(nsp), makeString("_wake_worker")), 0, NULL, false);
	sql = TextDatumGetCString(OidFunctionCall0(sql_fn));

	pass_generic = KeepPlan(sql, 2, args, CURSOR_OPT_GENERIC_PLAN);
	pass_custom = KeepPlan(sql, 2, args, CURSOR_OPT_CUSTOM_PLAN);
	pass_fn_oid = fn_oid;
}

PG_FUNCTION_INFO_V1(queue_pass);

/*
 * queue_pass(now, ids, custom_plan) runs the pacing pass at now for the due
 * campaigns ids (which the caller has locked), with a plan made for these
 * values when custom_plan, else with the generic plan.  Returns the number
 * of actions queued.
 */
Datum
queue_pass(PG_FUNCTION_ARGS)
{
	bool		custom = PG_GETARG_BOOL(2);
	Datum		values[2];
	bool		isnull;
	int32		queued,
				leads_updated;
	int			nestlevel = -1;
	int			ret;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("_queue_pass: arguments must not be null")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PassPrepare(fcinfo->flinfo->fn_oid);
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	if (custom && SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA)
	{
		nestlevel = NewGUCNestLevel();
		(void) set_config_option("session_replication_role", "replica",
								 PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
	ret = SPI_execute_plan(custom ? pass_custom : pass_generic, values, NULL, false, 0);
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pacing pass failed: %s", SPI_result_code_string(ret));
	queued = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	leads_updated = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (leads_updated != queued)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not queue actions: an enrolled lead was deleted concurrently"),
				 errdetail("%d actions were queued but %d of their leads were found.", queued, leads_updated),
				 errhint("The next tick retries.")));
	if (nestlevel >= 0)
		(void) OidFunctionCall0(wake_fn);
	SPI_finish();
	PG_RETURN_INT32(queued);
}
