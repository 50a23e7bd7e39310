/*-------------------------------------------------------------------------
 *
 * gateway/parse.c
 *		Reading HTTP/1.1 requests with llhttp, strictly.
 *
 * llhttp (Node.js's HTTP parser, compiled from Debian's node-llhttp
 * sources) does the parsing in its strict mode: it refuses NUL and other
 * control bytes in the request target and in header values, CR or LF alone,
 * duplicate or malformed Content-Length, Content-Length together with
 * Transfer-Encoding, a Transfer-Encoding that does not end in chunked, and
 * malformed chunk sizes and chunk framing.  Its callbacks here copy what a
 * handler needs (method, target, headers as JSON, body) within the limits,
 * and refuse what llhttp 8 lets through but RFC 9112 says a server must or
 * may refuse: obsolete line folding (which hides a header inside the one
 * before it), whitespace before the colon and empty names, a tab in the
 * request target, HTTP versions other than 1.0 and 1.1, a missing or
 * repeated Host, a repeated Authorization or Content-Type, Transfer-Encoding
 * in HTTP/1.0 and transfer codings other than chunked.  A refused request is
 * answered by server.c in JSON, and the connection closes after it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "conn.h"

/*
 * reject_in_callback records why a parser callback refuses the request;
 * llhttp then stops with an error and parse_feed() answers.
 */
static int
reject_in_callback(Conn *c, unsigned int status, const char *detail, const char *message)
{
	if (c->reject_status == 0)
	{
		c->reject_status = status;
		c->reject_detail = detail;
		c->reject_message = message;
	}
	return HPE_USER;
}

static int
reject_bad(Conn *c, const char *message)
{
	return reject_in_callback(c, 400, "BAD_REQUEST", message);
}

static int
reject_headers_too_large(Conn *c)
{
	return reject_in_callback(c, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE",
							  "the request's header fields are too large");
}

static int
reject_too_large(Conn *c)
{
	static __thread char msg[96];

	snprintf(msg, sizeof(msg), "the request body exceeds %zu bytes", cfg_max_body);
	return reject_in_callback(c, 413, "PAYLOAD_TOO_LARGE", msg);
}

static int
on_message_begin(llhttp_t *p)
{
	Conn	   *c = p->data;

	clock_gettime(CLOCK_MONOTONIC, &c->start);
	c->in_message = true;
	c->headers_done = false;
	c->req.method[0] = '\0';
	c->req.head = false;
	buf_clear(&c->req.path);
	buf_clear(&c->req.query);
	buf_clear(&c->req.headers);
	buf_clear(&c->req.body);
	buf_clear(&c->req.if_none_match);
	buf_putc(&c->req.headers, '{');
	buf_clear(&c->url);
	buf_clear(&c->field);
	buf_clear(&c->value);
	c->nheaders = 0;
	c->header_bytes = 0;
	c->head_raw = 0;
	c->nhost = c->nauth = c->nctype = 0;
	c->te_chunked = false;
	c->expect_continue = false;
	return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t len)
{
	Conn	   *c = p->data;

	if (c->url.len + len > MAX_URI)
		return reject_in_callback(c, 414, "URI_TOO_LONG", "the request target is too long");
	/* llhttp lets HTAB through in the target: no control byte may be there */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) at[i] < 0x20 || at[i] == 0x7F)
			return reject_bad(c, "the request line holds a control character");
	buf_append(&c->url, at, len);
	return 0;
}

static int
on_header_field(llhttp_t *p, const char *at, size_t len)
{
	Conn	   *c = p->data;

	if (c->headers_done)
		return 0;				/* a trailer field: not part of the request */
	c->header_bytes += len;
	if (c->header_bytes > MAX_HEADER_BYTES)
		return reject_headers_too_large(c);
	buf_append(&c->field, at, len);
	return 0;
}

