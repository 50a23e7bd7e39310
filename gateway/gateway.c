/*-------------------------------------------------------------------------
 *
 * gateway/gateway.c
 *		campaigns-gateway: the HTTP front of campaigns.http_handle.
 *
 * A small stateless daemon that only moves bytes (SPEC §1): for each HTTP
 * request it calls
 *
 *		SELECT status, headers, body
 *		  FROM campaigns.http_handle(method, path, query, headers, body)
 *
 * and writes back what the database returns.  Routing, authentication, rate
 * limits, validation and error mapping all happen in the database.  The
 * gateway itself only refuses what it cannot carry: a body over the size
 * limit (413), a body that is not UTF-8 text (400), and requests while the
 * database is unreachable (503).
 *
 * It runs one libmicrohttpd daemon (one thread) per worker, all listening
 * on the same address with SO_REUSEPORT; each thread owns one libpq
 * connection (opened on first use, reopened after a failure) with the
 * statement prepared on it, so the pool never holds more connections than
 * threads.  SIGTERM or SIGINT stops accepting, lets requests in progress
 * finish, then closes every connection.  One log line per request goes to
 * stderr: METHOD PATH STATUS MICROSECONDS.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <microhttpd.h>

#define STMT_NAME "http_handle"
#define STMT_SQL \
	"SELECT status, headers, body FROM campaigns.http_handle($1, $2, $3, $4::jsonb, $5)"

#define MAX_THREADS 256

/* Configuration, from flags and environment. */
static const char *cfg_listen = "127.0.0.1:8080";
static const char *cfg_db = "postgresql:///postgres";
static unsigned int cfg_threads = 4;
static size_t cfg_max_body = 1048576;
static unsigned int cfg_timeout = 30;

/* One database connection per pool thread. */
typedef struct ConnSlot
{
	PGconn	   *conn;
} ConnSlot;

static ConnSlot slots[MAX_THREADS];
static int	nslots = 0;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread ConnSlot *my_slot = NULL;

static atomic_int active_requests = 0;

/* State of one request, from its request line to its completion. */
typedef struct Request
{
	struct timespec start;
	char	   *path;			/* raw path, still percent-encoded */
	char	   *query;			/* raw query string, without '?' */
	bool		started;
	bool		too_large;
	char	   *body;
	size_t		body_len;
	size_t		body_cap;
	unsigned int status;
	char		method[16];
} Request;

/*
 * die_usage prints an error about the command line and exits.
 */
static void
die_usage(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	fprintf(stderr, "campaigns-gateway: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry --help.\n");
	va_end(ap);
	exit(2);
}

/*
 * log_msg writes one diagnostic line to stderr.
 */
static void
log_msg(const char *fmt,...)
{
	char		buf[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "campaigns-gateway: %s\n", buf);
}

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
 * thread_slot returns the calling pool thread's connection slot, taking one
 * on the thread's first request.
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
 * close_all_connections closes every thread's connection at shutdown, once
 * the daemons (and so the threads using them) have stopped.
 */
static void
close_all_connections(void)
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

/* A growable string. */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static void
buf_reserve(Buf *b, size_t more)
{
	if (b->len + more + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;

		while (b->len + more + 1 > cap)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
		{
			log_msg("out of memory");
			abort();
		}
		b->cap = cap;
	}
}

