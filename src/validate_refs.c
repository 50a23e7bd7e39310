/*-------------------------------------------------------------------------
 *
 * src/validate_refs.c
 *		The objects a campaign body names must be the caller's (phase 3 of
 *		validate_campaign.c).
 *
 * One SPI query per kind of object (dataset, template, sender profile,
 * email alias, connected account), with all the keys of that kind at once,
 * always restricted to the caller's user_id, so that another user's object
 * looks exactly like a missing one, even to a superuser.  A value that
 * failed its format check is never looked up.  The queries are prepared
 * once per backend (KeepPlan).
 *
 *-------------------------------------------------------------------------
 */
#include "validate_campaign.h"

#include "plans.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

/* Plans kept for the backend's life, for the extension schema plans_nsp. */
static Oid	plans_nsp = InvalidOid;
static SPIPlanPtr plan_dataset = NULL;
static SPIPlanPtr plan_template = NULL;
static SPIPlanPtr plan_sender = NULL;
static SPIPlanPtr plan_alias = NULL;
static SPIPlanPtr plan_account = NULL;

/*
 * PreparePlans prepares the lookup queries once per backend (again if the
 * extension was re-created in another schema).  Every query is restricted to
 * the caller's user_id, uses generic plans (no replanning per backend) and
 * names its operators so that search_path cannot redirect them.
 */
static void
PreparePlans(Oid nspid)
{
	const char *nsp;
	Oid			uuid_args[2] = {UUIDOID, UUIDARRAYOID};
	Oid			text_args[2] = {UUIDOID, TEXTARRAYOID};
	SPIPlanPtr *plans[5] = {&plan_dataset, &plan_template, &plan_sender, &plan_alias, &plan_account};

	if (plans_nsp == nspid && plan_dataset != NULL)
		return;
	plans_nsp = InvalidOid;
	for (int i = 0; i < 5; i++)
	{
		if (*plans[i] != NULL)
			SPI_freeplan(*plans[i]);
		*plans[i] = NULL;
	}

	nsp = quote_identifier(get_namespace_name(nspid));
#define PREP(plan, sql, args) \
	((plan) = KeepPlan(psprintf(sql, nsp), 2, args, CURSOR_OPT_GENERIC_PLAN))
	PREP(plan_template,
		 "SELECT template_id, channel FROM %s.template WHERE user_id OPERATOR(pg_catalog.=) $1 AND template_id OPERATOR(pg_catalog.=) ANY($2)",
		 uuid_args);
	PREP(plan_sender,
		 "SELECT sender_profile_id FROM %s.sender_profile WHERE user_id OPERATOR(pg_catalog.=) $1 AND sender_profile_id OPERATOR(pg_catalog.=) ANY($2)",
		 uuid_args);
	PREP(plan_alias,
		 "SELECT alias_id FROM %s.email_alias WHERE user_id OPERATOR(pg_catalog.=) $1 AND alias_id OPERATOR(pg_catalog.=) ANY($2)",
		 text_args);
	PREP(plan_account,
		 "SELECT connected_account_id FROM %s.connected_account WHERE user_id OPERATOR(pg_catalog.=) $1 AND connected_account_id OPERATOR(pg_catalog.=) ANY($2)",
		 uuid_args);
	PREP(plan_dataset,
		 "SELECT dataset_id FROM %s.dataset WHERE user_id OPERATOR(pg_catalog.=) $1 AND dataset_id OPERATOR(pg_catalog.=) ANY($2)",
		 uuid_args);
#undef PREP
	plans_nsp = nspid;
}

/* RunLookup executes plan for user_id and an array of keys. */
static void
RunLookup(SPIPlanPtr plan, pg_uuid_t *user_id, Datum *keys, int nkeys, Oid elemtype)
{
	Datum		values[2];
	ArrayType  *arr;
	int			rc;

	if (elemtype == UUIDOID)
		arr = construct_array(keys, nkeys, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
	else
		arr = construct_array(keys, nkeys, TEXTOID, -1, false, TYPALIGN_INT);
	values[0] = UUIDPGetDatum(user_id);
	values[1] = PointerGetDatum(arr);
	rc = SPI_execute_plan(plan, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "lookup failed: %s", SPI_result_code_string(rc));
}

static pg_uuid_t *
ResultUuid(uint64 row)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull);

	return isnull ? NULL : DatumGetUUIDP(d);
}

/* MarkVariants records id as found for every variant naming it in field. */
static void
MarkVariants(CampaignCheck *cc, int field, const pg_uuid_t *id, int channel)
{
	for (int v = 0; v < cc->nvariants; v++)
	{
		FieldValue *fv = FIELD(cc->variant[v], field);

		if (fv->fs != FS_OK || memcmp(fv->uuid.data, id->data, UUID_LEN) != 0)
			continue;
		if (field == VR_TEMPLATE_ID)
			cc->template_channel[v] = channel;
		else
			cc->sender_found[v] = true;
	}
}

/*
 * LookUp runs phase 3's queries: one per kind of object, all the keys of
 * that kind at once; it records what was found in cc.
 */
