/*-------------------------------------------------------------------------
 *
 * gateway/server.c
 *		HTTP/1.1 over the sockets: connections, responses, limits.
 *
 * Each server thread owns one listening socket (SO_REUSEPORT, so the kernel
 * spreads connections evenly over the threads), one epoll set, and one
 * database connection (backend.c); it reads, answers and writes for its own
 * connections, one request at a time, as the libmicrohttpd daemon it
 * replaces did.  parse.c turns the bytes read into requests; this file
 * hands each to a handler (docs.c or backend.c) and writes the response:
 * status line, Date, the handler's headers, Content-Length, Connection, and
 * the body without copying it, in one writev.
 *
 * Every response, the ones this file and parse.c make for requests they
 * refuse included, is JSON with a Content-Type in the {"detail", "message"}
 * shape.  A response that ends the connection is followed by a lingering
 * close: the write side is shut, and what the client still sends is read
 * and dropped, up to a bound, so that a client that sends its whole body
 * before reading (Python's urllib, requests) reads the 413 instead of a
 * reset.
 *
 * Connections past the cap are answered with a JSON 503 and closed; when
 * the process runs out of file descriptors, a reserved one is freed to
 * accept and answer the same way.  Idle connections close after the
 * timeout.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

struct Worker
{
	unsigned int index;
	int			epfd;
	int			lfd;
	int			evfd;
	bool		listening;
	int64_t		listen_resume;	/* ms; 0 when the listener is armed */
	ConnList	open;
	ConnList	linger;
	unsigned int nconns;
	unsigned int nrejects;		/* lingering connections past the cap */
	bool		stopping;
	int64_t		stop_deadline;
	time_t		date_sec;
	char		date[64];
	char		rbuf[READ_SIZE];
};

static llhttp_settings_t settings;	/* shared by the threads, read only */
static atomic_uint open_conns = 0;
static unsigned int conn_cap;
static unsigned int reject_cap;	/* per thread */
static int	reserve_fd = -1;
static pthread_mutex_t reserve_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long last_emfile_log = 0;

/* A marker for the listening socket and the stop event in epoll's data. */
static char listen_tag;
static char stop_tag;

/*
 * now_ms reads the coarse monotonic clock: timeouts need no better, and it
 * costs no system call.
 */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
list_remove(Conn *c)
{
	ConnList   *l = c->list;

	if (l == NULL)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	c->list = NULL;
}

static void
list_push(ConnList *l, Conn *c)
{
	c->prev = l->tail;
	c->next = NULL;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	c->list = l;
}

/*
 * touch records activity on a connection: it moves to the end of its list,
 * which so stays in the order of the deadlines.
 */
static void
touch(Conn *c)
{
	ConnList   *l = c->list;

	c->last = now_ms();
	if (l != NULL && l->tail != c)
	{
		list_remove(c);
		list_push(l, c);
	}
}

/*
 * status_reason gives the reason phrase of a status code.
 */
static const char *
status_reason(unsigned int status)
{
	switch (status)
	{
		case 100:
			return "Continue";
		case 200:
			return "OK";
		case 201:
			return "Created";
		case 202:
			return "Accepted";
		case 204:
			return "No Content";
		case 301:
			return "Moved Permanently";
		case 304:
			return "Not Modified";
		case 400:
			return "Bad Request";
		case 401:
			return "Unauthorized";
		case 403:
			return "Forbidden";
		case 404:
			return "Not Found";
		case 405:
			return "Method Not Allowed";
		case 409:
			return "Conflict";
		case 410:
			return "Gone";
		case 413:
			return "Content Too Large";
		case 414:
			return "URI Too Long";
		case 415:
			return "Unsupported Media Type";
		case 422:
			return "Unprocessable Content";
		case 429:
			return "Too Many Requests";
		case 431:
			return "Request Header Fields Too Large";
		case 500:
			return "Internal Server Error";
		case 501:
			return "Not Implemented";
		case 503:
			return "Service Unavailable";
		case 505:
			return "HTTP Version Not Supported";
		default:
			return status < 200 ? "Informational" : status < 300 ? "Success" :
				status < 400 ? "Redirection" : status < 500 ? "Client Error" : "Server Error";
	}
}

