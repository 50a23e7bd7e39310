/*-------------------------------------------------------------------------
 *
 * src/response.c
 *		The response body of a campaign (the seed's response model).
 *
 * Every campaign endpoint answers with this object, so it is built in C
 * from the row, field by field of CampaignResponse (models_response.c): the stored, already normalised steps_config is copied in
 * as a container rather than rebuilt, timestamps are written as RFC 3339 in
 * UTC ending in Z (fractional seconds only when there are any), and times
 * as HH:MM:SS.  Internal pacing columns never appear.
 *
 *-------------------------------------------------------------------------
 */
#include "models.h"

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

/* How a column of campaigns.campaign becomes a JSON value. */
typedef enum ColumnKind
{
	CK_UUID,
	CK_TEXT,
	CK_INT,
	CK_TIME,
	CK_TIMESTAMPTZ,
	CK_TEXT_ARRAY,
	CK_JSONB
} ColumnKind;

/*
 * KindOf: the column behind a field of CampaignResponse, by what the field
 * holds (each field is the column of the same name).
 */
static ColumnKind
KindOf(const ModelField *f)
{
	if (f->kind == VK_INTEGER)
		return CK_INT;
	if (f->kind == VK_ARRAY)
		return f->items->kind == VK_MODEL ? CK_JSONB : CK_TEXT_ARRAY;
	switch (f->format)
	{
		case VF_UUID:
			return CK_UUID;
		case VF_TIME:
		case VF_TIME_END:
			return CK_TIME;
		case VF_DATETIME:
			return CK_TIMESTAMPTZ;
		default:
			return CK_TEXT;
	}
}

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
PushField(JsonbParseState **state, ColumnKind kind, Datum d)
{
	JsonbValue	v;

	switch (kind)
	{
		case CK_UUID:
			PushString(state, WJB_VALUE, DatumGetCString(DirectFunctionCall1(uuid_out, d)));
			break;
		case CK_TEXT:
			PushString(state, WJB_VALUE, TextDatumGetCString(d));
			break;
		case CK_INT:
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int4_numeric, d));
			pushJsonbValue(state, WJB_VALUE, &v);
			break;
		case CK_TIME:
			PushString(state, WJB_VALUE, DatumGetCString(DirectFunctionCall1(time_out, d)));
			break;
		case CK_TIMESTAMPTZ:
			PushString(state, WJB_VALUE, Rfc3339Utc(DatumGetTimestampTz(d)));
			break;
		case CK_TEXT_ARRAY:
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
		case CK_JSONB:
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
	for (int i = 0; i < CampaignResponse.nfields; i++)
	{
		const ModelField *f = &CampaignResponse.fields[i];
		int			attnum = InvalidAttrNumber;
		bool		isnull;
		Datum		d;

		for (int a = 0; a < tupdesc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), f->name) == 0)
			{
				attnum = a + 1;
				break;
			}
		}
		if (attnum == InvalidAttrNumber)
			elog(ERROR, "campaign row has no column \"%s\"", f->name);

		PushKey(&state, f->name);
		d = heap_getattr(&tuple, attnum, tupdesc, &isnull);
		if (isnull)
		{
			JsonbValue	v;

			v.type = jbvNull;
			pushJsonbValue(&state, WJB_VALUE, &v);
		}
		else
			PushField(&state, KindOf(f), d);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	ReleaseTupleDesc(tupdesc);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}
