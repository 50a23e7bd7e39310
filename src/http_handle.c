/*-------------------------------------------------------------------------
 *
 * src/http_handle.c
 *		campaigns.http_handle: the HTTP surface of SPEC §8, in C.
 *
 * The gateway passes every request here as (method, path, query, headers,
 * body) and writes back the (status, headers, body) this returns.  The
 * steps, in order, each able to answer on its own:
 *
 *	 route		the path's shape (uuid segments as {}) and the method,
 *				against http_route (404, 405 with Allow)
 *	 size		campaigns.http_max_body_bytes (413)
 *	 auth		Authorization: Bearer <key>, by SHA-256 in api_key through a
 *				per-backend cache, revoked keys refused (401; http_keys.c);
 *				the key's user becomes campaigns.user_id for the rest of the
 *				transaction
 *	 rate		the key's count in its one-minute window (http_rate.c, or
 *				the table http_rate_window), X-RateLimit-* headers (429)
 *	 body		content type (415), presence (422), JSON (422 with the
 *				error's position)
 *	 call		the route's API function, called directly through a cached
 *				FmgrInfo in a subtransaction: its errors roll back its writes
 *				(not the rate count) and become a status through
 *				_http_error (SQLSTATE -> 404, 409, 422, 503, 500...)
 *
 * The routes are rows of http_route (the OpenAPI document is built from the
 * same rows); each backend reads them once, with the OIDs of the functions
 * they call, and reads them again when the extension has been re-created
 * (http_handle's own OID changes).  http_handle is SECURITY DEFINER owned by
 * the extension owner (the gateway's role may execute it and nothing else);
 * the API functions it calls filter every query on the key's user.
 *
 * This was PL/pgSQL; in C a GET costs about a third of what it did (see
 * bench/http.sh), mostly from counting the rate in shared memory rather
 * than in a table and calling the API function without the executor.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "http_api.h"
#include "http_keys.h"
#include "model.h"
#include "plans.h"

/* How a route's API function is called. */
typedef enum HttpArgs
{
	ARGS_NONE,					/* f() */
	ARGS_NONE_TEXT,				/* f() returning json (text in its own key order) */
	ARGS_ID,					/* f(id1) */
	ARGS_BODY,					/* f(body) */
	ARGS_ID_BODY,				/* f(id1, body) */
	ARGS_FILTERS,				/* f(filters) */
	ARGS_ID_FILTERS,			/* f(id1, filters) */
	ARGS_ID_ID,					/* f(id1, id2) */
	ARGS_ID_ID_BODY,			/* f(id1, id2, body) */
	ARGS_ID_DAYS,				/* f(id1, days) */
	ARGS_AUTH_ME				/* built here from the key */
} HttpArgs;

/* Each operation of http_route: the function it calls, and its count. */
typedef struct HttpOp
{
	const char *operation_id;
	const char *function;
	HttpArgs	args;
	const char *count_function; /* X-Total-Count: f(filters) or f(id1, filters) */
	const char *csv_function;	/* f(id1, text), or f(text) for ARGS_BODY, for a text/csv body */
} HttpOp;