static void
buf_append(Buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
buf_putc(Buf *b, char c)
{
	buf_append(b, &c, 1);
}

/*
 * utf8_seq_len returns the length of the valid UTF-8 sequence at s (at most
 * n bytes), or 0 when the bytes there are not UTF-8.
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t		len;
	uint32_t	cp;

	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xE0) == 0xC0)
	{
		len = 2;
		cp = s[0] & 0x1F;
	}
	else if ((s[0] & 0xF0) == 0xE0)
	{
		len = 3;
		cp = s[0] & 0x0F;
	}
	else if ((s[0] & 0xF8) == 0xF0)
	{
		len = 4;
		cp = s[0] & 0x07;
	}
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/*
 * valid_text says whether n bytes are UTF-8 without NUL: what a PostgreSQL
 * text parameter can carry unchanged.
 */
static bool
valid_text(const char *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		size_t		l;

		if (s[i] == '\0')
			return false;
		l = utf8_seq_len((const unsigned char *) s + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

/*
 * sanitize_text copies s into a NUL-terminated string that is valid UTF-8,
 * replacing each byte that is not (and control characters) with U+FFFD, for
 * the path, query and header values, which travel as text.
 */
static char *
sanitize_text(const char *s, size_t n)
{
	Buf			b = {0};

	buf_reserve(&b, n);
	b.data[0] = '\0';
	for (size_t i = 0; i < n;)
	{
		size_t		l = utf8_seq_len((const unsigned char *) s + i, n - i);

		if (l == 0 || (l == 1 && (unsigned char) s[i] < 0x20) || s[i] == 0x7F)
		{
			buf_append(&b, "\xEF\xBF\xBD", 3);
			i++;
		}
		else
		{
			buf_append(&b, s + i, l);
			i += l;
		}
	}
	return b.data;
}

/*
 * json_string appends s to b as a JSON string (s is valid UTF-8).
 */
static void
json_string(Buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
		{
			buf_putc(b, '\\');
			buf_putc(b, (char) c);
		}
		else if (c < 0x20)
		{
			char		esc[8];

			snprintf(esc, sizeof(esc), "\\u%04x", c);
			buf_append(b, esc, 6);
		}
		else
			buf_putc(b, (char) c);
	}
	buf_putc(b, '"');
}

/*
 * header_to_json appends one request header to the JSON object being built
 * in cls, its name in lower case and both as valid UTF-8 (http_handle treats
 * names case-insensitively either way; lower case is its fast path).
 */
static enum MHD_Result
header_to_json(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	Buf		   *b = cls;
	char	   *k;
	char	   *v;

	(void) kind;
	if (key == NULL)
		return MHD_YES;
	k = sanitize_text(key, strlen(key));
	v = sanitize_text(value ? value : "", value ? strlen(value) : 0);
	for (char *p = k; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char) (*p - 'A' + 'a');
	if (b->len > 1)
		buf_putc(b, ',');
	json_string(b, k);
	buf_putc(b, ':');
	json_string(b, v);
	free(k);
	free(v);
	return MHD_YES;
}

/*
 * json_parse_string reads the JSON string at *p (which points at its opening
 * quote) into out, decoding escapes, and advances *p past the closing quote.
 * False when it is not a well-formed string.
 */
static bool
json_parse_string(const char **p, Buf *out)
{
	const char *s = *p;

	if (*s != '"')
		return false;
	s++;
	while (*s && *s != '"')
	{
		if (*s != '\\')
		{
			buf_putc(out, *s++);
			continue;
		}
		s++;
		switch (*s)
		{
			case '"':
			case '\\':
			case '/':
				buf_putc(out, *s);
				break;
			case 'b':
				buf_putc(out, '\b');
				break;
			case 'f':
				buf_putc(out, '\f');
				break;
			case 'n':
				buf_putc(out, '\n');
				break;
			case 'r':
				buf_putc(out, '\r');
				break;
			case 't':
				buf_putc(out, '\t');
				break;
			case 'u':
				{
					unsigned int cp;
					char		enc[4];
					int			n;

					if (sscanf(s + 1, "%4x", &cp) != 1)
						return false;
					s += 4;
					if (cp < 0x80)
					{
						enc[0] = (char) cp;
						n = 1;
					}
					else if (cp < 0x800)
					{
						enc[0] = (char) (0xC0 | (cp >> 6));
						enc[1] = (char) (0x80 | (cp & 0x3F));
						n = 2;
					}
					else
					{
						enc[0] = (char) (0xE0 | (cp >> 12));
						enc[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
						enc[2] = (char) (0x80 | (cp & 0x3F));
						n = 3;
					}
					buf_append(out, enc, (size_t) n);
					break;
				}
			default:
				return false;
		}
		s++;
	}
	if (*s != '"')
		return false;
	*p = s + 1;
	if (out->data == NULL)
	{
		buf_reserve(out, 0);
		out->data[0] = '\0';
	}
	return true;
}

/*
 * add_json_headers adds the headers of a flat JSON object of strings (what
 * http_handle returns, as jsonb's text) to a response.  Names or values
 * holding CR or LF are skipped: they would split the header.
 */
static bool
add_json_headers(struct MHD_Response *resp, const char *json)
{
	const char *p = json;

	while (*p == ' ')
		p++;
	if (*p++ != '{')
		return false;
	for (;;)
	{
		Buf			name = {0};
		Buf			value = {0};
		bool		ok;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '}')
			return true;
		ok = json_parse_string(&p, &name);
		while (ok && *p == ' ')
			p++;
		ok = ok && *p++ == ':';
		while (ok && *p == ' ')
			p++;
		ok = ok && json_parse_string(&p, &value);
		if (ok && strpbrk(name.data, "\r\n") == NULL && strpbrk(value.data, "\r\n") == NULL)
			MHD_add_response_header(resp, name.data, value.data);
		free(name.data);
		free(value.data);
		if (!ok)
			return false;
	}
}

/*
 * send_response queues a response with the given status, headers (a JSON
 * object of strings, or NULL) and body.
 */
static enum MHD_Result
send_response(struct MHD_Connection *connection, Request *req, unsigned int status,
			  const char *headers_json, const char *body, size_t body_len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(body_len, (void *) body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (headers_json != NULL && !add_json_headers(resp, headers_json))
		log_msg("ignored malformed response headers: %s", headers_json);
	req->status = status;
	ret = MHD_queue_response(connection, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * send_error answers a request the gateway refuses itself, in the same
 * {"detail", "message"} shape as http_handle's errors.
 */
static enum MHD_Result
send_error(struct MHD_Connection *connection, Request *req, unsigned int status,
		   const char *code, const char *message)
{
	char		body[256];
	const char *hdrs = status == 503 ? "{\"Content-Type\": \"application/json\", \"Retry-After\": \"1\"}"
		: "{\"Content-Type\": \"application/json\"}";

	snprintf(body, sizeof(body), "{\"detail\": \"%s\", \"message\": \"%s\"}", code, message);
	return send_response(connection, req, status, hdrs, body, strlen(body));
}

/*
 * call_database runs http_handle for the request and queues its answer.  A
 * connection found closed before the call is reopened first; one that breaks
 * during the call is closed and reopened, and a GET is retried once on the
 * new connection (reading twice is harmless), anything else gets 503.
 */
static enum MHD_Result
call_database(struct MHD_Connection *connection, Request *req)
{
	ConnSlot   *slot = thread_slot();
	Buf			hdr = {0};
	const char *params[5];
	PGresult   *res = NULL;
	enum MHD_Result ret;
	bool		retry_ok = strcmp(req->method, "GET") == 0;

	if (slot == NULL)
		return send_error(connection, req, 503, "SERVICE_UNAVAILABLE", "no database connection slot");

	buf_putc(&hdr, '{');
	MHD_get_connection_values(connection, MHD_HEADER_KIND, header_to_json, &hdr);
	buf_putc(&hdr, '}');

	params[0] = req->method;
	params[1] = req->path;
	params[2] = req->query;
	params[3] = hdr.data;
	params[4] = req->body ? req->body : "";

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
	free(hdr.data);

	if (res == NULL)
		return send_error(connection, req, 503, "SERVICE_UNAVAILABLE", "database unavailable");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		log_msg("http_handle failed: %s", PQresultErrorMessage(res));
		if (state != NULL && (strcmp(state, "57014") == 0 || strncmp(state, "57P", 3) == 0 ||
							  strcmp(state, "53300") == 0 || strcmp(state, "40001") == 0 ||
							  strcmp(state, "40P01") == 0))
			ret = send_error(connection, req, 503, "SERVICE_UNAVAILABLE", "try again");
		else
			ret = send_error(connection, req, 500, "INTERNAL_ERROR", "internal error");
		PQclear(res);
		return ret;
	}

	{
		int			status = atoi(PQgetvalue(res, 0, 0));

		if (status < 100 || status > 599)
			status = 500;
		ret = send_response(connection, req, (unsigned int) status,
							PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1),
							PQgetvalue(res, 0, 2), (size_t) PQgetlength(res, 0, 2));
	}
	PQclear(res);
	return ret;
}

/*
 * uri_logger runs first for every request, with the raw request URI: it
 * allocates the request's state and keeps the raw path and query string
 * (libmicrohttpd's own url argument is already percent-decoded).
 */
static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *connection)
{
	Request    *req = calloc(1, sizeof(Request));
	const char *p = uri ? uri : "/";
	const char *q;
	const char *hash;

	(void) cls;
	(void) connection;
	if (req == NULL)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	/* absolute-form request targets: keep the path */
	if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0)
	{
		const char *slash = strchr(strstr(p, "//") + 2, '/');

		p = slash ? slash : "/";
	}
	hash = strchr(p, '#');
	q = strchr(p, '?');
	if (q != NULL && hash != NULL && hash < q)
		q = NULL;
	req->path = sanitize_text(p, (size_t) ((q ? q : hash ? hash : p + strlen(p)) - p));
	if (q != NULL)
		req->query = sanitize_text(q + 1, (size_t) ((hash ? hash : q + strlen(q)) - (q + 1)));
	else
		req->query = sanitize_text("", 0);
	return req;
}

/*
 * handle_request is libmicrohttpd's access handler: called once when the
 * headers are in, then for each chunk of the body, then once more with no
 * data, when the request is complete.
 */
static enum MHD_Result
handle_request(void *cls, struct MHD_Connection *connection, const char *url,
			   const char *method, const char *version, const char *upload_data,
			   size_t *upload_data_size, void **con_cls)
{
	Request    *req = *con_cls;

	(void) cls;
	(void) url;
	(void) version;
	if (req == NULL)
		return MHD_NO;

	if (!req->started)
	{
		const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
													 MHD_HTTP_HEADER_CONTENT_LENGTH);

		req->started = true;
		atomic_fetch_add(&active_requests, 1);
		snprintf(req->method, sizeof(req->method), "%s", method);
		for (char *m = req->method; *m; m++)
			if ((unsigned char) *m < 0x20 || (unsigned char) *m > 0x7E)
				*m = '?';
		if (cl != NULL && strtoull(cl, NULL, 10) > cfg_max_body)
		{
			char		msg[96];

			snprintf(msg, sizeof(msg), "the request body exceeds %zu bytes", cfg_max_body);
			return send_error(connection, req, 413, "PAYLOAD_TOO_LARGE", msg);
		}
		return MHD_YES;
	}

	if (*upload_data_size > 0)
	{
		if (!req->too_large && req->body_len + *upload_data_size > cfg_max_body)
		{
			req->too_large = true;
			free(req->body);
			req->body = NULL;
			req->body_len = 0;
		}
		if (!req->too_large)
		{
			Buf			b = {req->body, req->body_len, req->body_cap};

			buf_append(&b, upload_data, *upload_data_size);
			req->body = b.data;
			req->body_len = b.len;
			req->body_cap = b.cap;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (req->status != 0)
		return MHD_YES;			/* answered already */
	if (req->too_large)
	{
		char		msg[96];

		snprintf(msg, sizeof(msg), "the request body exceeds %zu bytes", cfg_max_body);
		return send_error(connection, req, 413, "PAYLOAD_TOO_LARGE", msg);
	}
	if (req->body != NULL && !valid_text(req->body, req->body_len))
		return send_error(connection, req, 400, "BAD_REQUEST", "the request body is not UTF-8 text");
	return call_database(connection, req);
}

/*
 * request_completed writes the access log line and frees the request.
 */
static void
request_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
				  enum MHD_RequestTerminationCode toe)
{
	Request    *req = *con_cls;
	struct timespec end;
	long long	micros;

	(void) cls;
	(void) connection;
	(void) toe;
	if (req == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &end);
	micros = (long long) (end.tv_sec - req->start.tv_sec) * 1000000LL +
		(end.tv_nsec - req->start.tv_nsec) / 1000;
	if (req->started)
	{
		fprintf(stderr, "%s %s %u %lld\n", req->method, req->path, req->status, micros);
		atomic_fetch_sub(&active_requests, 1);
	}
	free(req->path);
	free(req->query);
	free(req->body);
	free(req);
	*con_cls = NULL;
}

static void
usage(void)
{
	printf("campaigns-gateway: serves campaigns.http_handle over HTTP.\n\n"
		   "Usage: campaigns-gateway [OPTION]...\n\n"
		   "  -l, --listen ADDR:PORT   address to listen on (CAMPAIGNS_LISTEN, default 127.0.0.1:8080)\n"
		   "  -d, --db URL             libpq connection string (CAMPAIGNS_DATABASE_URL,\n"
		   "                           default postgresql:///postgres)\n"
		   "  -t, --threads N          worker threads = database connections (CAMPAIGNS_THREADS, default 4)\n"
		   "  -b, --max-body BYTES     largest request body (CAMPAIGNS_MAX_BODY, default 1048576)\n"
		   "  -T, --timeout SECONDS    request timeout: idle connections and SQL statement\n"
		   "                           (CAMPAIGNS_TIMEOUT, default 30)\n"
		   "  -h, --help               this help\n\n"
		   "The database role needs only EXECUTE on campaigns.http_handle (GRANT campaigns_gateway).\n"
		   "Logs one line per request to stderr: METHOD PATH STATUS MICROSECONDS.\n");
}

/*
 * parse_number reads a decimal flag value in [min, max], or exits with a
 * usage error naming the flag.
 */
static unsigned long
parse_number(const char *what, const char *s, unsigned long min, unsigned long max)
{
	char	   *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max || s[0] == '-')
		die_usage("%s must be an integer from %lu to %lu, not \"%s\"", what, min, max, s);
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"db", required_argument, NULL, 'd'},
		{"threads", required_argument, NULL, 't'},
		{"max-body", required_argument, NULL, 'b'},
		{"timeout", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *env;
	const char *threads_s = NULL;
	const char *max_body_s = NULL;
	const char *timeout_s = NULL;
	int			c;
	char	   *host;
	char	   *port;
	char	   *colon;
	struct addrinfo hints = {0};
	struct addrinfo *ai;
	int			rc;
	unsigned int flags;
	static struct MHD_Daemon *daemons[MAX_THREADS];
	sigset_t	sigs;
	int			sig;

	if ((env = getenv("CAMPAIGNS_LISTEN")) != NULL && *env)
		cfg_listen = env;
	if ((env = getenv("CAMPAIGNS_DATABASE_URL")) != NULL && *env)
		cfg_db = env;
	if ((env = getenv("CAMPAIGNS_THREADS")) != NULL && *env)
		threads_s = env;
	if ((env = getenv("CAMPAIGNS_MAX_BODY")) != NULL && *env)
		max_body_s = env;
	if ((env = getenv("CAMPAIGNS_TIMEOUT")) != NULL && *env)
		timeout_s = env;

	while ((c = getopt_long(argc, argv, "l:d:t:b:T:h", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'l':
				cfg_listen = optarg;
				break;
			case 'd':
				cfg_db = optarg;
				break;
			case 't':
				threads_s = optarg;
				break;
			case 'b':
				max_body_s = optarg;
				break;
			case 'T':
				timeout_s = optarg;
				break;
			case 'h':
				usage();
				return 0;
			default:
				die_usage("unknown option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	if (threads_s)
		cfg_threads = (unsigned int) parse_number("--threads", threads_s, 1, MAX_THREADS);
	if (max_body_s)
		cfg_max_body = parse_number("--max-body", max_body_s, 0, 1073741823UL);
	if (timeout_s)
		cfg_timeout = (unsigned int) parse_number("--timeout", timeout_s, 1, 86400);

	/* ADDR:PORT, or [IPV6]:PORT */
	host = strdup(cfg_listen);
	colon = strrchr(host, ':');
	if (colon == NULL)
		die_usage("--listen must be ADDR:PORT, not \"%s\"", cfg_listen);
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[' && host[strlen(host) - 1] == ']')
	{
		host[strlen(host) - 1] = '\0';
		host++;
	}
	parse_number("--listen port", port, 1, 65535);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(*host ? host : NULL, port, &hints, &ai)) != 0)
		die_usage("cannot resolve --listen \"%s\": %s", cfg_listen, gai_strerror(rc));

	/* Signals go to sigwait() below, never to the pool threads. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/*
	 * One libmicrohttpd daemon per worker thread, all listening on the same
	 * address with SO_REUSEPORT: the kernel spreads connections evenly over
	 * them (a shared listening socket lets a few threads win most accepts),
	 * so every thread, and its database connection, gets work.
	 */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	for (unsigned int i = 0; i < cfg_threads; i++)
	{
		daemons[i] = MHD_start_daemon(flags, 0, NULL, NULL,
									  handle_request, NULL,
									  MHD_OPTION_SOCK_ADDR, ai->ai_addr,
									  MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int) 1,
									  MHD_OPTION_CONNECTION_TIMEOUT, cfg_timeout,
									  MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 4096,
									  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int) 1024,
									  MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
									  MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
									  MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1,
									  MHD_OPTION_END);
		if (daemons[i] == NULL)
		{
			log_msg("cannot listen on %s", cfg_listen);
			return 1;
		}
	}
	freeaddrinfo(ai);
	log_msg("listening on %s with %u threads", cfg_listen, cfg_threads);

	do
	{
		if (sigwait(&sigs, &sig) != 0)
			sig = 0;
	} while (sig != SIGTERM && sig != SIGINT);

	/* Stop accepting, let requests in progress finish, then close. */
	log_msg("shutting down");
	for (unsigned int i = 0; i < cfg_threads; i++)
	{
		MHD_socket	lsock = MHD_quiesce_daemon(daemons[i]);

		if (lsock != MHD_INVALID_SOCKET)
			close(lsock);
	}
	for (unsigned int i = 0; i < cfg_timeout * 100 && atomic_load(&active_requests) > 0; i++)
	{
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	for (unsigned int i = 0; i < cfg_threads; i++)
		MHD_stop_daemon(daemons[i]);
	close_all_connections();
	log_msg("stopped");
	return 0;
}
