/*-------------------------------------------------------------------------
 *
 * src/dispatch.c
 *		Delivery of claimed actions to their delivery services over HTTP.
 *
 * One libcurl multi handle lives as long as the worker: its connection
 * cache keeps connections to each delivery service open between requests,
 * and up to campaigns.max_in_flight requests run at once, each with its own
 * timeout, so a slow endpoint holds back nobody else.  Claims and outcomes
 * go through SQL in batches: campaigns._dispatch_claim marks due actions in
 * flight under a lease and returns each request (URL, headers, JSON body);
 * the outcome of every finished request is classified here (2xx sent; 429,
 * 5xx, timeouts and transport errors retried with exponential backoff and
 * jitter, honouring Retry-After; other statuses failed) and recorded for a
 * whole batch in one call.  HTTP failures are data, never errors.
 *
 * This is the only file that includes curl.  Requests and outcomes live in
 * malloc'd memory owned by this module, since they outlive transactions.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include <curl/curl.h>
#include <math.h>
#include <sys/resource.h>

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/json.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "dispatch.h"
#include "render.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(campaigns_dispatch_classify);
PG_FUNCTION_INFO_V1(campaigns_dispatch_backoff_ms);
PG_FUNCTION_INFO_V1(campaigns_dispatch_render);

/* render.c's SQL function; called after checking the syntax ourselves. */
extern Datum render_template(PG_FUNCTION_ARGS);

/* Bytes of a failed response kept in last_error. */
#define SNIPPET_MAX 200
/* The longest Retry-After honoured. */
#define RETRY_AFTER_MAX_MS ((int64) 24 * 3600 * 1000)
/* The SQL function that records a batch of outcomes (schema/56_outcome.sql). */
#define RECORD_OUTCOMES_SQL \
	"SELECT campaigns.action_record_outcomes($1, $2, $3, $4, $5, $6)"

int			campaigns_max_in_flight = 64;
int			campaigns_request_timeout_ms = 10000;
int			campaigns_max_attempts = 5;
int			campaigns_retry_base_ms = 1000;
int			campaigns_retry_max_ms = 3600000;
int			campaigns_lease_seconds = 60;
char	   *campaigns_email_endpoint = NULL;
char	   *campaigns_linkedin_endpoint = NULL;

typedef struct Request
{
	int64		action_id;
	int			attempt;
	char	   *url;			/* NULL when the channel has no endpoint */
	char	   *body;
	struct curl_slist *headers;
	CURL	   *easy;
	int64		retry_after_ms; /* -1 without a usable Retry-After */
	char		snippet[SNIPPET_MAX + 1];
	int			snippet_len;
	char		errbuf[CURL_ERROR_SIZE];
	struct Request *next;
} Request;

typedef struct Outcome
{
	int64		action_id;
	const char *outcome;
	TimestampTz at;
	int			http_status;	/* 0 = none */
	char	   *detail;			/* malloc'd or NULL */
	TimestampTz retry_at;		/* 0 = none */
} Outcome;

static CURLM *multi = NULL;
static Request *claimed = NULL; /* claimed in the open transaction */
static int	in_flight = 0;
static CURL **easy_pool = NULL;
static int	easy_pool_len = 0;
static int	easy_pool_cap = 0;
static Outcome *outcomes = NULL;
static int	outcomes_len = 0;
static int	outcomes_cap = 0;
static pg_prng_state jitter_state;

/*
 * DispatchInit defines the dispatcher's GUCs.
 */
