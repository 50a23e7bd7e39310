/*-------------------------------------------------------------------------
 *
 * src/dispatch_claim.c
 *		The dispatcher's PostgreSQL side: the outcome policy, the claim's
 *		rows and the JSON body of each request.
 *
 * dispatch.c drives curl and the worker's passes; what it sends and how it
 * judges an answer is decided here, in code that never touches curl:
 * DispatchClassify and DispatchBackoffMs (the outcome policy, also exposed
 * to SQL for tests), the rendering wrapper of request templates, and the
 * claim: each row of campaigns._dispatch_claim_rows is deformed once
 * (ClaimRowRead) and its request body written in one pass
 * (DispatchBuildBody), byte for byte what json_build_object would write.
 * The auth header of a request is decrypted here too (DispatchAuthHeader),
 * in the worker's main thread.  campaigns._dispatch_claim runs the same
 * claim for tests and tools, with the auth header's value redacted.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "dispatch.h"
#include "dispatch_claim.h"
#include "outbound.h"
#include "render.h"
#include "secrets.h"

PG_FUNCTION_INFO_V1(campaigns_dispatch_classify);
PG_FUNCTION_INFO_V1(campaigns_dispatch_backoff_ms);
PG_FUNCTION_INFO_V1(campaigns_dispatch_render);
PG_FUNCTION_INFO_V1(campaigns_dispatch_claim);

/* render.c's SQL function; called after checking the syntax ourselves. */
extern Datum render_template(PG_FUNCTION_ARGS);

/*
 * DispatchClassify maps an HTTP status (or a transport error: timeout,
 * refused or reset connection, no endpoint) to an outcome.
 */
const char *
DispatchClassify(long http_status, bool transport_error)
{
	if (transport_error)
		return "retry";
	if (http_status >= 200 && http_status <= 299)
		return "sent";
	if (http_status == 429 || (http_status >= 500 && http_status <= 599))
		return "retry";
	return "failed";
}

/*
 * DispatchBackoffMs is the delay before retrying after the given attempt:
 * the server's Retry-After when it sent one, else base * 2^(attempt-1)
 * capped at campaigns.retry_max_ms, of which the upper half is jittered
 * ("equal jitter"): jitter in [0, 1) picks the point.
 */
int64
DispatchBackoffMs(int attempt, int64 retry_after_ms, double jitter)
{
	double		delay;

	if (retry_after_ms >= 0)
		return Min(retry_after_ms, RETRY_AFTER_MAX_MS);
	if (attempt < 1)
		attempt = 1;
	delay = (double) campaigns_retry_base_ms * pow(2.0, Min(attempt - 1, 40));
	if (delay > campaigns_retry_max_ms)
		delay = campaigns_retry_max_ms;
	if (jitter < 0.0)
		jitter = 0.0;
	if (jitter >= 1.0)
		jitter = 0.999999;
	return (int64) (delay / 2.0 + jitter * delay / 2.0);
}

/*
 * campaigns_dispatch_classify: SQL campaigns._dispatch_classify(status,
 * transport_error), the classification the worker applies.
 */
Datum
campaigns_dispatch_classify(PG_FUNCTION_ARGS)
{
	long		status = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT32(0);
	bool		transport = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);

	PG_RETURN_TEXT_P(cstring_to_text(DispatchClassify(status, transport)));
}

/*
 * campaigns_dispatch_backoff_ms: SQL campaigns._dispatch_backoff_ms(attempt,
 * retry_after_ms, jitter), the delay the worker applies.
 */
Datum
campaigns_dispatch_backoff_ms(PG_FUNCTION_ARGS)
{
	int			attempt = PG_GETARG_INT32(0);
	int64		retry_after = PG_ARGISNULL(1) ? -1 : PG_GETARG_INT64(1);
	double		jitter = PG_GETARG_FLOAT8(2);

	if (isnan(jitter) || jitter < 0.0 || jitter >= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("jitter must be in [0, 1)")));
	PG_RETURN_INT64(DispatchBackoffMs(attempt, retry_after, jitter));
}