static const HttpOp http_ops[] = {
	{"openapi", "_http_openapi", ARGS_NONE_TEXT, NULL, NULL},
	{"auth_me", NULL, ARGS_AUTH_ME, NULL, NULL},
	{"campaign_get", "campaign_get", ARGS_ID, NULL, NULL},
	{"campaign_create", "campaign_create", ARGS_BODY, NULL, NULL},
	{"campaign_list", "campaign_list", ARGS_FILTERS, "campaign_count", NULL},
	{"campaign_update", "campaign_update", ARGS_ID_BODY, NULL, NULL},
	{"campaign_delete", "campaign_delete", ARGS_ID, NULL, NULL},
	{"campaign_launch", "campaign_launch", ARGS_ID, NULL, NULL},
	{"campaign_stats", "campaign_stats", ARGS_ID, NULL, NULL},
	{"campaign_pause", "campaign_pause", ARGS_ID, NULL, NULL},
	{"campaign_resume", "campaign_resume", ARGS_ID, NULL, NULL},
	{"campaign_stop", "campaign_stop", ARGS_ID, NULL, NULL},
	{"campaign_unschedule", "campaign_unschedule", ARGS_ID, NULL, NULL},
	{"campaign_reset", "campaign_reset", ARGS_ID, NULL, NULL},
	{"campaign_playground_review", "campaign_playground_review", ARGS_ID, NULL, NULL},
	{"campaign_forecast", "campaign_forecast", ARGS_ID_DAYS, NULL, NULL},
	{"campaign_leads", "campaign_leads", ARGS_ID_FILTERS, "_campaign_leads_count", NULL},
	{"lead_events", "lead_events", ARGS_ID_ID, NULL, NULL},
	{"lead_event_record", "lead_event_record", ARGS_ID_ID_BODY, NULL, NULL},
	{"campaign_lead_pause", "campaign_lead_pause", ARGS_ID_ID, NULL, NULL},
	{"campaign_lead_resume", "campaign_lead_resume", ARGS_ID_ID, NULL, NULL},
	{"campaign_lead_remove", "campaign_lead_remove", ARGS_ID_ID, NULL, NULL},
	{"dataset_get", "dataset_get", ARGS_ID, NULL, NULL},
	{"dataset_create", "dataset_create", ARGS_BODY, NULL, NULL},
	{"dataset_list", "dataset_list", ARGS_FILTERS, "dataset_count", NULL},
	{"dataset_add_leads", "dataset_add_leads", ARGS_ID_BODY, NULL, "dataset_add_leads_csv"},
	{"dataset_leads", "dataset_leads", ARGS_ID_FILTERS, "_dataset_leads_count", NULL},
	{"dataset_delete", "dataset_delete", ARGS_ID, NULL, NULL},
	{"template_get", "template_get", ARGS_ID, NULL, NULL},
	{"template_create", "template_create", ARGS_BODY, NULL, NULL},
	{"template_list", "template_list", ARGS_FILTERS, "template_count", NULL},
	{"template_update", "template_update", ARGS_ID_BODY, NULL, NULL},
	{"template_delete", "template_delete", ARGS_ID, NULL, NULL},
	{"sender_profile_get", "sender_profile_get", ARGS_ID, NULL, NULL},
	{"sender_profile_create", "sender_profile_create", ARGS_BODY, NULL, NULL},
	{"sender_profile_list", "sender_profile_list", ARGS_FILTERS, "sender_profile_count", NULL},
	{"sender_profile_update", "sender_profile_update", ARGS_ID_BODY, NULL, NULL},
	{"sender_profile_delete", "sender_profile_delete", ARGS_ID, NULL, NULL},
	{"alias_create", "alias_create", ARGS_BODY, NULL, NULL},
	{"alias_list", "alias_list", ARGS_FILTERS, "alias_count", NULL},
	{"connected_account_create", "connected_account_create", ARGS_BODY, NULL, NULL},
	{"connected_account_list", "connected_account_list", ARGS_FILTERS, "connected_account_count", NULL},
	{"delivery_endpoint_create", "delivery_endpoint_create", ARGS_BODY, NULL, NULL},
	{"delivery_endpoint_list", "delivery_endpoint_list", ARGS_FILTERS, "delivery_endpoint_count", NULL},
	{"suppression_create", "suppression_create", ARGS_BODY, NULL, NULL},
	{"suppression_list", "suppression_list", ARGS_FILTERS, "suppression_count", NULL},
	{"suppression_import", "suppression_import", ARGS_BODY, NULL, "suppression_import_csv"},
	{"suppression_get", "suppression_get", ARGS_ID, NULL, NULL},
	{"suppression_delete", "suppression_delete", ARGS_ID, NULL, NULL},
	{"delivery_endpoint_get", "delivery_endpoint_get", ARGS_ID, NULL, NULL},
	{"delivery_endpoint_update", "delivery_endpoint_update", ARGS_ID_BODY, NULL, NULL},
	{"delivery_endpoint_delete", "delivery_endpoint_delete", ARGS_ID, NULL, NULL},
};

/* A row of http_route, with its functions looked up. */
typedef struct HttpRoute
{
	char	   *operation_id;
	char	   *method;
	char	   *shape;
	char	   *body_kind;		/* NULL, "json" or "json_or_csv" */
	bool		auth;
	bool		total_count;
	bool		no_content;		/* response 'none' */
	bool		second_id;		/* a second path parameter */
	int			success_status;
	const ModelField *response_root;	/* its body's model (a list of it), or NULL */
	int			nparams;
	char	  **params;			/* query parameter names */
	const HttpOp *op;
	FmgrInfo	fn;
	FmgrInfo	count_fn;
	FmgrInfo	csv_fn;
	FmgrInfo	query_fn;		/* _http_query(text) */
} HttpRoute;

/* What a backend keeps between requests. */
typedef struct HttpCache
{
	Oid			handler_oid;	/* http_handle's OID when this was read */
	int			nroutes;
	HttpRoute  *routes;
	TupleDesc	result_desc;	/* (status, headers, body), blessed */
	SPIPlanPtr	error_plan;
	SPIPlanPtr	json_pos_plan;
} HttpCache;

static HttpCache *http_cache = NULL;

/* Response headers, in the order they are added (jsonb sorts them). */
typedef struct HttpHeaders
{
	int			n;
	const char *name[8];
	char	   *value[8];
} HttpHeaders;

static void
header_set(HttpHeaders *h, const char *name, const char *value)
{
	int			i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->name[i], name) == 0)
		{
			h->value[i] = pstrdup(value);
			return;
		}
	Assert(h->n < lengthof(h->name));
	h->name[h->n] = name;
	h->value[h->n++] = pstrdup(value);
}

static void
header_remove(HttpHeaders *h, const char *name)
{
	int			i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->name[i], name) == 0)
		{
			h->name[i] = h->name[h->n - 1];
			h->value[i] = h->value[h->n - 1];
			h->n--;
			return;
		}
}

