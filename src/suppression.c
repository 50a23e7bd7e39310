/*-------------------------------------------------------------------------
 *
 * src/suppression.c
 *		Canonical forms of the values of the suppression list.
 *
 * A suppression entry (SPEC §11) names an email address, a domain or a
 * LinkedIn URL that a user's campaigns must never contact.  Entries are
 * stored in one canonical form per kind, and the same functions compute the
 * form of a lead's addresses when enrolment and the dispatcher's claim look
 * the lead up, so each lookup is an equality probe of the unique index
 * (user_id, kind, value):
 *
 *	email			trimmed, lower case; local@domain.tld (the rule leads follow)
 *	domain			trimmed, lower case, without a leading "@" or a trailing ".";
 *					labels of letters, digits and "-" (or UTF-8, for IDNs)
 *	linkedin_url	"linkedin.com/<path>": no scheme, no subdomain (www., uk.,
 *					m....), no port, query, fragment or trailing slash,
 *					percent-escapes of unreserved and non-ASCII characters
 *					decoded, lower case
 *
 * Lower case is ASCII's for ASCII text, else that of lower() under the
 * database's default collation.
 *
 *-------------------------------------------------------------------------
 */
#include "suppression.h"

#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/formatting.h"

#define MAX_EMAIL_LEN 320
#define MAX_DOMAIN_LEN 253
#define MAX_URL_LEN 2048

static bool
IsSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trim trims ASCII white space off both ends of s[0..*len). */
static const char *
Trim(const char *s, int *len)
{
	int			n = *len;

	while (n > 0 && IsSpace(*s))
	{
		s++;
		n--;
	}
	while (n > 0 && IsSpace(s[n - 1]))
		n--;
	*len = n;
	return s;
}

/*
 * Lower lowers ASCII text (every address, nearly) byte by byte, and other
 * text as lower() does under the database's default collation, without
 * the wide-character round trip for the common case.  (Entries and lookups
 * both go through here, so they agree whatever the locale.)
 */
static char *
Lower(const char *s, int len)
{
	char	   *r;

	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			return str_tolower(s, len, DEFAULT_COLLATION_OID);
	r = palloc(len + 1);
	for (int i = 0; i < len; i++)
		r[i] = pg_ascii_tolower((unsigned char) s[i]);
	r[len] = '\0';
	return r;
}

/*
 * ValidDomain checks a domain in lower case: at least two labels of 1..63
 * characters, each of letters, digits, "-" (not first or last) or non-ASCII
 * bytes.
 */
static bool
ValidDomain(const char *d, int len)
{
	int			labels = 0;
	int			start = 0;

	if (len < 3 || len > MAX_DOMAIN_LEN)
		return false;
	for (int i = 0; i <= len; i++)
	{
		if (i == len || d[i] == '.')
		{
			int			n = i - start;

			if (n < 1 || n > 63 || d[start] == '-' || d[i - 1] == '-')
				return false;
			labels++;
			start = i + 1;
			continue;
		}
		if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= '0' && d[i] <= '9') ||
			  d[i] == '-' || (unsigned char) d[i] >= 0x80))
			return false;
	}
	return labels >= 2;
}

/*
 * NormalizeDomain: s without a leading "@" (when at_allowed) or a trailing
 * ".", in lower case, if that is a valid domain.
 */
static char *
NormalizeDomain(const char *s, int len, bool at_allowed)
{
	char	   *d;
	int			n;

	s = Trim(s, &len);
	if (at_allowed && len > 0 && s[0] == '@')
	{
		s++;
		len--;
	}
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || memchr(s, '@', len) != NULL)
		return NULL;
	d = Lower(s, len);
	n = strlen(d);
	return ValidDomain(d, n) ? d : NULL;
}

/* NormalizeEmail: local@domain.tld, the rule of a lead's email, in lower case. */
static char *
NormalizeEmail(const char *s, int len)
{
	const char *at = NULL;
	bool		dot = false;

	s = Trim(s, &len);
	if (len < 5 || len > MAX_EMAIL_LEN)
		return NULL;
	for (int i = 0; i < len; i++)
	{
		if (IsSpace(s[i]))
			return NULL;
		if (s[i] == '@')
		{
			if (at != NULL)
				return NULL;
			at = s + i;
		}
	}
	if (at == NULL || at == s)
		return NULL;
	/* the domain part: a "." with something on both sides */
	for (const char *p = at + 2; p < s + len - 1; p++)
		if (*p == '.')
			dot = true;
	if (!dot)
		return NULL;
	return Lower(s, len);
}