/*
 * campaigns_dispatch_render: SQL campaigns._dispatch_render(template, lead),
 * render_template for request bodies.  A template whose merge fields do not
 * parse must not stop the dispatcher: it goes out unrendered and the reason
 * is reported in "error" (and so in the action's render_warnings).
 */
Datum
campaigns_dispatch_render(PG_FUNCTION_ARGS)
{
	text	   *template;
	char	   *error = NULL;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	template = PG_GETARG_TEXT_PP(0);
	if (PG_ARGISNULL(1) ||
		!MergeParse(VARDATA_ANY(template), VARSIZE_ANY_EXHDR(template), &error))
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfoString(&buf, "{\"text\": ");
		escape_json(&buf, text_to_cstring(template));
		appendStringInfoString(&buf, ", \"missing\": [], \"error\": ");
		escape_json(&buf, error ? error : "no lead");
		appendStringInfoChar(&buf, '}');
		PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
	}
	PG_RETURN_DATUM(DirectFunctionCall2(render_template, PointerGetDatum(template),
										PG_GETARG_DATUM(1)));
}

/*
 * JsonValue appends one value of a claim row as json_build_object would
 * write it: numbers and booleans bare, text and uuids as JSON strings,
 * jsonb as its text, timestamptz in ISO 8601 form, NULL as null.
 */
static void
JsonValue(StringInfo out, const ClaimRow *row, int col)
{
	Datum		d = row->values[col - 1];

	if (row->nulls[col - 1])
	{
		appendStringInfoString(out, "null");
		return;
	}
	switch (TupleDescAttr(row->desc, col - 1)->atttypid)
	{
		case INT4OID:
			appendStringInfo(out, "%d", DatumGetInt32(d));
			break;
		case INT8OID:
			appendStringInfo(out, INT64_FORMAT, DatumGetInt64(d));
			break;
		case BOOLOID:
			appendStringInfoString(out, DatumGetBool(d) ? "true" : "false");
			break;
		case TEXTOID:
			escape_json(out, TextDatumGetCString(d));
			break;
		case UUIDOID:
			{
				static const char hex[] = "0123456789abcdef";
				pg_uuid_t  *u = DatumGetUUIDP(d);
				int			i;

				appendStringInfoChar(out, '"');
				for (i = 0; i < UUID_LEN; i++)
				{
					if (i == 4 || i == 6 || i == 8 || i == 10)
						appendStringInfoChar(out, '-');
					appendStringInfoChar(out, hex[u->data[i] >> 4]);
					appendStringInfoChar(out, hex[u->data[i] & 0x0f]);
				}
				appendStringInfoChar(out, '"');
			}
			break;
		case JSONBOID:
			{
				Jsonb	   *jb = DatumGetJsonbP(d);

				(void) JsonbToCString(out, &jb->root, VARSIZE(jb));
			}
			break;
		case TIMESTAMPTZOID:
			{
				char		buf[MAXDATELEN + 1];

				JsonEncodeDateTime(buf, d, TIMESTAMPTZOID, NULL);
				appendStringInfo(out, "\"%s\"", buf);
			}
			break;
		default:
			elog(ERROR, "unexpected type %u in column %d of a claim row",
				 TupleDescAttr(row->desc, col - 1)->atttypid, col);
	}
}

/*
 * JsonMember appends "key" : value (after ", " unless it is the first).
 */
static void
JsonMember(StringInfo out, const char *key, const ClaimRow *row, int col, bool first)
{
	if (!first)
		appendStringInfoString(out, ", ");
	appendStringInfoChar(out, '"');
	appendStringInfoString(out, key);
	appendStringInfoString(out, "\" : ");
	JsonValue(out, row, col);
}

/*
 * ClaimRowRead deforms a row of _dispatch_claim_rows once, for all of its
 * columns.
 */
void
ClaimRowRead(ClaimRow *row, HeapTuple tup, TupleDesc desc)
{
	if (desc->natts != CR_NCOLUMNS)
		elog(ERROR, "a claim row has %d columns, expected %d", desc->natts, CR_NCOLUMNS);
	row->desc = desc;
	heap_deform_tuple(tup, desc, row->values, row->nulls);
}

