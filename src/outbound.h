/*-------------------------------------------------------------------------
 *
 * src/outbound.h
 *		The outbound guard: which addresses the extension may connect to,
 *		and the checks of delivery endpoint URLs and auth headers (the
 *		rules of those fields of the delivery endpoint models).
 *
 * OutboundAddressAllowed and OutboundHeaderNameLength are plain C (no
 * palloc, no ereport, no PostgreSQL calls): the dispatcher's I/O thread
 * calls the first on every socket it opens.  The allow-list they read is
 * parsed in the main thread, by the check hook of campaigns.outbound_allow,
 * and copied under a mutex by its assign hook.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_OUTBOUND_H
#define CAMPAIGNS_OUTBOUND_H

#include <sys/socket.h>

/* GUC campaigns.outbound_allow: CIDR ranges allowed despite the guard. */
extern char *campaigns_outbound_allow;

/* Set by the worker: log each change of the allow-list (on SIGHUP). */
extern bool outbound_log_changes;

/* Longest textual address (an IPv6 address with an embedded IPv4 one). */
#define OUTBOUND_ADDR_LEN 64

/*
 * The reason recorded in last_error for a refused connection; %s is the
 * address.
 */
#define OUTBOUND_REFUSED_FMT \
	"outbound connection to %s refused: the address is not allowed (campaigns.outbound_allow)"

extern void OutboundInit(void);

/*
 * Thread-safe, no PostgreSQL calls.  Whether the extension may connect to
 * the socket address sa; text receives its numeric form either way.
 */
extern bool OutboundSockaddrAllowed(const struct sockaddr *sa, char *text, size_t textlen);

/* The same for a numeric address string ("127.0.0.1", "::1"); false when
 * it is not one. */
extern bool OutboundNumericAllowed(const char *numeric, char *text, size_t textlen);

/*
 * The length of the header name when an auth header value has the form
 * "Name: value" (a token, then a colon), else 0 (a bare value, sent as
 * Authorization).  Plain C.
 */
extern int	OutboundHeaderNameLength(const char *value);

/*
 * Whether a header value is free of control characters (C0, DEL, C1) and
 * so cannot split or inject header lines.  Plain C.
 */
extern bool OutboundHeaderClean(const char *value);

/* Longest delivery endpoint URL, in characters. */
#define OUTBOUND_URL_MAX_CHARS 2048

/*
 * What is wrong with a delivery endpoint URL (len bytes, not terminated):
 * NULL when nothing, else the Pydantic error type, with the message in
 * *msg.  Main thread only (it pallocs).
 */
extern const char *OutboundUrlProblem(const char *url, int len, const char **msg);

/*
 * The same for an auth header ("Name: value", or a bare value sent as
 * Authorization).
 */
extern const char *OutboundHeaderProblem(const char *value, int len, const char **msg);

#endif							/* CAMPAIGNS_OUTBOUND_H */