static int
on_header_field_complete(llhttp_t *p)
{
	Conn	   *c = p->data;

	/* llhttp 8 accepts "Name :" and an empty name; RFC 9112 §5.1 does not */
	if (!c->headers_done && !is_token(c->field.data, c->field.len))
		return reject_bad(c, "a header name is empty or followed by whitespace");
	return 0;
}

/*
 * folded says whether a header value starts on a continuation line
 * (obsolete line folding, RFC 9112 §5.2): the bytes before it, blanks
 * aside, end in LF.  llhttp 8 joins such a line to the header before it,
 * so " Content-Length: 5" under another header would hide a length from
 * this server that a proxy in front of it might honour.
 */
static bool
folded(Conn *c, const char *at)
{
	const char *q = at;

	while (q > c->feed_base && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	if (q > c->feed_base)
		return q[-1] == '\n';
	return c->fold_tail;
}

static int
on_header_value(llhttp_t *p, const char *at, size_t len)
{
	Conn	   *c = p->data;

	if (folded(c, at))
		return reject_bad(c, "a header is folded over two lines (obsolete line folding)");
	if (c->headers_done)
		return 0;
	c->header_bytes += len;
	if (c->header_bytes > MAX_HEADER_BYTES)
		return reject_headers_too_large(c);
	buf_append(&c->value, at, len);
	return 0;
}

/*
 * on_header_value_complete adds one header to the request's JSON object
 * (its name in lower case; http_handle treats names case-insensitively
 * either way, lower case is its fast path) and notes the few the server
 * itself acts on.
 */
static int
on_header_value_complete(llhttp_t *p)
{
	Conn	   *c = p->data;
	char	   *name;
	size_t		vlen = c->value.len;
	const char *value;

	if (c->headers_done)
	{
		c->field.len = 0;
		c->value.len = 0;
		return 0;
	}
	if (++c->nheaders > MAX_HEADERS)
		return reject_headers_too_large(c);
	buf_reserve(&c->field, 0);
	buf_reserve(&c->value, 0);
	name = c->field.data;
	value = c->value.data;
	name[c->field.len] = '\0';
	for (char *q = name; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char) (*q - 'A' + 'a');
	while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
		vlen--;
	c->value.data[vlen] = '\0';

	switch (name[0])
	{
		case 'a':
			if (strcmp(name, "authorization") == 0)
				c->nauth++;
			break;
		case 'c':
			if (strcmp(name, "content-type") == 0)
				c->nctype++;
			break;
		case 'e':
			if (strcmp(name, "expect") == 0)
				c->expect_continue = strcasecmp(value, "100-continue") == 0;
			break;
		case 'h':
			if (strcmp(name, "host") == 0)
				c->nhost++;
			break;
		case 'i':
			if (strcmp(name, "if-none-match") == 0)
			{
				c->req.if_none_match.len = 0;
				buf_append(&c->req.if_none_match, value, vlen);
			}
			break;
		case 't':
			if (strcmp(name, "transfer-encoding") == 0)
				c->te_chunked = strcasecmp(value, "chunked") == 0;
			break;
	}

	if (c->req.headers.len > 1)
		buf_putc(&c->req.headers, ',');
	json_string(&c->req.headers, name, c->field.len);
	buf_putc(&c->req.headers, ':');
	c->scratch.len = 0;
	sanitize_text(&c->scratch, value, vlen);
	json_string(&c->req.headers, c->scratch.data, c->scratch.len);
	c->field.len = 0;
	c->value.len = 0;
	return 0;
}

/*
 * split_target keeps the raw path and query string of the request target
 * (percent-encoded, as http_handle wants them); of an absolute-form target
 * only the path.
 */
static void
split_target(Conn *c)
{
	const char *p;
	const char *end;
	const char *q;
	const char *hash;

	buf_reserve(&c->url, 0);
	p = c->url.data;
	end = p + c->url.len;
	if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0)
	{
		const char *authority = p + (p[4] == ':' ? 7 : 8);
		const char *slash = memchr(authority, '/', (size_t) (end - authority));

		if (slash != NULL)
			p = slash;
		else
		{
			p = "/";
			end = p + 1;
		}
	}
	hash = memchr(p, '#', (size_t) (end - p));
	if (hash != NULL)
		end = hash;
	q = memchr(p, '?', (size_t) (end - p));
	sanitize_text(&c->req.path, p, (size_t) ((q ? q : end) - p));
	if (q != NULL)
		sanitize_text(&c->req.query, q + 1, (size_t) (end - (q + 1)));
	else
		sanitize_text(&c->req.query, "", 0);
}