static void
LookUp(CampaignCheck *cc, pg_uuid_t *user_id, Oid nspid, bool *dataset_found, bool *account_found)
{
	ModelValue *b = cc->body;
	FieldValue *dataset = FIELD(b, CF_DATASET_ID);
	FieldValue *aliases = FIELD(b, CF_ALIAS_IDS);
	FieldValue *account = FIELD(b, CF_CONNECTED_ACCOUNT_ID);
	Datum		tkeys[50];
	Datum		skeys[50];
	Datum	   *akeys = palloc(sizeof(Datum) * Max(aliases->n, 1));
	int			ntemplates = 0,
				nsenders = 0,
				naliases = 0;

	for (int v = 0; v < cc->nvariants; v++)
	{
		FieldValue *tmpl = FIELD(cc->variant[v], VR_TEMPLATE_ID);
		FieldValue *sender = FIELD(cc->variant[v], VR_SENDER_PROFILE_ID);

		if (tmpl->fs == FS_OK)
			tkeys[ntemplates++] = UUIDPGetDatum(&tmpl->uuid);
		if (sender->fs == FS_OK)
			skeys[nsenders++] = UUIDPGetDatum(&sender->uuid);
	}
	for (int i = 0; aliases->fs == FS_OK && i < aliases->n; i++)
		if (aliases->items[i].fs == FS_OK)
			akeys[naliases++] = PointerGetDatum(cstring_to_text_with_len(aliases->items[i].s,
																		 aliases->items[i].len));
	if (dataset->fs != FS_OK && ntemplates == 0 && nsenders == 0 && naliases == 0 &&
		account->fs != FS_OK)
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PreparePlans(nspid);
	if (dataset->fs == FS_OK)
	{
		Datum		key = UUIDPGetDatum(&dataset->uuid);

		RunLookup(plan_dataset, user_id, &key, 1, UUIDOID);
		*dataset_found = SPI_processed > 0;
	}
	if (ntemplates > 0)
	{
		RunLookup(plan_template, user_id, tkeys, ntemplates, UUIDOID);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			pg_uuid_t  *id = ResultUuid(r);
			char	   *channel = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);

			if (id != NULL)
				MarkVariants(cc, VR_TEMPLATE_ID, id,
							 (channel && strcmp(channel, "linkedin") == 0) ? CH_LINKEDIN : CH_EMAIL);
		}
	}
	if (nsenders > 0)
	{
		RunLookup(plan_sender, user_id, skeys, nsenders, UUIDOID);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			pg_uuid_t  *id = ResultUuid(r);

			if (id != NULL)
				MarkVariants(cc, VR_SENDER_PROFILE_ID, id, 0);
		}
	}
	if (naliases > 0)
	{
		RunLookup(plan_alias, user_id, akeys, naliases, TEXTOID);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
			text	   *t;

			if (isnull)
				continue;
			t = DatumGetTextPP(d);
			for (int i = 0; i < aliases->n; i++)
				if (aliases->items[i].fs == FS_OK &&
					aliases->items[i].len == (int) VARSIZE_ANY_EXHDR(t) &&
					memcmp(aliases->items[i].s, VARDATA_ANY(t), aliases->items[i].len) == 0)
					cc->alias_found[i] = true;
		}
	}
	if (account->fs == FS_OK)
	{
		Datum		key = UUIDPGetDatum(&account->uuid);

		RunLookup(plan_account, user_id, &key, 1, UUIDOID);
		*account_found = SPI_processed > 0;
	}
	SPI_finish();
}

/*
 * CheckCampaignReferences runs phase 3: the objects the body names must be
 * the caller's; what is not found is reported in field order.
 */
void
CheckCampaignReferences(Validation *vs, CampaignCheck *cc, const Loc *body, pg_uuid_t *user_id, Oid nspid)
{
	ModelValue *b = cc->body;
	FieldValue *aliases = FIELD(b, CF_ALIAS_IDS);
	bool		dataset_found = false;
	bool		account_found = false;
	Loc			ls = LocKey(body, "steps");
	Loc			l;

	LookUp(cc, user_id, nspid, &dataset_found, &account_found);

	if (FIELD(b, CF_DATASET_ID)->fs == FS_OK && !dataset_found)
	{
		l = LocKey(body, "dataset_id");
		AddError(vs, &l, "value_error", "Value error, dataset not found");
	}
	for (int v = 0; v < cc->nvariants; v++)
	{
		int			i = cc->variant_step[v];
		int			ch = cc->template_channel[v];
		Loc			li = LocIndex(&ls, i);
		Loc			lv = LocKey(&li, "variants");
		Loc			lj = LocIndex(&lv, cc->variant_index[v]);

		if (FIELD(cc->variant[v], VR_TEMPLATE_ID)->fs == FS_OK)
		{
			l = LocKey(&lj, "template_id");
			if (ch == CH_NONE)
				AddError(vs, &l, "value_error", "Value error, template not found");
			else if (cc->channel[i] != CH_NONE && ch != cc->channel[i])
				AddErrorf(vs, &l, "value_error",
						  "Value error, template channel '%s' does not match the step's channel '%s'",
						  channel_names[ch], channel_names[cc->channel[i]]);
		}
		if (FIELD(cc->variant[v], VR_SENDER_PROFILE_ID)->fs == FS_OK && !cc->sender_found[v])
		{
			l = LocKey(&lj, "sender_profile_id");
			AddError(vs, &l, "value_error", "Value error, sender profile not found");
		}
	}
	for (int i = 0; aliases->fs == FS_OK && i < aliases->n; i++)
	{
		if (aliases->items[i].fs == FS_OK && !cc->alias_found[i])
		{
			Loc			la = LocKey(body, "alias_ids");

			l = LocIndex(&la, i);
			AddErrorf(vs, &l, "value_error", "Value error, alias \"%s\" not found",
					  pnstrdup(aliases->items[i].s, Min(aliases->items[i].len, 100)));
		}
	}
	if (FIELD(b, CF_CONNECTED_ACCOUNT_ID)->fs == FS_OK && !account_found)
	{
		l = LocKey(body, "connected_account_id");
		AddError(vs, &l, "value_error", "Value error, connected account not found");
	}
}
