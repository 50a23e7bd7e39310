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
 * The multi handle is driven by a plain thread of the worker process (the
 * "I/O thread"): it adds the requests handed to it, runs curl and hands back
 * the finished ones, so the sockets and the kernel's work on them use the
 * second core while the worker's main thread runs SQL.  The I/O thread calls
 * libcurl and the C library only, never PostgreSQL: it allocates nothing
 * with palloc, raises no errors, and blocks every signal (they stay with the
 * main thread).  Everything else -- claims, outcome classification, retries,
 * recording -- stays in the main thread, which owns every Request except
 * while it is in the I/O thread's hands.
 *
 * Every connection goes through the outbound guard (outbound.c): curl
 * opens each socket through CurlOpenSocket, which refuses an address the
 * guard does not allow before any packet leaves, and CurlPrereq checks the
 * address again before each request, also on a reused connection (the
 * allow-list may have shrunk on SIGHUP since it was opened).  Only http and
 * https, no redirects, no proxy (from the environment or otherwise: with
 * one, the address connected to would be the proxy's).  A refused
 * connection fails its action at once, with the address in last_error.
 *
 * What is sent and how an answer is judged -- the claim's rows, the JSON
 * bodies, the outcome policy -- is in dispatch_claim.c, which knows nothing
 * of curl.  This is the only file that includes curl.  Requests and outcomes
 * live in malloc'd memory owned by this module, since they outlive
 * transactions.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "dispatch.h"
#include "dispatch_claim.h"
#include "outbound.h"
#include "plans.h"

/* Bytes of a failed response kept in last_error. */
#define SNIPPET_MAX 200
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
	long		timeout_ms;		/* campaigns.request_timeout_ms at launch */
	/* An outcome decided at claim time (the auth header), or NULL. */
	const char *preset_outcome;
	char		preset_detail[256];
	/* Set by the I/O thread's socket callbacks. */
	char		refused[OUTBOUND_ADDR_LEN]; /* the first address refused */
	bool		opened_allowed; /* a socket to an allowed address opened */
	bool		prereq_refused; /* refused before the request was sent */
	/* Set by the I/O thread when the request finished. */
	CURLcode	result;
	long		http_status;
	bool		start_failed;	/* curl_multi_add_handle refused it */
	TimestampTz done_at;
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

static CURLM *multi = NULL;		/* used by the I/O thread only, but for
								 * curl_multi_wakeup */
static Request *claimed = NULL; /* claimed in the open transaction */
static int	in_flight = 0;		/* handed to the I/O thread, not collected */

/*
 * The I/O thread and what it shares with the main thread: requests to start
 * and requests finished (lists under io_mutex), and a pipe on which it
 * signals that some finished.
 */
static pthread_t io_thread;
static bool io_thread_started = false;
static pthread_mutex_t io_mutex = PTHREAD_MUTEX_INITIALIZER;
static Request *io_incoming = NULL;
static Request *io_finished = NULL;
static bool io_stop = false;
static long io_max_connections = 64;
static int	io_notify[2] = {-1, -1};
static CURL **easy_pool = NULL;
static int	easy_pool_len = 0;
static int	easy_pool_cap = 0;
static Outcome *outcomes = NULL;
static int	outcomes_len = 0;
static int	outcomes_cap = 0;
static pg_prng_state jitter_state;
static DispatchCounts counts;	/* since the last DispatchTakeCounts */
/* Plans the worker keeps for its whole life. */
static SPIPlanPtr record_plan = NULL;
static SPIPlanPtr claim_plan = NULL;

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
 * CurlOpenSocket opens each socket curl connects with, after DNS, unless
 * the outbound guard refuses its address: then no packet is sent, the
 * address is noted for last_error, and curl tries the name's next address
 * if it has one.  Runs in the I/O thread: plain C only.
 */
static curl_socket_t
CurlOpenSocket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	Request    *req = (Request *) clientp;
	char		text[OUTBOUND_ADDR_LEN];
	bool		allowed;

	if (purpose != CURLSOCKTYPE_IPCXN)
	{
		snprintf(text, sizeof(text), "(a socket of another kind)");
		allowed = false;
	}
	else
		allowed = OutboundSockaddrAllowed(&address->addr, text, sizeof(text));
	if (!allowed)
	{
		if (req->refused[0] == '\0')
			snprintf(req->refused, sizeof(req->refused), "%s", text);
		return CURL_SOCKET_BAD;
	}
	req->opened_allowed = true;
	return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

/*
 * CurlPrereq checks the address of the connection a request is about to be
 * sent on, new or reused, and aborts the request when the guard refuses it
 * now.  Runs in the I/O thread: plain C only.
 */
static int
CurlPrereq(void *clientp, char *conn_primary_ip, char *conn_local_ip,
		   int conn_primary_port, int conn_local_port)
{
	Request    *req = (Request *) clientp;
	char		text[OUTBOUND_ADDR_LEN];

	if (OutboundNumericAllowed(conn_primary_ip, text, sizeof(text)))
		return CURL_PREREQFUNC_OK;
	snprintf(req->refused, sizeof(req->refused), "%s", text);
	req->prereq_refused = true;
	return CURL_PREREQFUNC_ABORT;
}

/*
 * EasyGet hands out an easy handle, reusing finished ones (the connections
 * themselves live in the multi handle's cache), or NULL.  The easy handles
 * belong to the I/O thread: curl allocates and frees their buffers in that
 * thread only (DispatchStop cleans the pool up after joining it).
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
	return curl_easy_init();
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
 * IoThreadMain is the I/O thread: it starts the requests handed to it,
 * drives curl, and hands back the finished requests with their result.
 * It calls libcurl and the C library only (GetCurrentTimestamp is
 * gettimeofday), never PostgreSQL.
 */
static void *
IoThreadMain(void *arg)
{
	long		max_connections = -1;

	for (;;)
	{
		Request    *start;
		Request    *done = NULL;
		Request    *done_tail = NULL;
		bool		stop;
		long		want_connections;
		int			running;
		int			msgs;
		CURLMsg    *msg;

		pthread_mutex_lock(&io_mutex);
		start = io_incoming;
		io_incoming = NULL;
		stop = io_stop;
		want_connections = io_max_connections;
		pthread_mutex_unlock(&io_mutex);
		if (stop)
			break;

		if (want_connections != max_connections)
		{
			curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, want_connections);
			curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, want_connections);
			max_connections = want_connections;
		}
		while (start)
		{
			Request    *req = start;
			CURL	   *easy;

			start = req->next;
			req->next = NULL;
			easy = EasyGet();
			if (easy != NULL)
			{
				curl_easy_setopt(easy, CURLOPT_URL, req->url);
				curl_easy_setopt(easy, CURLOPT_POST, 1L);
				curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body);
				curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long) strlen(req->body));
				curl_easy_setopt(easy, CURLOPT_HTTPHEADER, req->headers);
				curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, req->timeout_ms);
				curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
				curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
				curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
				curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
				curl_easy_setopt(easy, CURLOPT_PROXY, "");
				curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, CurlOpenSocket);
				curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, req);
				curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, CurlPrereq);
				curl_easy_setopt(easy, CURLOPT_PREREQDATA, req);
				curl_easy_setopt(easy, CURLOPT_USERAGENT, "campaigns-dispatch");
				curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, CurlWrite);
				curl_easy_setopt(easy, CURLOPT_WRITEDATA, req);
				curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, CurlHeader);
				curl_easy_setopt(easy, CURLOPT_HEADERDATA, req);
				curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, req->errbuf);
				curl_easy_setopt(easy, CURLOPT_PRIVATE, req);
				if (curl_multi_add_handle(multi, easy) != CURLM_OK)
				{
					EasyPut(easy);
					easy = NULL;
				}
			}
			req->easy = easy;
			if (easy == NULL)
			{
				req->start_failed = true;
				req->done_at = GetCurrentTimestamp();
				if (done_tail)
					done_tail->next = req;
				else
					done = req;
				done_tail = req;
			}
		}

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &msgs)) != NULL)
		{
			Request    *req;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &req);
			req->result = msg->data.result;
			if (req->result == CURLE_OK)
				curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &req->http_status);
			req->done_at = GetCurrentTimestamp();
			curl_multi_remove_handle(multi, msg->easy_handle);
			EasyPut(msg->easy_handle);
			req->easy = NULL;
			if (done_tail)
				done_tail->next = req;
			else
				done = req;
			done_tail = req;
		}

		if (done)
		{
			ssize_t		rc;

			pthread_mutex_lock(&io_mutex);
			done_tail->next = io_finished;
			io_finished = done;
			pthread_mutex_unlock(&io_mutex);
			/* A full pipe already says "something finished". */
			rc = write(io_notify[1], "x", 1);
			(void) rc;
		}

		/* Until a socket is ready, curl's next timeout, or a wake-up. */
		curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}