static Jsonb *
headers_jsonb(HttpHeaders *h)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;
	int			i;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < h->n; i++)
	{
		JsonbValue	k,
					v;

		k.type = jbvString;
		k.val.string.val = (char *) h->name[i];
		k.val.string.len = strlen(h->name[i]);
		v.type = jbvString;
		v.val.string.val = h->value[i];
		v.val.string.len = strlen(h->value[i]);
		pushJsonbValue(&state, WJB_KEY, &k);
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/* A JSON object {"detail": detail, "message": message} as text. */
static char *
error_body(const char *detail, const char *message)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"detail\": ");
	escape_json(&buf, detail);
	appendStringInfoString(&buf, ", \"message\": ");
	escape_json(&buf, message);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * lookup_function finds nsp.name(argtypes) and fills *fn (in
 * TopMemoryContext, so plpgsql keeps its compiled function there).
 */
static void
lookup_function(FmgrInfo *fn, const char *nsp, const char *name, int nargs, Oid *argtypes)
{
	List	   *qualified = list_make2(makeString(pstrdup(nsp)), makeString(pstrdup(name)));
	Oid			oid = LookupFuncName(qualified, nargs, argtypes, false);

	fmgr_info_cxt(oid, fn, TopMemoryContext);
}

/*
 * function_args gives the argument types of a route's API function.
 */
static int
function_args(HttpArgs args, Oid *types)
{
	switch (args)
	{
		case ARGS_NONE:
		case ARGS_NONE_TEXT:
		case ARGS_AUTH_ME:
			return 0;
		case ARGS_ID:
			types[0] = UUIDOID;
			return 1;
		case ARGS_BODY:
		case ARGS_FILTERS:
			types[0] = JSONBOID;
			return 1;
		case ARGS_ID_BODY:
		case ARGS_ID_FILTERS:
			types[0] = UUIDOID;
			types[1] = JSONBOID;
			return 2;
		case ARGS_ID_ID:
			types[0] = UUIDOID;
			types[1] = UUIDOID;
			return 2;
		case ARGS_ID_ID_BODY:
			types[0] = UUIDOID;
			types[1] = UUIDOID;
			types[2] = JSONBOID;
			return 3;
		case ARGS_ID_DAYS:
			types[0] = UUIDOID;
			types[1] = INT4OID;
			return 2;
	}
	return 0;
}

/*
 * response_root finds the model of a route's response body (in the cache's
 * memory context): the model itself, or a list of it for an array.
 */
static const ModelField *
response_root(const char *model, bool array)
{
	const ModelField *m;
	ModelField *list;

	if (model == NULL)
		return NULL;
	m = ModelFind(model);
	if (m == NULL)
		elog(ERROR, "campaigns http_handle: no model \"%s\"", model);
	if (!array)
		return m;
	list = palloc0(sizeof(ModelField));
	list->name = m->name;
	list->kind = VK_ARRAY;
	list->items = m;
	return list;
}

/*
 * http_load reads http_route and prepares what every request uses, once
 * per backend (again after the extension is re-created).
 */
