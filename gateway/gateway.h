/*-------------------------------------------------------------------------
 *
 * gateway/gateway.h
 *		Declarations shared by the parts of campaigns-gateway.
 *
 * The gateway's parts: server.c speaks HTTP/1.1 on the sockets (accepting,
 * limits, writing every response), parse.c reads requests with llhttp and
 * applies the strict rules of SPEC §10, backend.c calls
 * campaigns.http_handle over libpq, docs.c serves the Swagger UI page, and
 * text.c holds the UTF-8 and JSON helpers they share.  gateway.c reads the
 * configuration and starts the threads.  A request travels one way:
 * parse.c fills a Request, a handler (docs or backend) fills a Response,
 * server.c writes it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_GATEWAY_H
#define CAMPAIGNS_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define MAX_THREADS 256

/* Configuration, from flags and environment (gateway.c). */
extern const char *cfg_db;
extern unsigned int cfg_threads;
extern size_t cfg_max_body;
extern unsigned int cfg_timeout;
extern unsigned int cfg_max_conns;

/* A growable byte string, always NUL-terminated once allocated. */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

extern void buf_reserve(Buf *b, size_t more);
extern void buf_append(Buf *b, const char *s, size_t n);
extern void buf_puts(Buf *b, const char *s);
extern void buf_putc(Buf *b, char c);
extern void buf_printf(Buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void buf_clear(Buf *b);
extern void buf_free(Buf *b);

/* text.c */
extern bool valid_text(const char *s, size_t n);
extern void sanitize_text(Buf *out, const char *s, size_t n);
extern void json_string(Buf *b, const char *s, size_t n);
extern bool json_parse_string(const char **p, Buf *out);
extern bool is_token(const char *s, size_t n);
extern void log_msg(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* One parsed request, as the handlers see it. */
typedef struct Request
{
	char		method[16];
	bool		head;			/* HEAD: the response carries no body */
	Buf			path;			/* raw path, still percent-encoded, valid UTF-8 */
	Buf			query;			/* raw query string without '?', valid UTF-8 */
	Buf			headers;		/* JSON object of the headers, names in lower case */
	Buf			body;
	Buf			if_none_match;	/* for the docs' ETags */
} Request;

/*
 * The answer a handler gives.  head holds the header lines the handler adds
 * ("Name: value\r\n" each); the server adds the status line, Date,
 * Content-Length and Connection.  The body is not copied: it stays where the
 * handler has it until the server has written it, then release(release_arg)
 * is called (when release is set).
 */
typedef struct Response
{
	unsigned int status;
	Buf			head;
	const char *body;
	size_t		body_len;
	void		(*release) (void *arg);
	void	   *release_arg;
	Buf			own_body;		/* a body the server built itself */
} Response;

/* Adds one header line to a response; false (and nothing added) when the
 * name is not a token or the value holds a control character. */
extern bool response_header(Response *resp, const char *name, const char *value);
/* Answers with a {"detail", "message"} JSON body of the server's own. */
extern void response_error(Response *resp, unsigned int status, const char *detail,
						   const char *message);

/* backend.c */
extern void backend_thread_start(void);
extern void backend_handle(const Request *req, Response *resp);
extern void backend_close_all(void);

/* docs.c */
extern bool docs_load(const char *dir, bool explicit_dir);
extern bool docs_handle(const Request *req, Response *resp);

/* server.c */
typedef struct Worker Worker;
extern Worker *worker_create(const struct sockaddr *addr, socklen_t addrlen, unsigned int index);
extern void *worker_run(void *arg);
extern void worker_stop(Worker *w);
extern void server_init(void);

#endif							/* CAMPAIGNS_GATEWAY_H */