/*
 * on_url_complete records the method and the target as soon as they are
 * known (for the access log of a request refused in its header section).
 */
static int
on_url_complete(llhttp_t *p)
{
	Conn	   *c = p->data;

	snprintf(c->req.method, sizeof(c->req.method), "%s",
			 llhttp_method_name((llhttp_method_t) llhttp_get_method(p)));
	c->req.head = llhttp_get_method(p) == HTTP_HEAD;
	split_target(c);
	return 0;
}

/*
 * on_headers_complete applies the rules llhttp leaves to its user, then
 * prepares for the body.
 */
static int
on_headers_complete(llhttp_t *p)
{
	Conn	   *c = p->data;
	int			minor = llhttp_get_http_minor(p);

	c->headers_done = true;
	buf_putc(&c->req.headers, '}');
	if (c->req.method[0] == '\0')
		on_url_complete(p);

	if (llhttp_get_http_major(p) != 1 || minor > 1)
	{
		reject_in_callback(c, 505, "HTTP_VERSION_NOT_SUPPORTED",
						   "only HTTP/1.0 and HTTP/1.1 are supported");
		return -1;
	}
	if ((minor == 1 && c->nhost == 0) || c->nhost > 1)
	{
		reject_bad(c, c->nhost == 0 ? "an HTTP/1.1 request needs a Host header"
				   : "more than one Host header");
		return -1;
	}
	if (c->nauth > 1 || c->nctype > 1)
	{
		reject_bad(c, c->nauth > 1 ? "more than one Authorization header"
				   : "more than one Content-Type header");
		return -1;
	}
	if (p->flags & F_TRANSFER_ENCODING)
	{
		if (minor == 0)
		{
			reject_bad(c, "Transfer-Encoding in an HTTP/1.0 request");
			return -1;
		}
		if (!(p->flags & F_CHUNKED))
		{
			reject_bad(c, "Transfer-Encoding must end in chunked");
			return -1;
		}
		if (!c->te_chunked)
		{
			reject_in_callback(c, 501, "NOT_IMPLEMENTED",
							   "only the chunked transfer coding is supported");
			return -1;
		}
	}
	if ((p->flags & F_CONTENT_LENGTH) && p->content_length > cfg_max_body)
	{
		reject_too_large(c);
		return -1;
	}
	if (p->flags & F_CONTENT_LENGTH)
		buf_reserve(&c->req.body, (size_t) p->content_length);
	if (c->expect_continue && minor == 1 &&
		((p->flags & F_CHUNKED) || p->content_length > 0))
	{
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		/* a fresh socket buffer takes 25 bytes; if not, the client waits */
		if (send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void) 0;
	}
	return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t len)
{
	Conn	   *c = p->data;

	if (c->req.body.len + len > cfg_max_body)
		return reject_too_large(c);
	buf_append(&c->req.body, at, len);
	return 0;
}

static int
on_message_complete(llhttp_t *p)
{
	(void) p;
	/* stop here, so that the request is answered before the next is read */
	return HPE_PAUSED;
}

/*
 * reject_parse_error answers what llhttp refused, in words a client can act
 * on.
 */