static pg_noinline HttpCache *
http_load(FunctionCallInfo fcinfo)
{
	Oid			handler_oid = fcinfo->flinfo->fn_oid;
	Oid			nspid = get_func_namespace(handler_oid);
	char	   *nsp = get_namespace_name(nspid);
	const char *qnsp = quote_identifier(nsp);
	MemoryContext cxt;
	MemoryContext old;
	HttpCache  *c;
	uint64		i;
	StringInfoData sql;
	Oid			types[4];

	/* The old cache (of a dropped extension) is left behind: a few kB. */
	http_cache = NULL;

	cxt = AllocSetContextCreate(TopMemoryContext, "campaigns http routes", ALLOCSET_SMALL_SIZES);
	c = MemoryContextAllocZero(cxt, sizeof(HttpCache));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "campaigns http_handle: SPI_connect failed");
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT operation_id, method, shape, body, auth, total_count, response = 'none',"
					 " coalesce(segs[4] LIKE '{%%}', false), success_status,"
					 " ARRAY(SELECT e ->> 'name' FROM jsonb_array_elements(query_params) e),"
					 " response_model, response = 'array'"
					 " FROM %s.http_route", qnsp);
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "campaigns http_handle: cannot read http_route");

	old = MemoryContextSwitchTo(cxt);
	c->nroutes = (int) SPI_processed;
	c->routes = palloc0(sizeof(HttpRoute) * Max(c->nroutes, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		HttpRoute  *r = &c->routes[i];
		bool		isnull;
		Datum		params;
		Datum	   *elems;
		bool	   *enulls;
		int			j;

		r->operation_id = SPI_getvalue(row, desc, 1);
		r->method = SPI_getvalue(row, desc, 2);
		r->shape = SPI_getvalue(row, desc, 3);
		r->body_kind = SPI_getvalue(row, desc, 4);
		r->auth = DatumGetBool(SPI_getbinval(row, desc, 5, &isnull));
		r->total_count = DatumGetBool(SPI_getbinval(row, desc, 6, &isnull));
		r->no_content = DatumGetBool(SPI_getbinval(row, desc, 7, &isnull));
		r->second_id = DatumGetBool(SPI_getbinval(row, desc, 8, &isnull));
		r->success_status = DatumGetInt32(SPI_getbinval(row, desc, 9, &isnull));
		r->response_root = response_root(SPI_getvalue(row, desc, 11),
										 DatumGetBool(SPI_getbinval(row, desc, 12, &isnull)));
		params = SPI_getbinval(row, desc, 10, &isnull);
		deconstruct_array(DatumGetArrayTypeP(params), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &enulls, &r->nparams);
		r->params = palloc(sizeof(char *) * Max(r->nparams, 1));
		for (j = 0; j < r->nparams; j++)
			r->params[j] = enulls[j] ? "" : TextDatumGetCString(elems[j]);

		for (j = 0; j < (int) lengthof(http_ops); j++)
			if (strcmp(http_ops[j].operation_id, r->operation_id) == 0)
				r->op = &http_ops[j];
		if (r->op == NULL)
			elog(ERROR, "campaigns http_handle: route %s has no handler", r->operation_id);
		if (r->op->function)
		{
			int			n = function_args(r->op->args, types);

			lookup_function(&r->fn, nsp, r->op->function, n, types);
		}
		if (r->op->count_function)
		{
			int			n = r->op->args == ARGS_ID_FILTERS ? 2 : 1;

			types[0] = n == 2 ? UUIDOID : JSONBOID;
			types[1] = JSONBOID;
			lookup_function(&r->count_fn, nsp, r->op->count_function, n, types);
		}
		if (r->op->csv_function && r->op->args == ARGS_BODY)
		{
			types[0] = TEXTOID;
			lookup_function(&r->csv_fn, nsp, r->op->csv_function, 1, types);
		}
		else if (r->op->csv_function)
		{
			types[0] = UUIDOID;
			types[1] = TEXTOID;
			lookup_function(&r->csv_fn, nsp, r->op->csv_function, 2, types);
		}
		if (r->nparams > 0)
		{
			types[0] = TEXTOID;
			lookup_function(&r->query_fn, nsp, "_http_query", 1, types);
		}
	}
	MemoryContextSwitchTo(old);

	HttpKeysPrepare(nspid, qnsp);

	types[0] = types[1] = types[2] = types[3] = TEXTOID;
	resetStringInfo(&sql);
	appendStringInfo(&sql, "SELECT status, body::text FROM %s._http_error($1, $2, $3, $4)", qnsp);
	c->error_plan = KeepPlan(sql.data, 4, types, 0);
	resetStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s._http_json_error_pos($1, $2, $3)", qnsp);
	c->json_pos_plan = KeepPlan(sql.data, 3, types, 0);

	SPI_finish();

	{
		TupleDesc	desc;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		old = MemoryContextSwitchTo(cxt);
		c->result_desc = BlessTupleDesc(CreateTupleDescCopy(desc));
		MemoryContextSwitchTo(old);
	}
	c->handler_oid = handler_oid;
	http_cache = c;
	return c;
}

/*
 * is_uuid_segment: 8-4-4-4-12 hex digits, each hyphen optional (what
 * uuid_in accepts without braces, and what no literal segment looks like).
 */
static bool
is_uuid_segment(const char *s, int len)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	int			pos = 0;
	int			g;

	for (g = 0; g < 5; g++)
	{
		int			k;

		if (g > 0 && pos < len && s[pos] == '-')
			pos++;
		for (k = 0; k < groups[g]; k++, pos++)
			if (pos >= len || !isxdigit((unsigned char) s[pos]))
				return false;
	}
	return pos == len;
}

/*
 * header_value finds a request header (names case-insensitive; for equal
 * names in different cases the last in jsonb order wins) as a string, or
 * NULL.
 */