/*
 * response_header adds one header line to a response, when the name is a
 * token and the value holds no control character (HTAB aside).
 */
bool
response_header(Response *resp, const char *name, const char *value)
{
	if (!is_token(name, strlen(name)))
		return false;
	for (const unsigned char *p = (const unsigned char *) value; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7F)
			return false;
	buf_puts(&resp->head, name);
	buf_append(&resp->head, ": ", 2);
	buf_puts(&resp->head, value);
	buf_append(&resp->head, "\r\n", 2);
	return true;
}

/*
 * response_error answers with a {"detail", "message"} JSON body of the
 * gateway's own, the shape of http_handle's errors; a 503 says when to try
 * again.
 */
void
response_error(Response *resp, unsigned int status, const char *detail, const char *message)
{
	resp->status = status;
	response_header(resp, "Content-Type", "application/json");
	if (status == 503)
		response_header(resp, "Retry-After", "1");
	resp->own_body.len = 0;
	buf_puts(&resp->own_body, "{\"detail\": ");
	json_string(&resp->own_body, detail, strlen(detail));
	buf_puts(&resp->own_body, ", \"message\": ");
	json_string(&resp->own_body, message, strlen(message));
	buf_putc(&resp->own_body, '}');
	resp->body = resp->own_body.data;
	resp->body_len = resp->own_body.len;
}

static void
response_reset(Response *resp)
{
	if (resp->release != NULL)
		resp->release(resp->release_arg);
	resp->release = NULL;
	resp->release_arg = NULL;
	resp->status = 0;
	resp->head.len = 0;
	resp->body = NULL;
	resp->body_len = 0;
}

/*
 * epoll_set changes what the thread waits for on a connection.
 */
static void
epoll_set(Conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events,.data.ptr = c};

	if (epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		c->dead = true;
}

/*
 * conn_new takes an accepted socket into the thread's set.
 */
static Conn *
conn_new(Worker *w, int fd, bool counted)
{
	Conn	   *c = calloc(1, sizeof(Conn));
	struct epoll_event ev = {.events = EPOLLIN};

	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->w = w;
	c->counted = counted;
	c->state = CONN_OPEN;
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
	{
		free(c);
		return NULL;
	}
	c->last = now_ms();
	list_push(&w->open, c);
	w->nconns++;
	return c;
}

/*
 * conn_free closes a connection and frees all it holds.
 */
static void
conn_free(Conn *c)
{
	Worker	   *w = c->w;

	list_remove(c);
	close(c->fd);
	response_reset(&c->resp);
	buf_free(&c->resp.head);
	buf_free(&c->resp.own_body);
	buf_free(&c->req.path);
	buf_free(&c->req.query);
	buf_free(&c->req.headers);
	buf_free(&c->req.body);
	buf_free(&c->req.if_none_match);
	buf_free(&c->url);
	buf_free(&c->field);
	buf_free(&c->value);
	buf_free(&c->scratch);
	buf_free(&c->out);
	buf_free(&c->pending);
	w->nconns--;
	if (c->counted)
		atomic_fetch_sub(&open_conns, 1);
	else
		w->nrejects--;
	free(c);
}

/*
 * start_linger shuts the write side once the last response is out, and
 * keeps reading (and dropping) what the client still sends, so that its
 * own writes succeed and it reads the response rather than a reset.
 */
static void
start_linger(Conn *c, size_t limit)
{
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	c->drained = 0;
	c->drain_limit = limit;
	list_remove(c);
	list_push(&c->w->linger, c);
	c->last = now_ms();
	if (c->writing)
	{
		c->writing = false;
		epoll_set(c, EPOLLIN);
	}
}

/*
 * trim_buffers frees the buffers a large request grew, once it is answered:
 * they are kept between requests to save allocations, but an idle
 * connection should not hold a megabyte it no longer needs.
 */
