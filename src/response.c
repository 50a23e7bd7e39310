/*-------------------------------------------------------------------------
 *
 * src/response.c
 *		The response body of a campaign (the seed's response model).
 *
 * Every campaign endpoint answers with this object, so it is built in C
 * from the row: the stored, already normalised steps_config is copied in
 * as a container rather than rebuilt, timestamps are written as RFC 3339 in
 * UTC ending in Z (fractional seconds only when there are any), and times
 * as HH:MM:SS.  Internal pacing columns never appear.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

typedef enum FieldKind
{
	FK_UUID,
	FK_TEXT,
	FK_INT,
	FK_TIME,
	FK_TIMESTAMPTZ,
	FK_TEXT_ARRAY,
	FK_JSONB
} FieldKind;

typedef struct ResponseField
{
	const char *key;			/* key in the response */
	const char *column;			/* column of campaigns.campaign */
	FieldKind	kind;
} ResponseField;

/* The seed's response model, field by field. */
static const ResponseField campaign_fields[] = {
	{"campaign_id", "campaign_id", FK_UUID},
	{"user_id", "user_id", FK_UUID},
	{"dataset_id", "dataset_id", FK_UUID},
	{"name", "name", FK_TEXT},
	{"type", "type", FK_TEXT},
	{"status", "status", FK_TEXT},
	{"launch_type", "launch_type", FK_TEXT},
	{"daily_limit", "daily_limit", FK_INT},
	{"sending_window_start", "sending_window_start", FK_TIME},
	{"sending_window_end", "sending_window_end", FK_TIME},
	{"min_interval_seconds", "min_interval_seconds", FK_INT},
	{"timezone", "timezone", FK_TEXT},
	{"steps_config", "steps_config", FK_JSONB},
	{"send_days", "send_days", FK_TEXT_ARRAY},
	{"created_at", "created_at", FK_TIMESTAMPTZ},
	{"updated_at", "updated_at", FK_TIMESTAMPTZ},
	{"description", "description", FK_TEXT},
	{"start_date", "start_date", FK_TIMESTAMPTZ},
	{"alias_ids", "alias_ids", FK_TEXT_ARRAY},
	{"connected_account_id", "connected_account_id", FK_UUID},
	{"total_leads", "total_leads", FK_INT},
	{"processed_leads", "processed_leads", FK_INT},
	{"launch_job_id", "launch_job_id", FK_TEXT},
	{"launch_requested_at", "launch_requested_at", FK_TIMESTAMPTZ},
	{"launch_error", "launch_error", FK_TEXT},
	{"system_prompt", "system_prompt", FK_TEXT},
	{"unreviewed_launch_policy", "unreviewed_launch_policy", FK_TEXT},
	{"paused_reason", "paused_reason", FK_TEXT},
	{"playground_discovery_dismissed_at", "playground_discovery_dismissed_at", FK_TIMESTAMPTZ},
	/* deliverability (SPEC §11) */
	{"stop_on_reply", "stop_on_reply", FK_TEXT},
	{"max_bounce_rate", "max_bounce_rate", FK_INT},
	{"bounce_window", "bounce_window", FK_INT},
};

static void
PushKey(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
}

static void
PushString(JsonbParseState **state, JsonbIteratorToken tok, char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = s;
	v.val.string.len = strlen(s);
	pushJsonbValue(state, tok, &v);
}

/*
 * Rfc3339Utc writes a timestamptz as YYYY-MM-DDTHH:MM:SS[.ffffff]Z, the
 * same text _ts() gives in SQL.
 */
static char *
Rfc3339Utc(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts))
		return pstrdup(TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity");
	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	if (fsec != 0)
		return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year, tm.tm_mon,
						tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
PushField(JsonbParseState **state, FieldKind kind, Datum d)
{
	JsonbValue	v;

	switch (kind)
	{
		case FK_UUID:
			PushString(state, WJB_VALUE, DatumGetCString(DirectFunctionCall1(uuid_out, d)));
			break;
		case FK_TEXT:
			PushString(state, WJB_VALUE, TextDatumGetCString(d));
			break;
		case FK_INT:
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int4_numeric, d));
			pushJsonbValue(state, WJB_VALUE, &v);
			break;
		case FK_TIME:
			PushString(state, WJB_VALUE, DatumGetCString(DirectFunctionCall1(time_out, d)));
			break;
		case FK_TIMESTAMPTZ:
			PushString(state, WJB_VALUE, Rfc3339Utc(DatumGetTimestampTz(d)));
			break;
		case FK_TEXT_ARRAY:
			{
				ArrayType  *arr = DatumGetArrayTypeP(d);
				Datum	   *elems;
				bool	   *nulls;
				int			n;

				deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
				pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
				for (int i = 0; i < n; i++)
				{
					if (nulls[i])
					{
						v.type = jbvNull;
						pushJsonbValue(state, WJB_ELEM, &v);
					}
					else
						PushString(state, WJB_ELEM, TextDatumGetCString(elems[i]));
				}
				pushJsonbValue(state, WJB_END_ARRAY, NULL);
				break;
			}
		case FK_JSONB:
			{
				Jsonb	   *j = DatumGetJsonbP(d);

				v.type = jbvBinary;
				v.val.binary.data = &j->root;
				v.val.binary.len = VARSIZE(j) - VARHDRSZ;
				pushJsonbValue(state, WJB_VALUE, &v);
				break;
			}
	}
}

PG_FUNCTION_INFO_V1(campaign_json);

/*
 * campaign_json(campaigns.campaign) returns the response body of a
 * campaign row.
 */
Datum
campaign_json(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
	Oid			tupType = HeapTupleHeaderGetTypeId(row);
	int32		tupTypmod = HeapTupleHeaderGetTypMod(row);
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(tupType, tupTypmod);
	HeapTupleData tuple;
	JsonbParseState *state = NULL;
	JsonbValue *res;

	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&(tuple.t_self));
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (size_t i = 0; i < lengthof(campaign_fields); i++)
	{
		const ResponseField *f = &campaign_fields[i];
		int			attnum = InvalidAttrNumber;
		bool		isnull;
		Datum		d;

		for (int a = 0; a < tupdesc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), f->column) == 0)
			{
				attnum = a + 1;
				break;
			}
		}
		if (attnum == InvalidAttrNumber)
			elog(ERROR, "campaign row has no column \"%s\"", f->column);

		PushKey(&state, f->key);
		d = heap_getattr(&tuple, attnum, tupdesc, &isnull);
		if (isnull)
		{
			JsonbValue	v;

			v.type = jbvNull;
			pushJsonbValue(&state, WJB_VALUE, &v);
		}
		else
			PushField(&state, f->kind, d);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	ReleaseTupleDesc(tupdesc);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}