static char *
header_value(Jsonb *headers, const char *name)
{
	JsonbValue *v = NULL;
	JsonbValue	found;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	cur;
	bool		take = false;
	int			len = strlen(name);

	if (headers == NULL || !JB_ROOT_IS_OBJECT(headers))
		return NULL;
	v = getKeyJsonValueFromContainer(&headers->root, name, len, &found);
	if (v == NULL)
	{
		it = JsonbIteratorInit(&headers->root);
		while ((tok = JsonbIteratorNext(&it, &cur, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				take = cur.val.string.len == len &&
					pg_strncasecmp(cur.val.string.val, name, len) == 0;
			else if (tok == WJB_VALUE && take)
			{
				found = cur;
				v = &found;
			}
		}
	}
	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvBool)
		return pstrdup(v->val.boolean ? "true" : "false");
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
}

/* btrim(s): spaces only, as SQL's btrim(text). */
static char *
trim_spaces(char *s)
{
	char	   *end;

	while (*s == ' ')
		s++;
	end = s + strlen(s);
	while (end > s && end[-1] == ' ')
		*--end = '\0';
	return s;
}

static bool
is_regex_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Stages of the call, for what an error in each means. */
typedef enum HttpStage
{
	STAGE_BODY,
	STAGE_QUERY,
	STAGE_CALL
} HttpStage;

/* How far the current call got (static: it must survive a longjmp). */
static HttpStage http_stage;

/*
 * map_error turns an error of the call into a status and body (through
 * _http_error, or as a JSON decode error of the body).
 */
static void
map_error(HttpCache *c, ErrorData *edata, HttpStage stage, const char *req_body,
		  int *status, char **body)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		arg[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;

	if (stage == STAGE_QUERY)
	{
		*status = 422;
		*body = pstrdup("{\"detail\": [{\"loc\": [\"query\"], \"msg\": \"Invalid query string: not UTF-8 once percent-decoded\", \"type\": \"value_error\"}]}");
		return;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "campaigns http_handle: SPI_connect failed");
	if (stage == STAGE_BODY)
	{
		int			pos;
		StringInfoData buf;

		arg[0] = CStringGetTextDatum(req_body);
		arg[1] = CStringGetTextDatum(edata->context ? edata->context : "");
		arg[2] = CStringGetTextDatum(edata->detail ? edata->detail : "");
		if (SPI_execute_plan(c->json_pos_plan, arg, nulls, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "campaigns http_handle: _http_json_error_pos failed");
		pos = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull)
			pos = 0;
		initStringInfo(&buf);
		*status = 422;
		SPI_finish();
		appendStringInfo(&buf, "{\"detail\": [{\"loc\": [\"body\", %d], \"msg\": \"JSON decode error\", \"type\": \"json_invalid\"}]}", pos);
		*body = buf.data;
		return;
	}
	arg[0] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
	arg[1] = CStringGetTextDatum(edata->message ? edata->message : "");
	if (edata->detail)
		arg[2] = CStringGetTextDatum(edata->detail);
	else
		nulls[2] = 'n';
	if (edata->context)
		arg[3] = CStringGetTextDatum(edata->context);
	else
		nulls[3] = 'n';
	if (SPI_execute_plan(c->error_plan, arg, nulls, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "campaigns http_handle: _http_error failed");
	*status = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*body = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	SPI_finish();
}

/* Calls fn with the given arguments; NULL for a SQL null. */
static Datum
call_function(FmgrInfo *fn, int nargs, Datum *args, bool *isnull)
{
	LOCAL_FCINFO(fcinfo, 3);
	Datum		result;
	int			i;

	InitFunctionCallInfoData(*fcinfo, fn, nargs, DEFAULT_COLLATION_OID, NULL, NULL);
	for (i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = false;
	}
	result = FunctionCallInvoke(fcinfo);
	*isnull = fcinfo->isnull;
	return result;
}

/* jsonb_in of a C string. */
static Jsonb *
parse_jsonb(const char *s)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s)));
}

/*
 * call_route runs the route's API function; fills *result (NULL for SQL
 * null), or *json_text for a function that returns json, and *total.  Runs inside the caller's subtransaction; http_stage
 * says how far it got.
 */