/*
 * DispatchStart creates the multi handle and the I/O thread; called once
 * in the worker.
 */
void
DispatchStart(void)
{
	struct rlimit rl;
	sigset_t	all,
				old;
	int			rc;

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

	if (pipe(io_notify) != 0 ||
		fcntl(io_notify[0], F_SETFL, O_NONBLOCK) != 0 ||
		fcntl(io_notify[1], F_SETFL, O_NONBLOCK) != 0 ||
		fcntl(io_notify[0], F_SETFD, FD_CLOEXEC) != 0 ||
		fcntl(io_notify[1], F_SETFD, FD_CLOEXEC) != 0)
		elog(ERROR, "could not create the dispatcher's pipe: %m");

	/*
	 * One malloc arena for both threads: with an arena of its own the I/O
	 * thread's resident memory kept creeping up (~25-35 kB per 150,000
	 * requests); with one, the worker's memory stays flat.
	 */
#ifdef M_ARENA_MAX
	(void) mallopt(M_ARENA_MAX, 1);
#endif

	/*
	 * The thread blocks every signal, so that PostgreSQL's handlers (latch,
	 * SIGTERM, SIGHUP) always run in the main thread.
	 */
	outbound_log_changes = true;
	io_stop = false;
	io_max_connections = campaigns_max_in_flight;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&io_thread, NULL, IoThreadMain, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		elog(ERROR, "could not start the dispatcher's I/O thread: %s", strerror(rc));
	io_thread_started = true;
}

