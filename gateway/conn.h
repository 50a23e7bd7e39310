/*-------------------------------------------------------------------------
 *
 * gateway/conn.h
 *		A client connection, as server.c (sockets) and parse.c (HTTP) share it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_GATEWAY_CONN_H
#define CAMPAIGNS_GATEWAY_CONN_H

#include <time.h>

#include "llhttp.h"

#include "gateway.h"

#define MAX_URI			8192	/* longer request target: 414 */
#define MAX_HEADER_BYTES 32768	/* header names and values: 431 */
#define MAX_HEADERS		100		/* header fields: 431 */
#define MAX_HEAD_RAW	(MAX_URI + MAX_HEADER_BYTES + 65536)	/* raw head bytes */
#define READ_SIZE		65536
#define LINGER_MS		2000	/* a lingering close waits this long for data */
#define DRAIN_EXTRA		(16 * 1024 * 1024)	/* drained beyond --max-body */
#define REJECT_DRAIN	65536	/* drained from a connection past the cap */
#define MAX_EVENTS		256

typedef enum ConnState
{
	CONN_OPEN,					/* reading requests, writing responses */
	CONN_LINGER					/* answered, write side shut, dropping input */
} ConnState;

typedef struct Conn Conn;

/* A list of connections in the order of their last activity. */
typedef struct ConnList
{
	Conn	   *head;
	Conn	   *tail;
} ConnList;

struct Conn
{
	int			fd;
	ConnState	state;
	bool		counted;		/* counts against the connection cap */
	bool		dead;			/* to be closed when the event is handled */
	Worker	   *w;
	Conn	   *prev;
	Conn	   *next;
	ConnList   *list;
	int64_t		last;			/* ms of the last activity */

	/* the request being parsed */
	llhttp_t	parser;
	bool		in_message;
	bool		headers_done;
	struct timespec start;
	Request		req;
	Buf			url;
	Buf			field;
	Buf			value;
	Buf			scratch;
	unsigned int nheaders;
	size_t		header_bytes;
	size_t		head_raw;
	unsigned int nhost;
	unsigned int nauth;
	unsigned int nctype;
	bool		te_chunked;		/* Transfer-Encoding is exactly "chunked" */
	bool		expect_continue;
	bool		fold_tail;		/* the input so far ends in LF and blanks */
	const char *feed_base;		/* start of the bytes llhttp is reading */
	unsigned int reject_status;
	const char *reject_detail;
	const char *reject_message;

	/* the response being written */
	Response	resp;
	Buf			out;			/* status line and headers */
	const char *out_body;
	size_t		out_body_len;
	size_t		out_off;
	bool		writing;		/* waiting for the socket to take more */
	bool		close_after;
	Buf			pending;		/* input read while a response was blocked */

	/* lingering close */
	size_t		drained;
	size_t		drain_limit;
};

/* server.c */
extern void conn_answer(Conn *c);
extern void conn_reject(Conn *c, unsigned int status, const char *detail, const char *message);

/* parse.c */
extern void parse_init(llhttp_settings_t *settings);
extern void parse_feed(Conn *c, const char *data, size_t len);

#endif							/* CAMPAIGNS_GATEWAY_CONN_H */