static void
call_route(HttpRoute *r, HttpKey *key, pg_uuid_t *ids, bool csv, const char *query,
		   const char *req_body, Jsonb **result, char **json_text, int64 *total)
{
	Jsonb	   *payload = NULL;
	Jsonb	   *filters = NULL;
	Jsonb	   *q = NULL;
	Datum		args[3];
	Datum		res = (Datum) 0;
	bool		isnull = true;
	int			days;

	http_stage = STAGE_BODY;
	if (r->body_kind != NULL && !csv)
		payload = parse_jsonb(req_body);

	http_stage = STAGE_QUERY;
	if (r->nparams > 0)
	{
		JsonbParseState *state = NULL;
		JsonbValue *obj;
		int			i;

		args[0] = CStringGetTextDatum(query ? query : "");
		q = DatumGetJsonbP(call_function(&r->query_fn, 1, args, &isnull));
		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		for (i = 0; i < r->nparams; i++)
		{
			JsonbValue	found;
			JsonbValue *v = getKeyJsonValueFromContainer(&q->root, r->params[i], strlen(r->params[i]), &found);
			JsonbValue	k;

			if (v == NULL)
				continue;
			k.type = jbvString;
			k.val.string.val = r->params[i];
			k.val.string.len = strlen(r->params[i]);
			pushJsonbValue(&state, WJB_KEY, &k);
			pushJsonbValue(&state, WJB_VALUE, v);
		}
		obj = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
		filters = JsonbValueToJsonb(obj);
	}

	http_stage = STAGE_CALL;
	switch (r->op->args)
	{
		case ARGS_NONE:
			res = call_function(&r->fn, 0, args, &isnull);
			break;
		case ARGS_NONE_TEXT:
			res = call_function(&r->fn, 0, args, &isnull);
			*json_text = isnull ? NULL : TextDatumGetCString(res);
			return;
		case ARGS_AUTH_ME:
			{
				StringInfoData buf;

				initStringInfo(&buf);
				appendStringInfo(&buf, "{\"user_id\": \"%s\", \"api_key_id\": \"%s\", \"key_name\": ",
								 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&key->user_id))),
								 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&key->api_key_id))));
				if (key->name)
					escape_json(&buf, key->name);
				else
					appendStringInfoString(&buf, "null");
				appendStringInfoString(&buf, ", \"token_prefix\": ");
				if (key->token_prefix)
					escape_json(&buf, key->token_prefix);
				else
					appendStringInfoString(&buf, "null");
				if (key->rate_limit > 0)
					appendStringInfo(&buf, ", \"rate_limit_per_minute\": %d}", key->rate_limit);
				else
					appendStringInfoString(&buf, ", \"rate_limit_per_minute\": null}");
				*result = parse_jsonb(buf.data);
				return;
			}
		case ARGS_ID:
			args[0] = UUIDPGetDatum(&ids[0]);
			res = call_function(&r->fn, 1, args, &isnull);
			break;
		case ARGS_BODY:
			if (csv)
			{
				args[0] = CStringGetTextDatum(req_body);
				res = call_function(&r->csv_fn, 1, args, &isnull);
			}
			else
			{
				args[0] = JsonbPGetDatum(payload);
				res = call_function(&r->fn, 1, args, &isnull);
			}
			break;
		case ARGS_ID_BODY:
			args[0] = UUIDPGetDatum(&ids[0]);
			if (csv)
			{
				args[1] = CStringGetTextDatum(req_body);
				res = call_function(&r->csv_fn, 2, args, &isnull);
			}
			else
			{
				args[1] = JsonbPGetDatum(payload);
				res = call_function(&r->fn, 2, args, &isnull);
			}
			break;
		case ARGS_FILTERS:
			args[0] = JsonbPGetDatum(filters);
			res = call_function(&r->fn, 1, args, &isnull);
			break;
		case ARGS_ID_FILTERS:
			args[0] = UUIDPGetDatum(&ids[0]);
			args[1] = JsonbPGetDatum(filters);
			res = call_function(&r->fn, 2, args, &isnull);
			break;
		case ARGS_ID_ID:
			args[0] = UUIDPGetDatum(&ids[0]);
			args[1] = UUIDPGetDatum(&ids[1]);
			res = call_function(&r->fn, 2, args, &isnull);
			break;
		case ARGS_ID_ID_BODY:
			args[0] = UUIDPGetDatum(&ids[0]);
			args[1] = UUIDPGetDatum(&ids[1]);
			args[2] = JsonbPGetDatum(payload);
			res = call_function(&r->fn, 3, args, &isnull);
			break;
		case ARGS_ID_DAYS:
			{
				/* ?days= through the model (int_parsing, 1..90, default 14) */
				Jsonb	   *fq = ModelValidate(ModelFind("ForecastQuery"), filters);
				JsonbValue *v = getKeyJsonValueFromContainer(&fq->root, "days", 4, NULL);

				days = DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric)));
				args[0] = UUIDPGetDatum(&ids[0]);
				args[1] = Int32GetDatum(days);
				res = call_function(&r->fn, 2, args, &isnull);
				break;
			}
	}
	*result = (isnull || r->no_content) ? NULL : DatumGetJsonbP(res);

	if (r->total_count)
	{
		Datum		cnt;

		if (r->op->args == ARGS_ID_FILTERS)
		{
			args[0] = UUIDPGetDatum(&ids[0]);
			args[1] = JsonbPGetDatum(filters);
			cnt = call_function(&r->count_fn, 2, args, &isnull);
		}
		else
		{
			args[0] = JsonbPGetDatum(filters);
			cnt = call_function(&r->count_fn, 1, args, &isnull);
		}
		*total = isnull ? 0 : DatumGetInt64(cnt);
	}
}

PG_FUNCTION_INFO_V1(http_handle);

/*
 * http_handle(method, path, query, headers, body) -> (status, headers, body)
 */