/*
 * DispatchStop stops the I/O thread and releases curl; requests in flight
 * are abandoned (their leases expire and they go again).
 */
void
DispatchStop(void)
{
	int			i;

	if (multi == NULL)
		return;
	if (io_thread_started)
	{
		pthread_mutex_lock(&io_mutex);
		io_stop = true;
		pthread_mutex_unlock(&io_mutex);
		curl_multi_wakeup(multi);
		pthread_join(io_thread, NULL);
		io_thread_started = false;
	}
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

/*
 * RequestFree frees a request; its header lines (one may be a decrypted
 * auth header) are cleared first.
 */
static void
RequestFree(Request *req)
{
	struct curl_slist *h;

	for (h = req->headers; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	if (req->headers)
		curl_slist_free_all(req->headers);
	free(req->url);
	free(req->body);
	free(req);
}

/*
 * AddOutcomeAs queues the outcome what (sent, retry or failed) of a request
 * that finished at now for recording, with the retry time computed here.
 */
static void
AddOutcomeAs(Request *req, const char *what, long http_status, const char *detail,
			 TimestampTz now)
{
	Outcome    *o;

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
			counts.failed++;
		else
			counts.retried++;
	}
	else if (strcmp(what, "sent") == 0)
		counts.sent++;
	else
		counts.failed++;
}

/*
 * AddOutcome queues the outcome of a request as the outcome policy
 * classifies it.
 */
static void
AddOutcome(Request *req, long http_status, bool transport_error, const char *detail,
		   TimestampTz now)
{
	AddOutcomeAs(req, DispatchClassify(http_status, transport_error), http_status, detail, now);
}

/*
 * DispatchTakeCounts hands the counts since the last call to the caller
 * (the worker publishes them) and starts counting afresh.
 */
void
DispatchTakeCounts(DispatchCounts *out)
{
	*out = counts;
	memset(&counts, 0, sizeof(counts));
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

	if (record_plan == NULL)
		record_plan = KeepPlan(RECORD_OUTCOMES_SQL, 6, argtypes, 0);
	rc = SPI_execute_plan(record_plan, args, NULL, false, 1);
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
	StringInfoData body;

	lease_ms = Max(campaigns_lease_seconds * 1000, 2 * campaigns_request_timeout_ms + 1000);
	args[0] = Int32GetDatum(n);
	args[1] = Int32GetDatum(lease_ms);
	if (claim_plan == NULL)
		claim_plan = KeepPlan(CLAIM_ROWS_SQL, 2, argtypes, 0);
	rc = SPI_execute_plan(claim_plan, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "claiming actions failed: %s", SPI_result_code_string(rc));

	initStringInfo(&body);
	for (i = 0; i < SPI_processed; i++)
	{
		ClaimRow	row;
		Request    *req;
		char	   *line;
		int			name_len;
		const char *why;
		ClaimAuth	auth;

		req = calloc(1, sizeof(Request));
		if (req == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		req->next = claimed;
		claimed = req;
		req->retry_after_ms = -1;
		ClaimRowRead(&row, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
		req->action_id = DatumGetInt64(row.values[CR_ACTION_ID - 1]);
		req->attempt = DatumGetInt32(row.values[CR_ATTEMPT - 1]);
		req->url = row.nulls[CR_URL - 1] ? NULL :
			xstrdup(TextDatumGetCString(row.values[CR_URL - 1]));
		resetStringInfo(&body);
		DispatchBuildBody(&body, &row);
		req->body = xstrdup(body.data);
		req->headers = curl_slist_append(NULL, "Content-Type: application/json");
		req->headers = curl_slist_append(req->headers, "Expect:");
		line = psprintf("Idempotency-Key: %s", row.nulls[CR_IDEMPOTENCY_KEY - 1] ? "" :
						TextDatumGetCString(row.values[CR_IDEMPOTENCY_KEY - 1]));
		req->headers = curl_slist_append(req->headers, line);
		auth = DispatchAuthHeader(&row, &line, &name_len, &why);
		switch (auth)
		{
			case CLAIM_AUTH_NONE:
				break;
			case CLAIM_AUTH_LINE:
				req->headers = curl_slist_append(req->headers, line);
				explicit_bzero(line, strlen(line));
				break;
			case CLAIM_AUTH_RETRY:
			case CLAIM_AUTH_FAILED:
				req->preset_outcome = auth == CLAIM_AUTH_RETRY ? "retry" : "failed";
				snprintf(req->preset_detail, sizeof(req->preset_detail),
						 "the delivery endpoint's auth header cannot be sent: %s", why);
				break;
		}
		if (req->headers == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	counts.claimed += (int64) SPI_processed;
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
 * DispatchLaunchClaimed starts the requests of the claims just committed.
 * An action whose channel has no endpoint is retried like a refused
 * connection: configuring the endpoint lets it go.  One whose auth header
 * cannot be used gets the outcome decided at the claim (retried while the
 * key is unavailable, failed when the stored header is bad).
 */
void
DispatchLaunchClaimed(void)
{
	Request    *handed = NULL;
	Request    *handed_tail = NULL;

	while (claimed)
	{
		Request    *req = claimed;

		claimed = req->next;
		req->next = NULL;
		if (req->url == NULL)
		{
			AddOutcome(req, 0, true, "no delivery endpoint configured for the action's channel",
					   GetCurrentTimestamp());
			RequestFree(req);
			continue;
		}
		if (req->preset_outcome != NULL)
		{
			AddOutcomeAs(req, req->preset_outcome, 0, req->preset_detail, GetCurrentTimestamp());
			RequestFree(req);
			continue;
		}
		req->timeout_ms = campaigns_request_timeout_ms;
		if (handed_tail)
			handed_tail->next = req;
		else
			handed = req;
		handed_tail = req;
		in_flight++;
	}
	if (handed)
	{
		pthread_mutex_lock(&io_mutex);
		handed_tail->next = io_incoming;
		io_incoming = handed;
		io_max_connections = campaigns_max_in_flight;
		pthread_mutex_unlock(&io_mutex);
		curl_multi_wakeup(multi);
	}
}

/*
 * DispatchCollect turns the requests the I/O thread finished into
 * outcomes.  Returns how many finished.
 */
static int
DispatchCollect(void)
{
	Request    *done;
	char		drain[64];
	int			n = 0;

	while (read(io_notify[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&io_mutex);
	done = io_finished;
	io_finished = NULL;
	pthread_mutex_unlock(&io_mutex);

	while (done)
	{
		Request    *req = done;

		done = req->next;
		req->next = NULL;
		if (req->start_failed)
			AddOutcome(req, 0, true, "could not start the request", req->done_at);
		else if (req->result != CURLE_OK && req->refused[0] != '\0' &&
				 (req->prereq_refused || !req->opened_allowed))
		{
			/* The guard refused every address tried: not worth a retry. */
			char		detail[sizeof(OUTBOUND_REFUSED_FMT) + OUTBOUND_ADDR_LEN];

			snprintf(detail, sizeof(detail), OUTBOUND_REFUSED_FMT, req->refused);
			AddOutcomeAs(req, "failed", 0, detail, req->done_at);
		}
		else if (req->result == CURLE_OK)
		{
			const char *what = DispatchClassify(req->http_status, false);

			if (strcmp(what, "sent") == 0)
				AddOutcome(req, req->http_status, false, NULL, req->done_at);
			else
			{
				char		detail[SNIPPET_MAX + 32];

				snprintf(detail, sizeof(detail), "HTTP %ld%s%s", req->http_status,
						 req->snippet_len > 0 ? ": " : "", req->snippet);
				AddOutcome(req, req->http_status, false, detail, req->done_at);
			}
		}
		else
		{
			const char *err = req->errbuf[0] ? req->errbuf : curl_easy_strerror(req->result);
			char		detail[CURL_ERROR_SIZE + 64];
			int			k;

			snprintf(detail, sizeof(detail), "%s", err);
			for (k = 0; detail[k]; k++)
				if ((unsigned char) detail[k] < 0x20 || (unsigned char) detail[k] >= 0x7f)
					detail[k] = ' ';
			AddOutcome(req, 0, true, detail, req->done_at);
		}
		RequestFree(req);
		in_flight--;
		n++;
	}
	return n;
}

/*
 * DispatchPerform collects the requests the I/O thread finished, waiting
 * up to wait_ms for one to finish when none has.  Returns how many
 * finished.
 */
int
DispatchPerform(long wait_ms)
{
	int			done;

	if (multi == NULL || in_flight == 0)
		return 0;
	done = DispatchCollect();
	if (done == 0 && wait_ms > 0)
	{
		struct pollfd pfd;

		pfd.fd = io_notify[0];
		pfd.events = POLLIN;
		pfd.revents = 0;
		(void) poll(&pfd, 1, (int) wait_ms);
		done = DispatchCollect();
	}
	return done;
}