/*
 * DispatchBuildBody appends the JSON request body of a claim row (a row of
 * _dispatch_claim_rows) to out, in one pass: the keys of docs/dispatch.md,
 * in the order given there, the last ones by channel (email: subject, body,
 * alias_id, alias_email; LinkedIn: message, connected_account_id).
 */
void
DispatchBuildBody(StringInfo out, const ClaimRow *row)
{
	bool		email;

	email = !row->nulls[CR_CHANNEL - 1] &&
		strcmp(TextDatumGetCString(row->values[CR_CHANNEL - 1]), "email") == 0;

	appendStringInfoChar(out, '{');
	JsonMember(out, "action_id", row, CR_ACTION_ID, true);
	JsonMember(out, "idempotency_key", row, CR_IDEMPOTENCY_KEY, false);
	JsonMember(out, "attempt", row, CR_ATTEMPT, false);
	JsonMember(out, "campaign_id", row, CR_CAMPAIGN_ID, false);
	JsonMember(out, "campaign_lead_id", row, CR_CAMPAIGN_LEAD_ID, false);
	appendStringInfoString(out, ", \"lead\" : {");
	JsonMember(out, "lead_id", row, CR_LEAD_ID, true);
	JsonMember(out, "email", row, CR_EMAIL, false);
	JsonMember(out, "linkedin_url", row, CR_LINKEDIN_URL, false);
	JsonMember(out, "first_name", row, CR_FIRST_NAME, false);
	JsonMember(out, "last_name", row, CR_LAST_NAME, false);
	JsonMember(out, "company", row, CR_COMPANY, false);
	JsonMember(out, "title", row, CR_TITLE, false);
	JsonMember(out, "timezone", row, CR_TIMEZONE, false);
	JsonMember(out, "fields", row, CR_FIELDS, false);
	appendStringInfoChar(out, '}');
	JsonMember(out, "step", row, CR_STEP, false);
	JsonMember(out, "variant", row, CR_VARIANT, false);
	JsonMember(out, "channel", row, CR_CHANNEL, false);
	JsonMember(out, "action_type", row, CR_ACTION_TYPE, false);
	JsonMember(out, "template_id", row, CR_TEMPLATE_ID, false);
	JsonMember(out, "missing_fields", row, CR_MISSING_FIELDS, false);
	JsonMember(out, "sender_profile_id", row, CR_SENDER_PROFILE_ID, false);
	JsonMember(out, "track_clicks", row, CR_TRACK_CLICKS, false);
	JsonMember(out, "ai_personalization", row, CR_AI_PERSONALIZATION, false);
	JsonMember(out, "prompt", row, CR_PROMPT, false);
	JsonMember(out, "due_at", row, CR_DUE_AT, false);
	if (email)
	{
		JsonMember(out, "subject", row, CR_SUBJECT, false);
		JsonMember(out, "body", row, CR_BODY, false);
		JsonMember(out, "alias_id", row, CR_ALIAS_ID, false);
		JsonMember(out, "alias_email", row, CR_ALIAS_EMAIL, false);
	}
	else
	{
		JsonMember(out, "message", row, CR_BODY, false);
		JsonMember(out, "connected_account_id", row, CR_CONNECTED_ACCOUNT_ID, false);
	}
	appendStringInfoChar(out, '}');
}

/*
 * DispatchAuthHeader decrypts the auth header of a claim row and makes it
 * the header line to send, palloc'd in *line ("Name: value" as stored, a
 * bare value as "Authorization: value"; *name_len is the name's length).
 * A header that cannot be used gives the reason in *why (no secret in it):
 * CLAIM_AUTH_RETRY when the key is unavailable, CLAIM_AUTH_FAILED when the
 * stored value does not decrypt or could not be sent as one header line
 * (rows written before 0.2.0 were not checked).  Raises no error for a bad
 * value, so one bad row does not stop a batch.  The caller clears the line
 * (explicit_bzero) when done with it.
 */