Datum
http_handle(PG_FUNCTION_ARGS)
{
	char	   *method = PG_ARGISNULL(0) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *path = PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *query = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	Jsonb	   *req_headers = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	char	   *req_body = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	HttpCache  *c = (http_cache != NULL && http_cache->handler_oid == fcinfo->flinfo->fn_oid) ?
		http_cache : http_load(fcinfo);
	HttpHeaders hdrs = {0};
	int			status = 0;
	char	   *body = NULL;
	char	   *p;
	char	   *qmark;
	int			len;
	StringInfoData shape;
	HttpRoute  *route = NULL;
	pg_uuid_t	ids[2];
	int			nids = 0;
	char	   *seg;
	bool		csv = false;
	GucContext	guc_context;
	HttpKey		key = {0};
	int			i;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	header_set(&hdrs, "Content-Type", "application/json");

	/*
	 * Route: /api/v1/<segments>, one trailing slash ignored.  A query string
	 * left on the path is taken as the query when none is given apart.
	 */
	p = path;
	qmark = strchr(p, '?');
	if (qmark != NULL)
	{
		if (query == NULL || query[0] == '\0')
			query = pstrdup(qmark + 1);
		*qmark = '\0';
	}
	if (strncmp(p, "/api/v1/", 8) != 0)
	{
		status = 404;
		body = error_body("NOT_FOUND", "no such route");
		goto done;
	}
	p += 8;
	len = strlen(p);
	if (len > 0 && p[len - 1] == '/')
		p[--len] = '\0';

	/* The shape: uuid segments as {}; the ids are the 2nd and 4th. */
	initStringInfo(&shape);
	seg = p;
	for (i = 1;; i++)
	{
		char	   *slash = strchr(seg, '/');
		int			slen = slash ? (int) (slash - seg) : (int) strlen(seg);

		if (i > 1)
			appendStringInfoChar(&shape, '/');
		if (is_uuid_segment(seg, slen))
		{
			appendStringInfoString(&shape, "{}");
			if ((i == 2 || i == 4) && nids < 2)
			{
				char	   *u = pnstrdup(seg, slen);

				memcpy(&ids[nids++], DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(u))),
					   sizeof(pg_uuid_t));
			}
		}
		else if (memchr(seg, '{', slen) != NULL || memchr(seg, '}', slen) != NULL)
		{
			/*
			 * A literal "{}" would match a route's parameter without giving
			 * an id; no route has braces otherwise (http_route's CHECK).
			 */
			appendStringInfoString(&shape, "{literal}");
		}
		else
			appendBinaryStringInfo(&shape, seg, slen);
		if (slash == NULL)
			break;
		seg = slash + 1;
	}
	for (i = 0; i < c->nroutes; i++)
		if (strcmp(c->routes[i].shape, shape.data) == 0 &&
			pg_strcasecmp(c->routes[i].method, method) == 0)
			route = &c->routes[i];
	if (route == NULL)
	{
		const char *ms[] = {"DELETE", "GET", "PATCH", "POST"};
		StringInfoData allowed;
		int			m;

		initStringInfo(&allowed);
		for (m = 0; m < (int) lengthof(ms); m++)
			for (i = 0; i < c->nroutes; i++)
				if (strcmp(c->routes[i].shape, shape.data) == 0 &&
					strcmp(c->routes[i].method, ms[m]) == 0)
					appendStringInfo(&allowed, "%s%s", allowed.len ? ", " : "", ms[m]);
		if (allowed.len == 0)
		{
			status = 404;
			body = error_body("NOT_FOUND", "no such route");
		}
		else
		{
			status = 405;
			header_set(&hdrs, "Allow", allowed.data);
			body = error_body("METHOD_NOT_ALLOWED", "method not allowed on this route");
		}
		goto done;
	}
	/* A route's parameters are exactly its uuid segments (http_route's CHECK). */
	if (nids < (strstr(route->shape, "{}") ? 1 : 0) + (route->second_id ? 1 : 0))
		elog(ERROR, "campaigns http_handle: path parameters of %s not found", route->operation_id);

	/* Body size, before anything reads the body. */
	if (req_body != NULL && req_body[0] != '\0' &&
		strlen(req_body) > (size_t) campaigns_http_max_body_bytes)
	{
		char		msg[64];

		snprintf(msg, sizeof(msg), "the request body exceeds %d bytes", campaigns_http_max_body_bytes);
		status = 413;
		body = error_body("PAYLOAD_TOO_LARGE", msg);
		goto done;
	}

	/* Authentication and rate limit. */
	if (route->auth)
	{
		char	   *authz = header_value(req_headers, "authorization");
		char	   *token = NULL;
		bool		malformed = false;

		if (authz != NULL)
		{
			authz = trim_spaces(authz);
			if (strlen(authz) < 7 || pg_strncasecmp(authz, "bearer ", 7) != 0)
				malformed = true;
			else
			{
				char	   *t;

				token = trim_spaces(authz + 6);
				if (token[0] == '\0')
					malformed = true;
				for (t = token; *t; t++)
					if (is_regex_space(*t))
						malformed = true;
			}
		}
		if (authz == NULL || malformed)
		{
			status = 401;
			header_set(&hdrs, "WWW-Authenticate", "Bearer");
			body = error_body("UNAUTHORIZED", authz == NULL ?
							  "missing API key (Authorization: Bearer <key>)" :
							  "malformed Authorization header (expected Bearer <key>)");
			goto done;
		}
		if (!HttpAuthenticate(token, &key))
		{
			status = 401;
			header_set(&hdrs, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
			body = error_body("UNAUTHORIZED", "invalid or revoked API key");
			goto done;
		}

		/*
		 * The key's user, for this transaction (the gateway runs one per
		 * request), whatever the caller had set; PostgREST's claims emptied.
		 */
		guc_context = superuser() ? PGC_SUSET : PGC_USERSET;
		(void) set_config_option("campaigns.user_id",
								 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&key.user_id))),
								 guc_context, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
		(void) set_config_option("request.jwt.claims", "",
								 guc_context, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
		if (key.rate_limit > 0)
		{
			char		num[32];

			snprintf(num, sizeof(num), "%d", key.rate_limit);
			header_set(&hdrs, "X-RateLimit-Limit", num);
			snprintf(num, sizeof(num), "%d", Max(key.rate_limit - key.hits, 0));
			header_set(&hdrs, "X-RateLimit-Remaining", num);
			snprintf(num, sizeof(num), "%d", key.reset_seconds);
			header_set(&hdrs, "X-RateLimit-Reset", num);
			if (key.hits > key.rate_limit)
			{
				char		msg[80];

				status = 429;
				header_set(&hdrs, "Retry-After", num);
				snprintf(msg, sizeof(msg), "rate limit of %d requests per minute exceeded", key.rate_limit);
				body = error_body("RATE_LIMITED", msg);
				goto done;
			}
		}
	}

	/* The body: JSON, or CSV where the route allows it. */
	if (route->body_kind != NULL)
	{
		char	   *ct = header_value(req_headers, "content-type");

		if (ct != NULL)
		{
			char	   *semi = strchr(ct, ';');
			char	   *s;

			if (semi)
				*semi = '\0';
			ct = trim_spaces(ct);
			for (s = ct; *s; s++)
				*s = pg_ascii_tolower((unsigned char) *s);
		}
		if (req_body == NULL || req_body[0] == '\0')
		{
			status = 422;
			body = pstrdup("{\"detail\": [{\"loc\": [\"body\"], \"msg\": \"Field required\", \"type\": \"missing\"}]}");
			goto done;
		}
		else if (ct != NULL && strcmp(ct, "text/csv") == 0 && strcmp(route->body_kind, "json_or_csv") == 0)
			csv = true;
		else if (ct != NULL && ct[0] != '\0' && strcmp(ct, "application/json") != 0)
		{
			/* ^application/[a-z0-9.+-]*\+json$ */
			bool		ok = strncmp(ct, "application/", 12) == 0;
			size_t		n = strlen(ct);
			const char *s;

			ok = ok && n >= 17 && strcmp(ct + n - 5, "+json") == 0;
			for (s = ct + 12; ok && s < ct + n - 5; s++)
				if (!(isdigit((unsigned char) *s) || (*s >= 'a' && *s <= 'z') ||
					  *s == '.' || *s == '+' || *s == '-'))
					ok = false;
			if (!ok)
			{
				/* No content type at all is read as JSON, as FastAPI does. */
				status = 415;
				body = error_body("UNSUPPORTED_MEDIA_TYPE",
								  strcmp(route->body_kind, "json_or_csv") == 0 ?
								  "the body must be application/json or text/csv" :
								  "the body must be application/json");
				goto done;
			}
		}
	}

	/* The call, in a subtransaction: its errors roll back its writes only. */
	{
		MemoryContext oldcontext = CurrentMemoryContext;
		ResourceOwner oldowner = CurrentResourceOwner;
		ErrorData  *volatile edata = NULL;
		Jsonb	   *result = NULL;
		char	   *json_text = NULL;
		int64		total = 0;

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(oldcontext);
		PG_TRY();
		{
			call_route(route, &key, ids, csv, query, req_body, &result, &json_text, &total);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcontext);
			CurrentResourceOwner = oldowner;
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(oldcontext);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcontext);
			CurrentResourceOwner = oldowner;
		}
		PG_END_TRY();

		if (edata == NULL)
		{
			status = route->success_status;
			if (route->no_content)
			{
				header_remove(&hdrs, "Content-Type");
				body = "";
			}
			else if (json_text != NULL)
				body = json_text;
			else if (result == NULL)
				body = "null";
			else if (route->response_root != NULL)
				body = ModelJsonText(route->response_root, result);	/* model order */
			else
				body = JsonbToCString(NULL, &result->root, VARSIZE(result));
			if (route->total_count)
			{
				char		num[32];

				snprintf(num, sizeof(num), INT64_FORMAT, total);
				header_set(&hdrs, "X-Total-Count", num);
			}
		}
		else
		{
			map_error(c, edata, http_stage, req_body, &status, &body);
			if (status == 503)
				header_set(&hdrs, "Retry-After", "1");
			else if (status == 401)
				header_set(&hdrs, "WWW-Authenticate", "Bearer");
			else if (status >= 500)
				ereport(LOG,
						(errmsg("campaigns http_handle: %s %s failed: %s %s",
								method, text_to_cstring(PG_GETARG_TEXT_PP(1)),
								unpack_sql_state(edata->sqlerrcode), edata->message)));
			FreeErrorData(edata);
		}
	}

done:
	values[0] = Int32GetDatum(status);
	values[1] = JsonbPGetDatum(headers_jsonb(&hdrs));
	values[2] = CStringGetTextDatum(body);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(c->result_desc, values, nulls)));
}
