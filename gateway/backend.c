/*-------------------------------------------------------------------------
 *
 * gateway/backend.c
 *		The gateway's one call into the database: campaigns.http_handle.
 *
 * For each request the server thread runs
 *
 *		SELECT status, headers, body
 *		  FROM campaigns.http_handle(method, path, query, headers, body)
 *
 * on its own libpq connection (opened on first use, reopened after a
 * failure) with the statement prepared on it, so the pool never holds more
 * connections than threads.  Routing, authentication, rate limits,
 * validation and error mapping all happen in the database; this file only
 * turns the row into a Response, and a database it cannot reach into a 503.
 *
 *-------------------------------------------------------------------------
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "gateway.h"

#define STMT_NAME "http_handle"
#define STMT_SQL \
	"SELECT status, headers, body FROM campaigns.http_handle($1, $2, $3, $4::jsonb, $5)"

/* One database connection per server thread. */
typedef struct ConnSlot
{
	PGconn	   *conn;
} ConnSlot;

static ConnSlot slots[MAX_THREADS];
static int	nslots = 0;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread ConnSlot *my_slot = NULL;

/*
 * notice_ignore drops server notices: they would interleave with the access
 * log, and http_handle reports nothing a client or operator needs that way.
 */
static void
notice_ignore(void *arg, const char *message)
{
	(void) arg;
	(void) message;
}

/*
 * db_connect opens this thread's connection and prepares the statement;
 * NULL when the database cannot be reached.
 */