static void
reject_parse_error(Conn *c, llhttp_errno_t err)
{
	const char *msg;

	switch (err)
	{
		case HPE_INVALID_URL:
			msg = "the request target holds a character that is not allowed";
			break;
		case HPE_INVALID_HEADER_TOKEN:
			msg = "a header holds a character that is not allowed (NUL, CR, LF or another control byte)";
			break;
		case HPE_UNEXPECTED_CONTENT_LENGTH:
			msg = (c->parser.flags & F_TRANSFER_ENCODING)
				? "Content-Length together with Transfer-Encoding"
				: "more than one Content-Length header";
			break;
		case HPE_INVALID_CONTENT_LENGTH:
			msg = "malformed Content-Length";
			break;
		case HPE_INVALID_CHUNK_SIZE:
			msg = "malformed chunked body";
			break;
		case HPE_INVALID_TRANSFER_ENCODING:
			msg = "malformed Transfer-Encoding";
			break;
		case HPE_INVALID_METHOD:
			msg = "unknown or malformed method";
			break;
		case HPE_INVALID_VERSION:
		case HPE_INVALID_CONSTANT:
			msg = "malformed request line";
			break;
		case HPE_CR_EXPECTED:
		case HPE_LF_EXPECTED:
			msg = "lines must end in CRLF";
			break;
		case HPE_UNEXPECTED_SPACE:
			msg = "unexpected whitespace";
			break;
		case HPE_CLOSED_CONNECTION:
			msg = "data after a request that closed the connection";
			break;
		default:
			msg = "malformed request";
			break;
	}
	conn_reject(c, 400, "BAD_REQUEST", msg);
}

/*
 * update_fold_tail remembers whether the bytes llhttp has read end in LF and
 * blanks, for folded() on the next read.
 */
static void
update_fold_tail(Conn *c, const char *data, size_t len)
{
	const char *q = data + len;

	while (q > data && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	if (q > data)
		c->fold_tail = q[-1] == '\n';
}

/*
 * parse_feed hands input to llhttp and answers each request it completes, in
 * order.  When a response cannot be written at once, the rest of the input
 * waits in pending until it is.
 */
void
parse_feed(Conn *c, const char *data, size_t len)
{
	while (len > 0 && !c->dead && c->state == CONN_OPEN && !c->close_after)
	{
		llhttp_errno_t err;

		if (c->in_message && !c->headers_done)
			c->head_raw += len;
		c->feed_base = data;
		err = llhttp_execute(&c->parser, data, len);
		if (err == HPE_OK)
		{
			update_fold_tail(c, data, len);
			if (c->in_message && !c->headers_done && c->head_raw > MAX_HEAD_RAW)
				conn_reject(c, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE",
							"the request's header fields are too large");
			return;
		}
		if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE)
		{
			const char *stop = llhttp_get_error_pos(&c->parser);

			if (err == HPE_PAUSED)
				llhttp_resume(&c->parser);
			len -= (size_t) (stop - data);
			data = stop;
			c->fold_tail = false;
			conn_answer(c);
			if (err == HPE_PAUSED_UPGRADE || c->dead)
				return;
			if (c->writing && !c->close_after)
			{
				Buf			rest = {0};

				buf_append(&rest, data, len);
				buf_free(&c->pending);
				c->pending = rest;
				return;
			}
			continue;
		}
		if (c->reject_status != 0)
			conn_reject(c, c->reject_status, c->reject_detail, c->reject_message);
		else
			reject_parse_error(c, err);
		return;
	}
}

/*
 * parse_init sets up the callbacks every connection's parser uses.
 */
void
parse_init(llhttp_settings_t *settings)
{
	llhttp_settings_init(settings);
	settings->on_message_begin = on_message_begin;
	settings->on_url = on_url;
	settings->on_url_complete = on_url_complete;
	settings->on_header_field = on_header_field;
	settings->on_header_field_complete = on_header_field_complete;
	settings->on_header_value = on_header_value;
	settings->on_header_value_complete = on_header_value_complete;
	settings->on_headers_complete = on_headers_complete;
	settings->on_body = on_body;
	settings->on_message_complete = on_message_complete;
}