static void
trim_buffers(Conn *c)
{
	Buf		   *bufs[] = {&c->req.path, &c->req.query, &c->req.headers, &c->req.body,
		&c->req.if_none_match, &c->url, &c->field, &c->value, &c->scratch, &c->out,
	&c->resp.head, &c->resp.own_body};

	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		if (bufs[i]->cap > 16384)
			buf_free(bufs[i]);
}

/*
 * try_write writes what is left of the response; when the socket takes it
 * all, the response is released and the connection lingers if it is to be
 * closed.  When it does not, the thread waits for the socket to drain.
 */
static void
try_write(Conn *c)
{
	for (;;)
	{
		struct iovec iov[2];
		int			n = 0;
		size_t		off = c->out_off;
		ssize_t		r;

		if (off < c->out.len)
		{
			iov[n].iov_base = c->out.data + off;
			iov[n].iov_len = c->out.len - off;
			n++;
			off = 0;
		}
		else
			off -= c->out.len;
		if (off < c->out_body_len)
		{
			iov[n].iov_base = (void *) (c->out_body + off);
			iov[n].iov_len = c->out_body_len - off;
			n++;
		}
		if (n == 0)
			break;
		r = writev(c->fd, iov, n);
		if (r < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
			{
				if (!c->writing)
				{
					c->writing = true;
					epoll_set(c, EPOLLOUT);
				}
				return;
			}
			c->dead = true;
			return;
		}
		c->out_off += (size_t) r;
	}
	response_reset(&c->resp);
	c->out_body = NULL;
	c->out_body_len = 0;
	trim_buffers(c);
	if (c->close_after)
		start_linger(c, cfg_max_body + DRAIN_EXTRA);
	else if (c->writing)
	{
		c->writing = false;
		epoll_set(c, EPOLLIN);
	}
}

/*
 * worker_date gives the Date header's value, formatted once a second.
 */