static PGconn *
db_connect(void)
{
	const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *vals[] = {"5", "campaigns-gateway", cfg_db, NULL};
	PGconn	   *conn;
	PGresult   *res;
	char		sql[64];

	conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		log_msg("cannot connect to the database: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, notice_ignore, NULL);
	snprintf(sql, sizeof(sql), "SET statement_timeout = %u", cfg_timeout * 1000);
	res = PQexec(conn, sql);
	PQclear(res);
	res = PQprepare(conn, STMT_NAME, STMT_SQL, 5, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		log_msg("cannot prepare the http_handle call: %s", PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

/*
 * thread_slot returns the calling server thread's connection slot, taking
 * one on the thread's first request.
 */
static ConnSlot *
thread_slot(void)
{
	if (my_slot == NULL)
	{
		pthread_mutex_lock(&slots_lock);
		if (nslots < MAX_THREADS)
			my_slot = &slots[nslots++];
		pthread_mutex_unlock(&slots_lock);
	}
	return my_slot;
}

/*
 * backend_thread_start opens the calling server thread's connection before
 * it serves anyone: its descriptor is taken before clients can take them
 * all, and the first request does not wait for it.  A database that is not
 * up yet is tried again on the first request.
 */
void
backend_thread_start(void)
{
	ConnSlot   *slot = thread_slot();

	if (slot != NULL && slot->conn == NULL)
		slot->conn = db_connect();
}

/*
 * backend_close_all closes every thread's connection at shutdown, once the
 * server threads (and so the users of the connections) have stopped.
 */
void
backend_close_all(void)
{
	pthread_mutex_lock(&slots_lock);
	for (int i = 0; i < nslots; i++)
	{
		if (slots[i].conn != NULL)
			PQfinish(slots[i].conn);
		slots[i].conn = NULL;
	}
	pthread_mutex_unlock(&slots_lock);
}

/*
 * add_json_headers adds the headers of a flat JSON object of strings (what
 * http_handle returns, as jsonb's text) to a response.  A name that is not
 * a token or a value holding a control character is skipped (it would
 * split the header); so are the framing headers, which the server writes.
 */
static bool
add_json_headers(Response *resp, const char *json)
{
	const char *p = json;
	Buf			name = {0};
	Buf			value = {0};
	bool		ok = true;

	while (*p == ' ')
		p++;
	if (*p++ != '{')
		return false;
	for (;;)
	{
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '}')
			break;
		name.len = 0;
		value.len = 0;
		ok = json_parse_string(&p, &name);
		while (ok && *p == ' ')
			p++;
		ok = ok && *p++ == ':';
		while (ok && *p == ' ')
			p++;
		ok = ok && json_parse_string(&p, &value);
		if (!ok)
			break;
		if (strcasecmp(name.data, "content-length") == 0 ||
			strcasecmp(name.data, "transfer-encoding") == 0 ||
			strcasecmp(name.data, "connection") == 0 ||
			strcasecmp(name.data, "date") == 0)
			continue;
		response_header(resp, name.data, value.data);
	}
	buf_free(&name);
	buf_free(&value);
	return ok;
}

static void
release_result(void *arg)
{
	PQclear((PGresult *) arg);
}

/*
 * backend_handle runs http_handle for the request and fills the response
 * from its row.  A connection found closed before the call is reopened
 * first; one that breaks during the call is closed and reopened, and a GET
 * is retried once on the new connection (reading twice is harmless),
 * anything else gets 503.
 */
void
backend_handle(const Request *req, Response *resp)
{
	ConnSlot   *slot = thread_slot();
	const char *params[5];
	PGresult   *res = NULL;
	bool		retry_ok = strcmp(req->method, "GET") == 0;
	int			status;

	if (slot == NULL)
	{
		response_error(resp, 503, "SERVICE_UNAVAILABLE", "no database connection slot");
		return;
	}
	params[0] = req->method;
	params[1] = req->path.data;
	params[2] = req->query.data;
	params[3] = req->headers.data;
	params[4] = req->body.len > 0 ? req->body.data : "";

	/*
	 * A connection the server has closed while it sat idle (a restart, an
	 * idle timeout) shows as readable: find out before sending anything, so
	 * that a restart costs no request that arrives after it.
	 */
	if (slot->conn != NULL)
	{
		struct pollfd pfd = {PQsocket(slot->conn), POLLIN, 0};

		/* An idle connection has nothing to say: input means a goodbye. */
		if (PQstatus(slot->conn) != CONNECTION_OK || pfd.fd < 0 || poll(&pfd, 1, 0) != 0)
		{
			log_msg("database connection closed while idle");
			PQfinish(slot->conn);
			slot->conn = NULL;
		}
	}
	for (int attempt = 0; attempt < 2; attempt++)
	{
		if (slot->conn == NULL)
			slot->conn = db_connect();
		if (slot->conn == NULL)
			break;
		res = PQexecPrepared(slot->conn, STMT_NAME, 5, params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK || PQstatus(slot->conn) == CONNECTION_OK)
			break;
		log_msg("database connection lost: %s", PQerrorMessage(slot->conn));
		PQclear(res);
		res = NULL;
		PQfinish(slot->conn);
		slot->conn = NULL;
		if (!retry_ok)
			break;
	}

	if (res == NULL)
	{
		response_error(resp, 503, "SERVICE_UNAVAILABLE", "database unavailable");
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		log_msg("http_handle failed: %s", PQresultErrorMessage(res));
		if (state != NULL && (strcmp(state, "57014") == 0 || strncmp(state, "57P", 3) == 0 ||
							  strcmp(state, "53300") == 0 || strcmp(state, "40001") == 0 ||
							  strcmp(state, "40P01") == 0))
			response_error(resp, 503, "SERVICE_UNAVAILABLE", "try again");
		else
			response_error(resp, 500, "INTERNAL_ERROR", "internal error");
		PQclear(res);
		return;
	}

	status = atoi(PQgetvalue(res, 0, 0));
	if (status < 100 || status > 599)
		status = 500;
	resp->status = (unsigned int) status;
	if (!PQgetisnull(res, 0, 1) && !add_json_headers(resp, PQgetvalue(res, 0, 1)))
		log_msg("ignored malformed response headers: %s", PQgetvalue(res, 0, 1));
	resp->body = PQgetvalue(res, 0, 2);
	resp->body_len = (size_t) PQgetlength(res, 0, 2);
	resp->release = release_result;
	resp->release_arg = res;
}