void
DispatchInit(void)
{
	DefineCustomIntVariable("campaigns.max_in_flight",
							"Most HTTP requests the worker has in flight at once.",
							NULL,
							&campaigns_max_in_flight,
							64, 1, 10000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("campaigns.request_timeout_ms",
							"Time limit of one delivery request, connection included.",
							NULL,
							&campaigns_request_timeout_ms,
							10000, 100, 600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("campaigns.max_attempts",
							"Delivery attempts of an action before it fails.",
							"A retryable outcome at the last attempt fails the action.",
							&campaigns_max_attempts,
							5, 1, 100,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("campaigns.retry_base_ms",
							"Delay before the first retry; each later retry doubles it.",
							NULL,
							&campaigns_retry_base_ms,
							1000, 1, 86400000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("campaigns.retry_max_ms",
							"Longest delay between retries (before jitter).",
							NULL,
							&campaigns_retry_max_ms,
							3600000, 1, 86400000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("campaigns.lease_seconds",
							"How long a claimed action stays in flight before another claim may take it.",
							"The effective lease is at least twice the request timeout plus one second.",
							&campaigns_lease_seconds,
							60, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomStringVariable("campaigns.email_endpoint",
							   "Delivery service URL for email actions of users without a delivery_endpoint row.",
							   NULL,
							   &campaigns_email_endpoint,
							   "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("campaigns.linkedin_endpoint",
							   "Delivery service URL for LinkedIn actions of users without a delivery_endpoint row.",
							   NULL,
							   &campaigns_linkedin_endpoint,
							   "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
}

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
 * CurlWrite keeps the start of a response body for last_error.
 */
static size_t
CurlWrite(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	Request    *req = (Request *) userdata;
	size_t		n = size * nmemb;
	size_t		room = SNIPPET_MAX - req->snippet_len;
	size_t		i;

	for (i = 0; i < n && i < room; i++)
	{
		unsigned char c = (unsigned char) ptr[i];

		req->snippet[req->snippet_len++] = (c >= 0x20 && c < 0x7f) ? (char) c : ' ';
	}
	req->snippet[req->snippet_len] = '\0';
	return n;
}

/*
 * CurlHeader picks Retry-After (delta-seconds or HTTP-date) out of the
 * response headers.
 */
static size_t
CurlHeader(char *buffer, size_t size, size_t nitems, void *userdata)
{
	Request    *req = (Request *) userdata;
	size_t		n = size * nitems;
	char		value[128];
	size_t		i,
				len;

	if (n < 12 || pg_strncasecmp(buffer, "retry-after:", 12) != 0)
		return n;
	i = 12;
	while (i < n && (buffer[i] == ' ' || buffer[i] == '\t'))
		i++;
	len = 0;
	while (i < n && buffer[i] != '\r' && buffer[i] != '\n' && len < sizeof(value) - 1)
		value[len++] = buffer[i++];
	value[len] = '\0';
	if (len == 0)
		return n;
	if (strspn(value, "0123456789") == len)
	{
		if (len <= 9)
			req->retry_after_ms = (int64) atol(value) * 1000;
		else
			req->retry_after_ms = RETRY_AFTER_MAX_MS;
	}
	else
	{
		time_t		t = curl_getdate(value, NULL);

		if (t != -1)
		{
			int64		ms = ((int64) t - (int64) time(NULL)) * 1000;

			req->retry_after_ms = Max(ms, 0);
		}
	}
	return n;
}

/*
 * DispatchStart creates the multi handle; called once in the worker.
 */
void
DispatchStart(void)
{
	struct rlimit rl;

	/*
	 * Each request in flight holds a socket that PostgreSQL's fd accounting
	 * does not know about: raise the soft limit on open files to the hard one.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
	{
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		elog(ERROR, "curl_global_init failed");
	multi = curl_multi_init();
	if (multi == NULL)
		elog(ERROR, "curl_multi_init failed");
	pg_prng_seed(&jitter_state, (uint64) MyProcPid ^ (uint64) GetCurrentTimestamp());
}

/*
 * DispatchStop releases curl; in-flight requests are abandoned (their
 * leases expire and they go again).
 */
void
DispatchStop(void)
{
	int			i;

	if (multi == NULL)
		return;
	for (i = 0; i < easy_pool_len; i++)
		curl_easy_cleanup(easy_pool[i]);
	easy_pool_len = 0;
	curl_multi_cleanup(multi);
	multi = NULL;
}

int
DispatchInFlight(void)
{
	return in_flight;
}

int
DispatchFreeSlots(void)
{
	return Max(campaigns_max_in_flight - in_flight, 0);
}

int
DispatchOutcomesPending(void)
{
	return outcomes_len;
}

TimestampTz
DispatchOldestOutcome(void)
{
	return outcomes_len > 0 ? outcomes[0].at : 0;
}

static char *
xstrdup(const char *s)
{
	char	   *r = strdup(s);

	if (r == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return r;
}

static void
RequestFree(Request *req)
{
	if (req->headers)
		curl_slist_free_all(req->headers);
	free(req->url);
	free(req->body);
	free(req);
}

/*
 * AddOutcome queues the outcome of a finished request for recording, with
 * the retry time computed here.
 */
static void
AddOutcome(Request *req, long http_status, bool transport_error, const char *detail)
{
	Outcome    *o;
	const char *what = DispatchClassify(http_status, transport_error);
	TimestampTz now = GetCurrentTimestamp();

	if (outcomes_len == outcomes_cap)
	{
		int			cap = outcomes_cap == 0 ? 256 : outcomes_cap * 2;
		Outcome    *n = realloc(outcomes, sizeof(Outcome) * cap);

		if (n == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		outcomes = n;
		outcomes_cap = cap;
	}
	o = &outcomes[outcomes_len++];
	o->action_id = req->action_id;
	o->outcome = what;
	o->at = now;
	o->http_status = (int) http_status;
	o->detail = detail ? strdup(detail) : NULL;
	o->retry_at = 0;
	if (strcmp(what, "retry") == 0)
	{
		int64		ms = DispatchBackoffMs(req->attempt, req->retry_after_ms,
										   pg_prng_double(&jitter_state));

		o->retry_at = TimestampTzPlusMilliseconds(now, ms);
		if (req->attempt >= campaigns_max_attempts)
			WorkerCount(WC_FAILED, 1);
		else
			WorkerCount(WC_RETRIED, 1);
	}
	else if (strcmp(what, "sent") == 0)
		WorkerCount(WC_SENT, 1);
	else
		WorkerCount(WC_FAILED, 1);
}

/*
 * DispatchForgetOutcomes drops outcomes not recorded.
 */
void
DispatchForgetOutcomes(void)
{
	int			i;

	for (i = 0; i < outcomes_len; i++)
		free(outcomes[i].detail);
	outcomes_len = 0;
}

/*
 * DispatchRecordOutcomes records every pending outcome in one SQL call, in
 * the caller's transaction.
 */
int
DispatchRecordOutcomes(void)
{
	int			n = outcomes_len;
	Datum	   *ids,
			   *whats,
			   *ats,
			   *statuses,
			   *details,
			   *retry_ats;
	bool	   *status_nulls,
			   *detail_nulls,
			   *retry_nulls;
	int			dims[1];
	int			lbs[1] = {1};
	Oid			argtypes[6] = {INT8ARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID,
	INT4ARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		args[6];
	int			i,
				rc;

	if (n == 0)
		return 0;
	ids = palloc(sizeof(Datum) * n);
	whats = palloc(sizeof(Datum) * n);
	ats = palloc(sizeof(Datum) * n);
	statuses = palloc(sizeof(Datum) * n);
	details = palloc(sizeof(Datum) * n);
	retry_ats = palloc(sizeof(Datum) * n);
	status_nulls = palloc0(sizeof(bool) * n);
	detail_nulls = palloc0(sizeof(bool) * n);
	retry_nulls = palloc0(sizeof(bool) * n);
	for (i = 0; i < n; i++)
	{
		Outcome    *o = &outcomes[i];

		ids[i] = Int64GetDatum(o->action_id);
		whats[i] = CStringGetTextDatum(o->outcome);
		ats[i] = TimestampTzGetDatum(o->at);
		statuses[i] = Int32GetDatum(o->http_status);
		status_nulls[i] = (o->http_status == 0);
		details[i] = o->detail ? CStringGetTextDatum(o->detail) : (Datum) 0;
		detail_nulls[i] = (o->detail == NULL);
		retry_ats[i] = TimestampTzGetDatum(o->retry_at);
		retry_nulls[i] = (o->retry_at == 0);
	}
	dims[0] = n;
	args[0] = PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[1] = PointerGetDatum(construct_array(whats, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_array(ats, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[3] = PointerGetDatum(construct_md_array(statuses, status_nulls, 1, dims, lbs, INT4OID, 4, true, TYPALIGN_INT));
	args[4] = PointerGetDatum(construct_md_array(details, detail_nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
	args[5] = PointerGetDatum(construct_md_array(retry_ats, retry_nulls, 1, dims, lbs, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));

	rc = SPI_execute_with_args(RECORD_OUTCOMES_SQL, 6, argtypes, args, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "recording dispatch outcomes failed: %s", SPI_result_code_string(rc));
	DispatchForgetOutcomes();
	return n;
}

/*
 * DispatchClaim claims up to n due actions in the caller's transaction;
 * they start after commit (DispatchLaunchClaimed).
 */
int
DispatchClaim(int n)
{
	Oid			argtypes[2] = {INT4OID, INT4OID};
	Datum		args[2];
	int			lease_ms;
	int			rc;
	uint64		i;

	lease_ms = Max(campaigns_lease_seconds * 1000, 2 * campaigns_request_timeout_ms + 1000);
	args[0] = Int32GetDatum(n);
	args[1] = Int32GetDatum(lease_ms);
	rc = SPI_execute_with_args("SELECT action_id, attempt, idempotency_key, url, auth_header, body"
							   " FROM campaigns._dispatch_claim($1, $2)",
							   2, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "claiming actions failed: %s", SPI_result_code_string(rc));

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Request    *req;
		char	   *key,
				   *url,
				   *auth,
				   *body;
		char	   *line;

		req = calloc(1, sizeof(Request));
		if (req == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		req->next = claimed;
		claimed = req;
		req->retry_after_ms = -1;
		req->action_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		req->attempt = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		key = SPI_getvalue(tup, desc, 3);
		url = SPI_getvalue(tup, desc, 4);
		auth = SPI_getvalue(tup, desc, 5);
		body = SPI_getvalue(tup, desc, 6);
		req->url = url ? xstrdup(url) : NULL;
		req->body = xstrdup(body ? body : "{}");
		req->headers = curl_slist_append(NULL, "Content-Type: application/json");
		req->headers = curl_slist_append(req->headers, "Expect:");
		line = psprintf("Idempotency-Key: %s", key);
		req->headers = curl_slist_append(req->headers, line);
		if (auth && auth[0] != '\0')
		{
			if (strchr(auth, ':') != NULL)
				line = psprintf("%s", auth);
			else
				line = psprintf("Authorization: %s", auth);
			req->headers = curl_slist_append(req->headers, line);
		}
		if (req->headers == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	WorkerCount(WC_CLAIMED, (int64) SPI_processed);
	return (int) SPI_processed;
}

/*
 * DispatchForgetClaimed drops claims of a transaction that rolled back.
 */
void
DispatchForgetClaimed(void)
{
	while (claimed)
	{
		Request    *next = claimed->next;

		RequestFree(claimed);
		claimed = next;
	}
}

/*
 * EasyGet hands out an easy handle, reusing finished ones (the connections
 * themselves live in the multi handle's cache).
 */
static CURL *
EasyGet(void)
{
	CURL	   *easy;

	if (easy_pool_len > 0)
	{
		easy = easy_pool[--easy_pool_len];
		curl_easy_reset(easy);
		return easy;
	}
	easy = curl_easy_init();
	if (easy == NULL)
		elog(ERROR, "curl_easy_init failed");
	return easy;
}

/*
 * EasyPut returns a finished easy handle to the pool.
 */
static void
EasyPut(CURL *easy)
{
	if (easy_pool_len == easy_pool_cap)
	{
		int			cap = easy_pool_cap == 0 ? 64 : easy_pool_cap * 2;
		CURL	  **n = realloc(easy_pool, sizeof(CURL *) * cap);

		if (n == NULL)
		{
			curl_easy_cleanup(easy);
			return;
		}
		easy_pool = n;
		easy_pool_cap = cap;
	}
	easy_pool[easy_pool_len++] = easy;
}

/*
 * DispatchLaunchClaimed starts the requests of the claims just committed.
 * An action whose channel has no endpoint is retried like a refused
 * connection: configuring the endpoint lets it go.
 */
void
DispatchLaunchClaimed(void)
{
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) campaigns_max_in_flight);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long) campaigns_max_in_flight);

	while (claimed)
	{
		Request    *req = claimed;
		CURL	   *easy;

		claimed = req->next;
		req->next = NULL;
		if (req->url == NULL)
		{
			AddOutcome(req, 0, true, "no delivery endpoint configured for the action's channel");
			RequestFree(req);
			continue;
		}
		easy = EasyGet();
		req->easy = easy;
		curl_easy_setopt(easy, CURLOPT_URL, req->url);
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long) strlen(req->body));
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, req->headers);
		curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) campaigns_request_timeout_ms);
		curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(easy, CURLOPT_USERAGENT, "campaigns-dispatch");
		curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, CurlWrite);
		curl_easy_setopt(easy, CURLOPT_WRITEDATA, req);
		curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, CurlHeader);
		curl_easy_setopt(easy, CURLOPT_HEADERDATA, req);
		curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, req->errbuf);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, req);
		if (curl_multi_add_handle(multi, easy) != CURLM_OK)
		{
			AddOutcome(req, 0, true, "could not start the request");
			EasyPut(easy);
			RequestFree(req);
			continue;
		}
		in_flight++;
	}
	WorkerSetInFlight(in_flight);
}

/*
 * DispatchPerform advances the requests in flight, waiting up to wait_ms
 * for network activity, and turns finished ones into outcomes.  Returns
 * how many finished.
 */
int
DispatchPerform(long wait_ms)
{
	int			running;
	int			done = 0;
	int			msgs;
	CURLMsg    *msg;

	if (multi == NULL || in_flight == 0)
		return 0;
	curl_multi_perform(multi, &running);
	if (running == in_flight && wait_ms > 0)
	{
		curl_multi_poll(multi, NULL, 0, (int) wait_ms, NULL);
		curl_multi_perform(multi, &running);
	}

	while ((msg = curl_multi_info_read(multi, &msgs)) != NULL)
	{
		Request    *req;
		CURL	   *easy;

		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &req);
		if (msg->data.result == CURLE_OK)
		{
			long		status = 0;
			const char *what;

			curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
			what = DispatchClassify(status, false);
			if (strcmp(what, "sent") == 0)
				AddOutcome(req, status, false, NULL);
			else
			{
				char		detail[SNIPPET_MAX + 32];

				snprintf(detail, sizeof(detail), "HTTP %ld%s%s", status,
						 req->snippet_len > 0 ? ": " : "", req->snippet);
				AddOutcome(req, status, false, detail);
			}
		}
		else
		{
			const char *err = req->errbuf[0] ? req->errbuf : curl_easy_strerror(msg->data.result);
			char		detail[CURL_ERROR_SIZE + 64];
			int			k;

			snprintf(detail, sizeof(detail), "%s", err);
			for (k = 0; detail[k]; k++)
				if ((unsigned char) detail[k] < 0x20 || (unsigned char) detail[k] >= 0x7f)
					detail[k] = ' ';
			AddOutcome(req, 0, true, detail);
		}
		curl_multi_remove_handle(multi, easy);
		EasyPut(easy);
		RequestFree(req);
		in_flight--;
		done++;
	}
	WorkerSetInFlight(in_flight);
	return done;
}
