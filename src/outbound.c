/*-------------------------------------------------------------------------
 *
 * src/outbound.c
 *		The outbound guard (SPEC §10 "Outbound connections").
 *
 * A tenant names the URL its actions are delivered to, so without a guard
 * the worker would call whatever that URL points at: the metadata service
 * of the cloud, a database on the private network, the server itself.  The
 * guard refuses every address in a loopback, private, link-local,
 * unique-local, multicast, unspecified or other special range unless the
 * owner's GUC campaigns.outbound_allow lists it.
 *
 * The real check is made on the address a socket connects to, after DNS,
 * by the dispatcher's I/O thread (dispatch.c calls OutboundSockaddrAllowed
 * from curl's open-socket and pre-request callbacks), so neither a name
 * that resolves to 127.0.0.1 nor a DNS answer that changes between a check
 * and the connection gets through.  Those functions are plain C: no palloc,
 * no ereport.  The allow-list they read is parsed in the main thread by
 * the GUC's check hook (at start and on SIGHUP) and copied under a mutex
 * by its assign hook.
 *
 * The API checks what it can see earlier, so that a tenant hears about a
 * mistake when saving an endpoint rather than when an action fails:
 * OutboundUrlProblem (the URL's shape, and a literal address or localhost
 * against the same ranges) and OutboundHeaderProblem (an auth header that
 * could not be sent as one header line), the rules of the url and
 * auth_header fields of the delivery endpoint models (models.c).
 *
 * Addresses are kept as 16 bytes: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d,
 * prefix lengths + 96), so that a mapped address and its IPv4 form are the
 * same address to every range.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>

#include "mb/pg_wchar.h"
#include "utils/guc.h"

#include "outbound.h"

/* Most ranges campaigns.outbound_allow may list. */
#define OUTBOUND_ALLOW_MAX 256

typedef struct OutboundRange
{
	uint8		addr[16];
	int			bits;
} OutboundRange;

typedef struct OutboundAllowList
{
	int			n;
	OutboundRange ranges[OUTBOUND_ALLOW_MAX];
} OutboundAllowList;

char	   *campaigns_outbound_allow = NULL;
bool		outbound_log_changes = false;

/*
 * The ranges refused unless allowed: IANA's special-purpose registries
 * (RFC 6890 and successors) minus the globally reachable entries, plus
 * multicast and the reserved IPv4 block.  IPv4-mapped addresses are the
 * IPv4 ones (see above); NAT64 addresses (64:ff9b::/96) are judged by the
 * IPv4 address they embed.
 */
static const char *const forbidden_text[] = {
	"0.0.0.0/8",				/* "this network"; 0.0.0.0 reaches the host */
	"10.0.0.0/8",				/* private */
	"100.64.0.0/10",			/* shared address space (carrier NAT) */
	"127.0.0.0/8",				/* loopback */
	"169.254.0.0/16",			/* link-local, cloud metadata services */
	"172.16.0.0/12",			/* private */
	"192.0.0.0/24",				/* IETF protocol assignments */
	"192.0.2.0/24",				/* documentation */
	"192.88.99.0/24",			/* 6to4 relay anycast */
	"192.168.0.0/16",			/* private */
	"198.18.0.0/15",			/* benchmarking */
	"198.51.100.0/24",			/* documentation */
	"203.0.113.0/24",			/* documentation */
	"224.0.0.0/4",				/* multicast */
	"240.0.0.0/4",				/* reserved, and the broadcast address */
	"::/96",					/* unspecified, loopback, IPv4-compatible */
	"::ffff:0:0:0/96",			/* IPv4-translated */
	"64:ff9b:1::/48",			/* local-use NAT64 */
	"100::/64",					/* discard-only */
	"2001::/23",				/* IETF protocol assignments (Teredo...) */
	"2001:db8::/32",			/* documentation */
	"2002::/16",				/* 6to4 */
	"fc00::/7",					/* unique-local */
	"fe80::/10",				/* link-local */
	"fec0::/10",				/* site-local (deprecated) */
	"ff00::/8",					/* multicast */
};

#define N_FORBIDDEN lengthof(forbidden_text)