static const char *
worker_date(Worker *w)
{
	time_t		t = time(NULL);

	if (t != w->date_sec)
	{
		struct tm	tm;

		gmtime_r(&t, &tm);
		strftime(w->date, sizeof(w->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		w->date_sec = t;
	}
	return w->date;
}

/*
 * access_log writes the line of one request: METHOD PATH STATUS MICROSECONDS.
 */
static void
access_log(Conn *c, unsigned int status)
{
	long long	micros = 0;

	if (c->start.tv_sec != 0 || c->start.tv_nsec != 0)
	{
		struct timespec end;

		clock_gettime(CLOCK_MONOTONIC, &end);
		micros = (long long) (end.tv_sec - c->start.tv_sec) * 1000000LL +
			(end.tv_nsec - c->start.tv_nsec) / 1000;
	}
	fprintf(stderr, "%s %s %u %lld\n", c->req.method[0] ? c->req.method : "-",
			c->req.path.len ? c->req.path.data : "-", status, micros);
	c->req.method[0] = '\0';
	c->req.path.len = 0;
	c->start.tv_sec = 0;
	c->start.tv_nsec = 0;
}

/*
 * send_response writes the status line and the headers of the server's own
 * (Date, Content-Length, Connection) around what the handler gave, then the
 * body.  HEAD, 204 and 304 carry none.
 */
static void
send_response(Conn *c, bool keep_alive)
{
	Response   *resp = &c->resp;
	bool		bodiless = resp->status < 200 || resp->status == 204 || resp->status == 304;

	c->out.len = 0;
	buf_printf(&c->out, "HTTP/1.1 %u %s\r\nDate: %s\r\n", resp->status,
			   status_reason(resp->status), worker_date(c->w));
	buf_append(&c->out, resp->head.data, resp->head.len);
	if (!bodiless)
		buf_printf(&c->out, "Content-Length: %zu\r\n", resp->body_len);
	if (!keep_alive)
		buf_puts(&c->out, "Connection: close\r\n");
	else if (llhttp_get_http_minor(&c->parser) == 0)
		buf_puts(&c->out, "Connection: keep-alive\r\n");
	buf_append(&c->out, "\r\n", 2);
	c->out_body = (c->req.head || bodiless) ? NULL : resp->body;
	c->out_body_len = c->out_body ? resp->body_len : 0;
	c->out_off = 0;
	c->close_after = !keep_alive;
	access_log(c, resp->status);
	try_write(c);
}

/*
 * conn_reject answers a request the server refuses itself and closes the
 * connection after it: after a framing error nothing that follows on the
 * connection can be trusted to start a request.
 */
void
conn_reject(Conn *c, unsigned int status, const char *detail, const char *message)
{
	response_reset(&c->resp);
	response_error(&c->resp, status, detail, message);
	c->in_message = false;
	send_response(c, false);
}



















/*
 * conn_answer runs the handler of a complete request and sends its response.
 */
void
conn_answer(Conn *c)
{
	Request    *req = &c->req;
	bool		keep = llhttp_should_keep_alive(&c->parser) && !llhttp_get_upgrade(&c->parser) &&
		!c->w->stopping;

	response_reset(&c->resp);
	if (req->body.len > 0 && !valid_text(req->body.data, req->body.len))
		response_error(&c->resp, 400, "BAD_REQUEST", "the request body is not UTF-8 text");
	else if (!docs_handle(req, &c->resp))
		backend_handle(req, &c->resp);
	c->in_message = false;
	send_response(c, keep);
}


/*
 * on_readable reads what a connection has sent: requests while it is open,
 * input to drop while it lingers.
 */
static void
on_readable(Conn *c)
{
	Worker	   *w = c->w;

	for (;;)
	{
		ssize_t		n = recv(c->fd, w->rbuf, sizeof(w->rbuf), 0);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			return;
		}
		if (n == 0)
		{
			/* the client is done: what it sent is answered already */
			if (c->state == CONN_LINGER || !c->writing)
				c->dead = true;
			return;
		}
		touch(c);
		if (c->state == CONN_LINGER)
		{
			c->drained += (size_t) n;
			if (c->drained > c->drain_limit)
				c->dead = true;
		}
		else
			parse_feed(c, w->rbuf, (size_t) n);
		if (c->dead || (size_t) n < sizeof(w->rbuf) || c->writing)
			return;
	}
}

/*
 * on_writable goes on with a blocked response and then with the input that
 * waited behind it.
 */
static void
on_writable(Conn *c)
{
	touch(c);
	try_write(c);
	while (!c->dead && !c->writing && c->state == CONN_OPEN && c->pending.len > 0)
	{
		Buf			rest = c->pending;

		c->pending = (Buf) {0};
		parse_feed(c, rest.data, rest.len);
		buf_free(&rest);
	}
}

/*
 * answer_503 answers a connection the server will not serve (past the cap,
 * out of file descriptors, stopping) without reading its request.
 */
static void
answer_503(Worker *w, int fd)
{
	char		buf[512];
	int			n;
	static const char body[] =
		"{\"detail\": \"SERVICE_UNAVAILABLE\", \"message\": \"too many connections\"}";

	n = snprintf(buf, sizeof(buf),
				 "HTTP/1.1 503 Service Unavailable\r\nDate: %s\r\n"
				 "Content-Type: application/json\r\nRetry-After: 1\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				 worker_date(w), sizeof(body) - 1, body);
	if (send(fd, buf, (size_t) n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void) 0;
	fprintf(stderr, "- - 503 0\n");
}

/*
 * refuse answers a connection past the cap with a 503 and closes it; while
 * few do, it lingers a moment so that the client reads the answer.
 */
static void
refuse(Worker *w, int fd)
{
	Conn	   *c;

	answer_503(w, fd);
	if (w->nrejects < reject_cap && (c = conn_new(w, fd, false)) != NULL)
	{
		w->nrejects++;
		start_linger(c, REJECT_DRAIN);
	}
	else
		close(fd);
}

/*
 * accept_emfile answers one waiting connection when the process has no
 * file descriptor left: it frees the reserved one, accepts, answers 503 and
 * closes, and reserves a descriptor again.  With none to free, it stops
 * accepting for a moment rather than spin on a listener it cannot serve.
 */
static void
accept_emfile(Worker *w)
{
	bool		answered = false;
	long		now = (long) time(NULL);
	long		last = atomic_load(&last_emfile_log);

	pthread_mutex_lock(&reserve_lock);
	if (reserve_fd >= 0)
	{
		int			fd;

		close(reserve_fd);
		reserve_fd = -1;
		fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
		{
			answer_503(w, fd);
			close(fd);
			answered = true;
		}
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	pthread_mutex_unlock(&reserve_lock);
	if (now != last && atomic_compare_exchange_strong(&last_emfile_log, &last, now))
		log_msg("out of file descriptors: answering new connections with 503");
	if (!answered)
	{
		struct epoll_event ev = {.events = 0,.data.ptr = &listen_tag};

		epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->lfd, &ev);
		w->listen_resume = now_ms() + 100;
	}
}

/*
 * on_accept takes the connections waiting on the thread's listener.
 */
static void
on_accept(Worker *w)
{
	for (int i = 0; i < 64; i++)
	{
		int			fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int			one = 1;

		if (fd < 0)
		{
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				accept_emfile(w);
			return;
		}
		if (w->stopping || atomic_fetch_add(&open_conns, 1) >= conn_cap)
		{
			if (!w->stopping)
				atomic_fetch_sub(&open_conns, 1);
			refuse(w, fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (conn_new(w, fd, true) == NULL)
		{
			atomic_fetch_sub(&open_conns, 1);
			answer_503(w, fd);
			close(fd);
		}
	}
}

/*
 * expire closes the connections whose deadline has passed: idle ones after
 * the timeout, lingering ones after LINGER_MS without data.
 */
static void
expire(Worker *w, int64_t now)
{
	int64_t		idle = (int64_t) cfg_timeout * 1000;

	while (w->open.head != NULL && w->open.head->last + idle <= now)
		conn_free(w->open.head);
	while (w->linger.head != NULL && w->linger.head->last + LINGER_MS <= now)
		conn_free(w->linger.head);
	if (w->listen_resume != 0 && w->listen_resume <= now && w->listening)
	{
		struct epoll_event ev = {.events = EPOLLIN,.data.ptr = &listen_tag};

		epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->lfd, &ev);
		w->listen_resume = 0;
	}
}

/*
 * next_timeout gives epoll_wait's timeout: until the first deadline.
 */
static int
next_timeout(Worker *w, int64_t now)
{
	int64_t		next = -1;

	if (w->open.head != NULL)
		next = w->open.head->last + (int64_t) cfg_timeout * 1000;
	if (w->linger.head != NULL && (next < 0 || w->linger.head->last + LINGER_MS < next))
		next = w->linger.head->last + LINGER_MS;
	if (w->listen_resume != 0 && (next < 0 || w->listen_resume < next))
		next = w->listen_resume;
	if (w->stopping && (next < 0 || w->stop_deadline < next))
		next = w->stop_deadline;
	if (next < 0)
		return -1;
	/* the coarse clock lags by a few ms: wake a little late, not early */
	return next <= now ? 0 : (int) (next - now) + 5;
}

/*
 * begin_stop stops accepting and closes the connections that are between
 * requests; the others finish their request and close after it.
 */
static void
begin_stop(Worker *w)
{
	Conn	   *c;
	Conn	   *next;

	w->stopping = true;
	w->stop_deadline = now_ms() + (int64_t) cfg_timeout * 1000;
	if (w->listening)
	{
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->lfd, NULL);
		close(w->lfd);
		w->listening = false;
	}
	for (c = w->open.head; c != NULL; c = next)
	{
		next = c->next;
		if (!c->in_message && !c->writing)
			conn_free(c);
	}
}

/*
 * worker_run is a server thread: it waits for its sockets and serves them
 * until it is told to stop and its connections are done.
 */
void *
worker_run(void *arg)
{
	Worker	   *w = arg;
	struct epoll_event events[MAX_EVENTS];

	backend_thread_start();
	for (;;)
	{
		int64_t		now = now_ms();
		int			n;
		bool		stop = false;

		if (w->stopping && (w->nconns == 0 || now >= w->stop_deadline))
			break;
		n = epoll_wait(w->epfd, events, MAX_EVENTS, next_timeout(w, now));
		if (n < 0 && errno != EINTR)
		{
			log_msg("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
		{
			void	   *tag = events[i].data.ptr;
			Conn	   *c;

			if (tag == &listen_tag)
			{
				if (w->listening)
					on_accept(w);
				continue;
			}
			if (tag == &stop_tag)
			{
				uint64_t	v;

				if (read(w->evfd, &v, sizeof(v)) < 0)
					(void) 0;
				stop = true;
				continue;
			}
			c = tag;
			if (c->writing && (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				on_writable(c);
			else if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(c);
			if (c->dead || (w->stopping && c->state == CONN_OPEN && !c->in_message &&
							!c->writing))
				conn_free(c);
		}
		if (stop && !w->stopping)
			begin_stop(w);
		expire(w, now_ms());
	}
	while (w->open.head != NULL)
		conn_free(w->open.head);
	while (w->linger.head != NULL)
		conn_free(w->linger.head);
	return NULL;
}

/*
 * worker_create opens a server thread's listening socket and epoll set.
 */
Worker *
worker_create(const struct sockaddr *addr, socklen_t addrlen, unsigned int index)
{
	Worker	   *w = calloc(1, sizeof(Worker));
	int			one = 1;
	struct epoll_event ev = {.events = EPOLLIN};

	if (w == NULL)
		return NULL;
	w->index = index;
	w->lfd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->lfd < 0 ||
		setsockopt(w->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		setsockopt(w->lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
		(addr->sa_family == AF_INET6 &&
		 setsockopt(w->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
		bind(w->lfd, addr, addrlen) != 0 || listen(w->lfd, 1024) != 0)
	{
		log_msg("cannot listen: %s", strerror(errno));
		if (w->lfd >= 0)
			close(w->lfd);
		free(w);
		return NULL;
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->evfd < 0)
	{
		log_msg("cannot create the event loop: %s", strerror(errno));
		return NULL;
	}
	ev.data.ptr = &listen_tag;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd, &ev);
	ev.data.ptr = &stop_tag;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev);
	w->listening = true;
	return w;
}

/*
 * worker_stop tells a server thread to stop (from the main thread).
 */
void
worker_stop(Worker *w)
{
	uint64_t	one = 1;

	if (write(w->evfd, &one, sizeof(one)) < 0)
		log_msg("cannot signal a server thread: %s", strerror(errno));
}

/*
 * server_init sets up llhttp's callbacks, raises the open-file limit to the
 * hard limit, and sizes the connection cap to what that limit allows (one
 * descriptor per connection, plus the threads' own and a reserve).
 */
void
server_init(void)
{
	struct rlimit rl;
	unsigned long avail;
	unsigned long overhead = (unsigned long) cfg_threads * 8 + 64;
	unsigned long rejects;

	parse_init(&settings);

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
	{
		if (rl.rlim_cur < rl.rlim_max)
		{
			rlim_t		before = rl.rlim_cur;

			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			{
				log_msg("cannot raise the open-file limit: %s", strerror(errno));
				rl.rlim_cur = before;
			}
		}
	}
	else
		rl.rlim_cur = 1024;
	avail = rl.rlim_cur > overhead + 16 ? (unsigned long) rl.rlim_cur - overhead : 16;
	rejects = avail / 8;
	if (rejects > (unsigned long) cfg_threads * 256)
		rejects = (unsigned long) cfg_threads * 256;
	reject_cap = (unsigned int) (rejects / cfg_threads);
	conn_cap = cfg_max_conns;
	if (conn_cap > avail - rejects)
	{
		conn_cap = (unsigned int) (avail - rejects);
		log_msg("at most %u connections: the open-file limit is %lu",
				conn_cap, (unsigned long) rl.rlim_cur);
	}
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}