ClaimAuth
DispatchAuthHeader(const ClaimRow *row, char **line, int *name_len, const char **why)
{
	bytea	   *ciphertext;
	char	   *context;
	char	   *plain;
	bool		key_unavailable;
	int			n;
	const char *value;
	ClaimAuth	result = CLAIM_AUTH_LINE;

	*line = NULL;
	*name_len = 0;
	*why = NULL;
	if (row->nulls[CR_AUTH_HEADER - 1])
		return CLAIM_AUTH_NONE;
	if (row->nulls[CR_USER_ID - 1] || row->nulls[CR_AUTH_CONTEXT - 1])
	{
		*why = "the stored secret has no owner";
		return CLAIM_AUTH_FAILED;
	}
	ciphertext = DatumGetByteaPP(row->values[CR_AUTH_HEADER - 1]);
	context = TextDatumGetCString(row->values[CR_AUTH_CONTEXT - 1]);
	plain = SecretDecrypt(ciphertext, DatumGetUUIDP(row->values[CR_USER_ID - 1]), context,
						  why, &key_unavailable);
	if (plain == NULL)
		return key_unavailable ? CLAIM_AUTH_RETRY : CLAIM_AUTH_FAILED;
	n = OutboundHeaderNameLength(plain);
	value = n > 0 ? plain + n + 1 : plain;
	while (*value == ' ')
		value++;
	if (!OutboundHeaderClean(plain))
	{
		*why = "it holds control characters; store it again";
		result = CLAIM_AUTH_FAILED;
	}
	else if (*value == '\0')
	{
		*why = "it has no value; store it again";
		result = CLAIM_AUTH_FAILED;
	}
	else if (n > 0)
	{
		*line = psprintf("%.*s: %s", n, plain, value);
		*name_len = n;
	}
	else
	{
		*line = psprintf("Authorization: %s", value);
		*name_len = strlen("Authorization");
	}
	explicit_bzero(plain, strlen(plain));
	pfree(plain);
	return result;
}

/*
 * campaigns_dispatch_claim: SQL campaigns._dispatch_claim(n, lease_ms), the
 * worker's claim for tests and tools: claims like the worker and returns
 * each request with the body the worker would send.  The auth header is
 * the header line the worker would send with its value redacted
 * ("Authorization: [redacted]"), or why it cannot be sent: no function
 * returns a stored secret.
 */
Datum
campaigns_dispatch_claim(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			argtypes[2] = {INT4OID, INT4OID};
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	int			rc;
	uint64		i;
	StringInfoData body;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);

	SPI_connect();
	rc = SPI_execute_with_args(CLAIM_ROWS_SQL, 2, argtypes, args, nulls, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "claiming actions failed: %s", SPI_result_code_string(rc));
	initStringInfo(&body);
	for (i = 0; i < SPI_processed; i++)
	{
		ClaimRow	row;
		Datum		values[6];
		bool		isnull[6];
		int			k;
		char	   *line;
		int			name_len;
		const char *why;

		ClaimRowRead(&row, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
		for (k = 0; k < 4; k++)
		{
			values[k] = row.values[k];
			isnull[k] = row.nulls[k];
		}
		isnull[4] = false;
		switch (DispatchAuthHeader(&row, &line, &name_len, &why))
		{
			case CLAIM_AUTH_NONE:
				isnull[4] = true;
				values[4] = (Datum) 0;
				break;
			case CLAIM_AUTH_LINE:
				values[4] = CStringGetTextDatum(psprintf("%.*s: [redacted]", name_len, line));
				explicit_bzero(line, strlen(line));
				break;
			case CLAIM_AUTH_RETRY:
			case CLAIM_AUTH_FAILED:
				values[4] = CStringGetTextDatum(psprintf("[unusable: %s]", why));
				break;
		}
		resetStringInfo(&body);
		DispatchBuildBody(&body, &row);
		values[5] = PointerGetDatum(cstring_to_text_with_len(body.data, body.len));
		isnull[5] = false;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	SPI_finish();
	return (Datum) 0;
}

