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
 * and writes back what the database returns (backend.c).  Routing,
 * authentication, rate limits, validation and error mapping all happen in
 * the database.  The gateway itself only refuses what it cannot or must not
 * carry (server.c): malformed HTTP (400, 414, 431, 501, 505), a body over
 * the size limit (413) or not UTF-8 text (400), connections past its cap
 * and requests while the database is unreachable (503); and it serves the
 * Swagger UI page at /api/v1/docs (docs.c).
 *
 * This file reads the configuration, raises the open-file limit, starts one
 * server thread per database connection, all listening on the same address
 * with SO_REUSEPORT, and waits for SIGTERM or SIGINT: then it stops
 * accepting, lets requests in progress finish, and closes every connection.
 * One log line per request goes to stderr: METHOD PATH STATUS MICROSECONDS.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway.h"

#ifndef DOCS_DIR_DEFAULT
#define DOCS_DIR_DEFAULT "node_modules/swagger-ui-dist"
#endif

/* Configuration, from flags and environment. */
static const char *cfg_listen = "127.0.0.1:8080";
static const char *cfg_docs_dir = DOCS_DIR_DEFAULT;
const char *cfg_db = "postgresql:///postgres";
unsigned int cfg_threads = 4;
size_t		cfg_max_body = 1048576;
unsigned int cfg_timeout = 30;
unsigned int cfg_max_conns = 4096;

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
		   "  -c, --max-connections N  open client connections; past it, 503\n"
		   "                           (CAMPAIGNS_MAX_CONNECTIONS, default 4096)\n"
		   "  -D, --docs-dir DIR       Swagger UI's files (swagger-ui-dist) for /api/v1/docs\n"
		   "                           (CAMPAIGNS_DOCS_DIR, default %s)\n"
		   "  -h, --help               this help\n\n"
		   "The database role needs only EXECUTE on campaigns.http_handle (GRANT campaigns_gateway).\n"
		   "Logs one line per request to stderr: METHOD PATH STATUS MICROSECONDS.\n",
		   DOCS_DIR_DEFAULT);
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
		{"max-connections", required_argument, NULL, 'c'},
		{"docs-dir", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *env;
	const char *threads_s = NULL;
	const char *max_body_s = NULL;
	const char *timeout_s = NULL;
	const char *max_conns_s = NULL;
	bool		docs_explicit = false;
	int			c;
	char	   *listen_copy;
	char	   *host;
	char	   *port;
	char	   *colon;
	struct addrinfo hints = {0};
	struct addrinfo *ai;
	int			rc;
	static Worker *workers[MAX_THREADS];
	static pthread_t threads[MAX_THREADS];
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
	if ((env = getenv("CAMPAIGNS_MAX_CONNECTIONS")) != NULL && *env)
		max_conns_s = env;
	if ((env = getenv("CAMPAIGNS_DOCS_DIR")) != NULL && *env)
	{
		cfg_docs_dir = env;
		docs_explicit = true;
	}

	while ((c = getopt_long(argc, argv, "l:d:t:b:T:c:D:h", longopts, NULL)) != -1)
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
			case 'c':
				max_conns_s = optarg;
				break;
			case 'D':
				cfg_docs_dir = optarg;
				docs_explicit = true;
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
	if (max_conns_s)
		cfg_max_conns = (unsigned int) parse_number("--max-connections", max_conns_s, 1, 1000000);

	/* ADDR:PORT, or [IPV6]:PORT */
	host = listen_copy = strdup(cfg_listen);
	if (host == NULL)
		die_usage("out of memory");
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
	free(listen_copy);

	/* Signals go to sigwait() below, never to the server threads. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	server_init();
	docs_load(cfg_docs_dir, docs_explicit);

	/*
	 * One listening socket per server thread, all on the same address with
	 * SO_REUSEPORT: the kernel spreads connections evenly over them (a
	 * shared listening socket lets a few threads win most accepts), so
	 * every thread, and its database connection, gets work.
	 */
	for (unsigned int i = 0; i < cfg_threads; i++)
	{
		workers[i] = worker_create(ai->ai_addr, ai->ai_addrlen, i);
		if (workers[i] == NULL)
		{
			log_msg("cannot listen on %s", cfg_listen);
			return 1;
		}
	}
	freeaddrinfo(ai);
	for (unsigned int i = 0; i < cfg_threads; i++)
	{
		if ((rc = pthread_create(&threads[i], NULL, worker_run, workers[i])) != 0)
		{
			log_msg("cannot start a server thread: %s", strerror(rc));
			return 1;
		}
	}
	log_msg("listening on %s with %u threads", cfg_listen, cfg_threads);

	do
	{
		if (sigwait(&sigs, &sig) != 0)
			sig = 0;
	} while (sig != SIGTERM && sig != SIGINT);

	/* Stop accepting, let requests in progress finish, then close. */
	log_msg("shutting down");
	for (unsigned int i = 0; i < cfg_threads; i++)
		worker_stop(workers[i]);
	for (unsigned int i = 0; i < cfg_threads; i++)
		pthread_join(threads[i], NULL);
	backend_close_all();
	log_msg("stopped");
	return 0;
}