static int
HexValue(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * DecodePath percent-decodes the escapes of path[0..len) that stand for
 * unreserved ASCII characters or bytes of non-ASCII characters, when the
 * result is valid in the database encoding (otherwise path is kept as it
 * is); other escapes ("%2F", "%20"...) stay escaped.
 */
static void
DecodePath(StringInfo out, const char *path, int len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < len; i++)
	{
		int			hi,
					lo;

		if (path[i] == '%' && i + 2 < len &&
			(hi = HexValue(path[i + 1])) >= 0 && (lo = HexValue(path[i + 2])) >= 0)
		{
			unsigned char b = (unsigned char) (hi * 16 + lo);

			if (b >= 0x80 || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
				(b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_' || b == '~')
			{
				appendStringInfoChar(&buf, (char) b);
				i += 2;
				continue;
			}
		}
		appendStringInfoChar(&buf, path[i]);
	}
	if (pg_verifymbstr(buf.data, buf.len, true))
		appendBinaryStringInfo(out, buf.data, buf.len);
	else
		appendBinaryStringInfo(out, path, len);
	pfree(buf.data);
}

/*
 * NormalizeLinkedIn: "linkedin.com/<path>" for an http(s) URL (or one
 * without a scheme) on linkedin.com or a subdomain of it, with a path.
 */
static char *
NormalizeLinkedIn(const char *s, int len)
{
	const char *host;
	const char *end;
	const char *path;
	const char *path_end;
	char	   *h;
	int			hlen;
	StringInfoData out;
	char	   *result;

	s = Trim(s, &len);
	if (len == 0 || len > MAX_URL_LEN)
		return NULL;
	end = s + len;
	for (const char *p = s; p < end; p++)
		if (IsSpace(*p) || (unsigned char) *p < 0x20 || *p == 0x7f)
			return NULL;
	if (len >= 8 && pg_strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (len >= 7 && pg_strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else
	{
		/* no scheme, or one that is not http(s) */
		for (const char *p = s; p < end && *p != '/'; p++)
			if (*p == ':')
				return NULL;
		host = s;
	}
	path = host;
	while (path < end && *path != '/' && *path != '?' && *path != '#')
		path++;
	hlen = path - host;
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (hlen == 0)
		return NULL;
	h = Lower(host, hlen);
	hlen = strlen(h);
	if (!(strcmp(h, "linkedin.com") == 0 ||
		  (hlen > 13 && strcmp(h + hlen - 13, ".linkedin.com") == 0 && ValidDomain(h, hlen))))
		return NULL;
	path_end = path;
	while (path_end < end && *path_end != '?' && *path_end != '#')
		path_end++;
	while (path_end > path && path_end[-1] == '/')
		path_end--;
	if (path_end == path)
		return NULL;			/* linkedin.com itself names no one */

	initStringInfo(&out);
	DecodePath(&out, path, path_end - path);
	result = psprintf("linkedin.com%s", Lower(out.data, out.len));
	pfree(out.data);
	return result;
}

char *
SuppressionNormalize(SuppressionKind kind, const char *value, int len)
{
	switch (kind)
	{
		case SUPPRESS_EMAIL:
			return NormalizeEmail(value, len);
		case SUPPRESS_DOMAIN:
			return NormalizeDomain(value, len, true);
		case SUPPRESS_LINKEDIN_URL:
			return NormalizeLinkedIn(value, len);
	}
	return NULL;
}

char *
EmailDomain(const char *email, int len)
{
	const char *at = NULL;

	for (int i = 0; i < len; i++)
		if (email[i] == '@')
			at = email + i;
	if (at == NULL)
		return NULL;
	return NormalizeDomain(at + 1, email + len - at - 1, false);
}

static bool
ParseKind(text *t, SuppressionKind *kind)
{
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);

	if (len == 5 && memcmp(s, "email", 5) == 0)
		*kind = SUPPRESS_EMAIL;
	else if (len == 6 && memcmp(s, "domain", 6) == 0)
		*kind = SUPPRESS_DOMAIN;
	else if (len == 12 && memcmp(s, "linkedin_url", 12) == 0)
		*kind = SUPPRESS_LINKEDIN_URL;
	else
		return false;
	return true;
}

PG_FUNCTION_INFO_V1(suppression_value);

/*
 * suppression_value(kind, value) is the canonical form of value as an
 * entry of kind (email, domain, linkedin_url), or null when it is not a
 * valid one (or kind is unknown): what entries store and what lookups
 * probe.
 */
Datum
suppression_value(PG_FUNCTION_ARGS)
{
	text	   *v = PG_GETARG_TEXT_PP(1);
	SuppressionKind kind;
	char	   *r;

	if (!ParseKind(PG_GETARG_TEXT_PP(0), &kind))
		PG_RETURN_NULL();
	r = SuppressionNormalize(kind, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	if (r == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(r));
}

PG_FUNCTION_INFO_V1(email_domain);

/*
 * email_domain(email) is the canonical domain of an email address (null
 * when it has none): the value a domain entry must have to match it.
 */
Datum
email_domain(PG_FUNCTION_ARGS)
{
	text	   *v = PG_GETARG_TEXT_PP(0);
	char	   *r = EmailDomain(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));

	if (r == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(r));
}