static OutboundRange forbidden[N_FORBIDDEN];
static const uint8 nat64_prefix[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint8 mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* The allow-list in force, read by the I/O thread under allow_mutex. */
static pthread_mutex_t allow_mutex = PTHREAD_MUTEX_INITIALIZER;
static OutboundAllowList allow_current;

/* Headers the dispatcher sets itself, or that frame or route the request. */
static const char *const reserved_headers[] = {
	"connection", "content-length", "content-type", "expect", "host",
	"idempotency-key", "keep-alive", "proxy-connection", "te", "trailer",
	"transfer-encoding", "upgrade",
};

/*
 * ParseRange reads one "address[/prefix]" of len bytes into out.  On a
 * mistake it writes the reason into err and returns false.  No PostgreSQL
 * calls, so that it can run in a GUC check hook.
 */
static bool
ParseRange(const char *s, size_t len, OutboundRange *out, char *err, size_t errlen)
{
	char		buf[OUTBOUND_ADDR_LEN + 8];
	char	   *slash;
	bool		v6;
	int			maxbits;
	int			bits;
	int			i;

	if (len >= sizeof(buf))
	{
		snprintf(err, errlen, "\"%.*s...\" is not an address range.", 20, s);
		return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	v6 = strchr(buf, ':') != NULL;
	memset(out->addr, 0, 16);
	if (v6)
	{
		if (inet_pton(AF_INET6, buf, out->addr) != 1)
		{
			snprintf(err, errlen, "\"%s\" is not an IPv6 address.", buf);
			return false;
		}
		maxbits = 128;
	}
	else
	{
		memcpy(out->addr, mapped_prefix, 12);
		if (inet_pton(AF_INET, buf, out->addr + 12) != 1)
		{
			snprintf(err, errlen, "\"%s\" is not an IPv4 address (a.b.c.d) or an IPv6 address.", buf);
			return false;
		}
		maxbits = 32;
	}
	bits = maxbits;
	if (slash)
	{
		const char *p = slash + 1;

		if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 3 ||
			atoi(p) > maxbits)
		{
			snprintf(err, errlen, "\"%s/%s\" has an invalid prefix length (0 to %d).", buf, p, maxbits);
			return false;
		}
		bits = atoi(p);
	}
	if (!v6)
		bits += 96;
	/* No bits set right of the prefix, as for PostgreSQL's cidr type. */
	for (i = 0; i < 128; i++)
	{
		if (i >= bits && (out->addr[i / 8] & (0x80 >> (i % 8))))
		{
			snprintf(err, errlen, "\"%.*s\" has bits set to the right of its prefix length.", (int) len, s);
			return false;
		}
	}
	out->bits = bits;
	return true;
}

/*
 * ParseAllowList reads campaigns.outbound_allow: ranges separated by commas
 * or white space; empty means none.
 */
static bool
ParseAllowList(const char *value, OutboundAllowList *list, char *err, size_t errlen)
{
	const char *p = value ? value : "";

	list->n = 0;
	for (;;)
	{
		const char *start;

		while (*p == ',' || isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			return true;
		start = p;
		while (*p && *p != ',' && !isspace((unsigned char) *p))
			p++;
		if (list->n == OUTBOUND_ALLOW_MAX)
		{
			snprintf(err, errlen, "At most %d ranges may be listed.", OUTBOUND_ALLOW_MAX);
			return false;
		}
		if (!ParseRange(start, p - start, &list->ranges[list->n], err, errlen))
			return false;
		list->n++;
	}
}

/*
 * OutboundAllowCheck is the check hook of campaigns.outbound_allow: a bad
 * list is refused (a reload keeps the old one) with the reason.  The parsed
 * list travels to the assign hook as the GUC's extra (malloc'd: the GUC
 * machinery frees it).
 */
static bool
OutboundAllowCheck(char **newval, void **extra, GucSource source)
{
	OutboundAllowList *list = malloc(sizeof(OutboundAllowList));
	char		err[256];

	if (list == NULL)
	{
		GUC_check_errdetail("Out of memory.");
		return false;
	}
	if (!ParseAllowList(*newval, list, err, sizeof(err)))
	{
		GUC_check_errdetail("%s", err);
		GUC_check_errhint("Give IPv4 or IPv6 CIDR ranges separated by commas, such as \"127.0.0.1/32, 10.1.0.0/16, ::1/128\".");
		free(list);
		return false;
	}
	*extra = list;
	return true;
}

/*
 * OutboundAllowAssign puts the checked list in force for the I/O thread.
 * In the worker a change is logged: the operator (and a test) can see when
 * a reload has reached the connections.
 */
static void
OutboundAllowAssign(const char *newval, void *extra)
{
	const OutboundAllowList *list = (const OutboundAllowList *) extra;
	bool		changed;

	pthread_mutex_lock(&allow_mutex);
	changed = list == NULL ? allow_current.n != 0 :
		(list->n != allow_current.n ||
		 memcmp(list->ranges, allow_current.ranges, sizeof(OutboundRange) * list->n) != 0);
	if (list)
		memcpy(&allow_current, list, sizeof(OutboundAllowList));
	else
		allow_current.n = 0;
	pthread_mutex_unlock(&allow_mutex);
	if (changed && outbound_log_changes)
		ereport(LOG,
				(errmsg("campaigns worker: campaigns.outbound_allow is now \"%s\" (%d ranges)",
						newval ? newval : "", list ? list->n : 0)));
}

/*
 * OutboundInit defines campaigns.outbound_allow and parses the fixed table
 * of forbidden ranges.
 */
void
OutboundInit(void)
{
	int			i;
	char		err[256];

	for (i = 0; i < (int) N_FORBIDDEN; i++)
		if (!ParseRange(forbidden_text[i], strlen(forbidden_text[i]), &forbidden[i], err, sizeof(err)))
			elog(ERROR, "campaigns: bad built-in range: %s", err);

	DefineCustomStringVariable("campaigns.outbound_allow",
							   "Address ranges the worker may connect to although they are loopback, private or otherwise special.",
							   "A list of CIDR ranges, such as '127.0.0.1/32, 10.1.0.0/16'.  Every other address in a "
							   "special range (loopback, private, link-local, unique-local, multicast, unspecified...) is refused.",
							   &campaigns_outbound_allow,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT | GUC_SUPERUSER_ONLY,
							   OutboundAllowCheck, OutboundAllowAssign, NULL);
}

/*
 * InRange tells whether the 16-byte address a lies in range r.
 */
static bool
InRange(const uint8 *a, const OutboundRange *r)
{
	int			full = r->bits / 8;
	int			rest = r->bits % 8;

	if (memcmp(a, r->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ r->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/*
 * AddressAllowed is the guard's rule for a 16-byte address: allowed when
 * the allow-list names it (or the IPv4 address a NAT64 one embeds),
 * otherwise refused when it (or that IPv4 address) is in a forbidden range.
 * Plain C.
 */
static bool
AddressAllowed(const uint8 *a)
{
	uint8		eff[16];
	bool		allowed = false;
	int			i;

	memcpy(eff, a, 16);
	if (memcmp(a, nat64_prefix, 12) == 0)
	{
		memcpy(eff, mapped_prefix, 12);
		memcpy(eff + 12, a + 12, 4);
	}
	pthread_mutex_lock(&allow_mutex);
	for (i = 0; i < allow_current.n && !allowed; i++)
		allowed = InRange(a, &allow_current.ranges[i]) || InRange(eff, &allow_current.ranges[i]);
	pthread_mutex_unlock(&allow_mutex);
	if (allowed)
		return true;
	for (i = 0; i < (int) N_FORBIDDEN; i++)
		if (InRange(eff, &forbidden[i]))
			return false;
	return true;
}

/*
 * OutboundSockaddrAllowed: see outbound.h.  Families other than IPv4 and
 * IPv6 are refused.
 */
bool
OutboundSockaddrAllowed(const struct sockaddr *sa, char *text, size_t textlen)
{
	uint8		a[16];

	if (sa->sa_family == AF_INET)
	{
		const struct sockaddr_in *in = (const struct sockaddr_in *) sa;

		memcpy(a, mapped_prefix, 12);
		memcpy(a + 12, &in->sin_addr, 4);
		if (inet_ntop(AF_INET, &in->sin_addr, text, textlen) == NULL)
			snprintf(text, textlen, "(an IPv4 address)");
		return AddressAllowed(a);
	}
	if (sa->sa_family == AF_INET6)
	{
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;

		memcpy(a, &in6->sin6_addr, 16);
		if (inet_ntop(AF_INET6, &in6->sin6_addr, text, textlen) == NULL)
			snprintf(text, textlen, "(an IPv6 address)");
		return AddressAllowed(a);
	}
	snprintf(text, textlen, "(an address of family %d)", (int) sa->sa_family);
	return false;
}

/*
 * OutboundNumericAllowed: see outbound.h.
 */
bool
OutboundNumericAllowed(const char *numeric, char *text, size_t textlen)
{
	uint8		a[16];
	char		buf[OUTBOUND_ADDR_LEN];

	snprintf(text, textlen, "%s", numeric ? numeric : "");
	if (numeric == NULL)
		return false;
	/* without an IPv6 zone ("fe80::1%eth0") */
	snprintf(buf, sizeof(buf), "%.*s", (int) strcspn(numeric, "%"), numeric);
	memcpy(a, mapped_prefix, 12);
	if (inet_pton(AF_INET, buf, a + 12) == 1)
		return AddressAllowed(a);
	if (inet_pton(AF_INET6, buf, a) == 1)
		return AddressAllowed(a);
	return false;
}

/*
 * OutboundHeaderNameLength: see outbound.h.  A name is an RFC 9110 token.
 */
int
OutboundHeaderNameLength(const char *value)
{
	int			n = 0;

	while (value[n] && (isalnum((unsigned char) value[n]) || strchr("!#$%&'*+-.^_`|~", value[n]) != NULL))
		n++;
	return (n > 0 && value[n] == ':') ? n : 0;
}

/*
 * OutboundHeaderClean: see outbound.h.  The text is UTF-8; C1 controls are
 * the two-byte sequences C2 80 to C2 9F.
 */
bool
OutboundHeaderClean(const char *value)
{
	const unsigned char *p;

	for (p = (const unsigned char *) value; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
	}
	return true;
}

/* Problem returns a problem's Pydantic type, its message in *msg. */
static const char *
Problem(const char **msg, const char *type, const char *message)
{
	*msg = message;
	return type;
}

#define URL_PROBLEM(what) \
	return Problem(msg, "url_parsing", "Input should be a valid URL, " what)

/*
 * IsNumericLabel tells whether a host's last label is a number (decimal,
 * or 0x hex), which makes the host an IPv4 address in URL syntax (WHATWG)
 * and to curl: 2130706433, 0x7f.1 and 127.1 are all 127.0.0.1.
 */
static bool
IsNumericLabel(const char *s, size_t len)
{
	size_t		i = 0;

	if (len == 0)
		return false;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
	{
		for (i = 2; i < len; i++)
			if (!isxdigit((unsigned char) s[i]))
				return false;
		return true;
	}
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	return true;
}

/*
 * OutboundUrlProblem: see outbound.h.  The URL must be absolute http or
 * https, at most 2048 characters of printable ASCII, with a host, without
 * user information or a fragment; a literal address (in any form curl
 * accepts: 127.0.0.1, 127.1, 2130706433, [::ffff:127.0.0.1]) or a
 * localhost name is held against the guard's ranges now, any other name
 * when the worker connects.
 */
const char *
OutboundUrlProblem(const char *value, int len, const char **msg)
{
	char	   *url = pnstrdup(value, len);
	const char *p;
	const char *auth;
	const char *auth_end;
	const char *host;
	size_t		host_len;
	const char *port = NULL;
	size_t		port_len = 0;
	char		hostbuf[256];
	char		addr[OUTBOUND_ADDR_LEN];
	const char *check = NULL;	/* a numeric address to hold against the
								 * ranges */
	const char *shown = NULL;
	size_t		i;

	if (len == 0)
		URL_PROBLEM("input is empty");
	if (pg_mbstrlen(url) > OUTBOUND_URL_MAX_CHARS)
		return Problem(msg, "url_too_long",
					   psprintf("URL should have at most %d characters", OUTBOUND_URL_MAX_CHARS));
	for (i = 0; i < (size_t) len; i++)
		if ((unsigned char) url[i] <= 0x20 || (unsigned char) url[i] >= 0x7f)
			URL_PROBLEM("invalid character (percent-encode spaces, control and non-ASCII characters)");

	/* scheme ":" */
	p = url;
	if (!isalpha((unsigned char) *p))
		URL_PROBLEM("relative URL without a base");
	while (isalnum((unsigned char) *p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p != ':')
		URL_PROBLEM("relative URL without a base");
	if (!((p - url == 4 && pg_strncasecmp(url, "http", 4) == 0) ||
		  (p - url == 5 && pg_strncasecmp(url, "https", 5) == 0)))
		return Problem(msg, "url_scheme", "URL scheme should be 'http' or 'https'");
	p++;
	if (strncmp(p, "//", 2) != 0)
		URL_PROBLEM("empty host");
	auth = p + 2;
	auth_end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', auth_end - auth) != NULL)
		return Problem(msg, "value_error", "Value error, the URL must not contain a user name or password");
	if (strchr(url, '#') != NULL)
		return Problem(msg, "value_error", "Value error, the URL must not have a fragment");

	/* host [":" port] */
	host = auth;
	if (*host == '[')
	{
		const char *close = memchr(host, ']', auth_end - host);

		if (close == NULL || close - host - 1 >= (long) sizeof(hostbuf))
			URL_PROBLEM("invalid IPv6 address");
		memcpy(hostbuf, host + 1, close - host - 1);
		hostbuf[close - host - 1] = '\0';
		if (inet_pton(AF_INET6, hostbuf, addr) != 1)
			URL_PROBLEM("invalid IPv6 address");
		check = hostbuf;
		shown = hostbuf;
		if (close + 1 < auth_end)
		{
			if (close[1] != ':')
				URL_PROBLEM("invalid IPv6 address");
			port = close + 2;
			port_len = auth_end - port;
		}
	}
	else
	{
		const char *colon = memchr(host, ':', auth_end - host);
		size_t		last_start;
		size_t		label_start = 0;

		host_len = (colon ? colon : auth_end) - host;
		if (colon)
		{
			port = colon + 1;
			port_len = auth_end - port;
		}
		if (host_len == 0)
			URL_PROBLEM("empty host");
		if (host_len > 253 + 1)
			URL_PROBLEM("the host name is longer than 253 characters");
		memcpy(hostbuf, host, host_len);
		hostbuf[host_len] = '\0';
		if (hostbuf[host_len - 1] == '.')
			hostbuf[--host_len] = '\0';
		if (host_len == 0)
			URL_PROBLEM("empty host");
		if (host_len > 253)
			URL_PROBLEM("the host name is longer than 253 characters");
		for (i = 0; i < host_len; i++)
		{
			char		c = hostbuf[i];

			if (!(isalnum((unsigned char) c) || c == '-' || c == '_' || c == '.'))
				URL_PROBLEM("invalid domain character");
		}
		/* labels: none empty, none over 63 characters */
		for (i = 0; i <= host_len; i++)
		{
			if (i == host_len || hostbuf[i] == '.')
			{
				if (i == label_start)
					URL_PROBLEM("empty label in the host name");
				if (i - label_start > 63)
					URL_PROBLEM("a label of the host name is longer than 63 characters");
				label_start = i + 1;
			}
		}
		last_start = host_len;
		while (last_start > 0 && hostbuf[last_start - 1] != '.')
			last_start--;
		if (IsNumericLabel(hostbuf + last_start, host_len - last_start))
		{
			struct in_addr in;

			/* inet_aton reads the forms curl does: 127.1, 0x7f000001... */
			if (inet_aton(hostbuf, &in) == 0)
				URL_PROBLEM("invalid IPv4 address");
			if (inet_ntop(AF_INET, &in, addr, sizeof(addr)) == NULL)
				URL_PROBLEM("invalid IPv4 address");
			check = addr;
			shown = addr;
		}
		else if (pg_strcasecmp(hostbuf, "localhost") == 0 ||
				 (host_len > 10 && pg_strcasecmp(hostbuf + host_len - 10, ".localhost") == 0))
		{
			/* RFC 6761: localhost names are the loopback address */
			check = "127.0.0.1";
			shown = "127.0.0.1 (localhost)";
		}
	}
	if (port != NULL && port_len > 0)
	{
		long		n;

		if (port_len > 5 || strspn(port, "0123456789") < port_len)
			URL_PROBLEM("invalid port number");
		n = strtol(port, NULL, 10);
		if (n < 1 || n > 65535)
			URL_PROBLEM("invalid port number");
	}
	if (check != NULL)
	{
		char		text[OUTBOUND_ADDR_LEN];

		if (!OutboundNumericAllowed(check, text, sizeof(text)))
			return Problem(msg, "value_error",
						   psprintf("Value error, the address %s is not allowed (campaigns.outbound_allow)",
									shown));
	}
	return NULL;
}

/*
 * OutboundHeaderProblem: see outbound.h.  The header goes out as one line:
 * "Name: value" as given, a bare value as "Authorization: value"; so no
 * control characters (CR or LF would start another header), a value after
 * the name, and not a header that the dispatcher sets or that frames the
 * request.  (Lengths are the model's.)
 */
const char *
OutboundHeaderProblem(const char *value, int len, const char **msg)
{
	char	   *v = pnstrdup(value, len);
	int			n;
	const char *rest;
	int			i;

	if (!OutboundHeaderClean(v) || (int) strlen(v) != len)
		return Problem(msg, "value_error",
					   "Value error, the header must not contain control characters (such as CR, LF or TAB)");
	n = OutboundHeaderNameLength(v);
	rest = n > 0 ? v + n + 1 : v;
	while (*rest == ' ')
		rest++;
	if (*rest == '\0')
		return Problem(msg, "value_error",
					   n > 0 ? "Value error, the header has no value after its name"
					   : "Value error, the header value is blank");
	for (i = 0; n > 0 && i < (int) lengthof(reserved_headers); i++)
		if ((int) strlen(reserved_headers[i]) == n && pg_strncasecmp(v, reserved_headers[i], n) == 0)
			return Problem(msg, "value_error",
						   psprintf("Value error, the header %.*s cannot be set (the dispatcher sets or controls it)",
									n, v));
	return NULL;
}
