/*-------------------------------------------------------------------------
 *
 * src/formats.c
 *		The string formats of the API: uuid, time, RFC 3339 date-time,
 *		e-mail address, IANA time zone name.
 *
 * The parsers answer with the reasons Pydantic v2 gives ("invalid
 * character in hour", "input is too short"...), which validate.c puts
 * after "Input should be a valid ...".  The names of pg_timezone_names are
 * read once per backend into a hash: the view reads every zone file, far
 * too slow to scan per call.
 *
 *-------------------------------------------------------------------------
 */
#include "formats.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* The names of pg_timezone_names, read once per backend. */
#define TZ_KEYSIZE 256
static HTAB *tz_names = NULL;

/*
 * hex_digit[c] is 0 for a byte that is not a hex digit; otherwise 0x10 |
 * its value, and 0x20 more for A-F.
 */
static const uint8 hex_digit[256] = {
	['0'] = 0x10, ['1'] = 0x11, ['2'] = 0x12, ['3'] = 0x13, ['4'] = 0x14, ['5'] = 0x15,
	['6'] = 0x16, ['7'] = 0x17, ['8'] = 0x18, ['9'] = 0x19, ['a'] = 0x1a, ['b'] = 0x1b,
	['c'] = 0x1c, ['d'] = 0x1d, ['e'] = 0x1e, ['f'] = 0x1f, ['A'] = 0x3a, ['B'] = 0x3b,
	['C'] = 0x3c, ['D'] = 0x3d, ['E'] = 0x3e, ['F'] = 0x3f,
};

/* Where each byte's two digits start, in the hyphenated and the bare form. */
static const uint8 uuid_pos36[UUID_LEN] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
static const uint8 uuid_pos32[UUID_LEN] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};

/*
 * ParseUuid accepts the hyphenated form, 32 hex digits, either in braces, and
 * the "urn:uuid:" prefix, in any case.  *canonical says whether s is
 * already what UuidText writes (hyphenated, lower case, nothing around).
 * Every campaign body has dozens of uuids: this is table-driven.
 */
bool
ParseUuid(const char *s, int len, pg_uuid_t *out, bool *canonical)
{
	bool		bare = true;
	const uint8 *pos;
	unsigned	all = 0x3f;
	unsigned	any = 0;

	if (len >= 9 && pg_strncasecmp(s, "urn:uuid:", 9) == 0)
	{
		s += 9;
		len -= 9;
		bare = false;
	}
	else if (len >= 2 && s[0] == '{' && s[len - 1] == '}')
	{
		s++;
		len -= 2;
		bare = false;
	}
	if (len == 36)
	{
		if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
			return false;
		pos = uuid_pos36;
	}
	else if (len == 32)
		pos = uuid_pos32;
	else
		return false;
	for (int k = 0; k < UUID_LEN; k++)
	{
		unsigned	hi = hex_digit[(unsigned char) s[pos[k]]];
		unsigned	lo = hex_digit[(unsigned char) s[pos[k] + 1]];

		all &= hi & lo;
		any |= hi | lo;
		out->data[k] = (unsigned char) (((hi & 0x0f) << 4) | (lo & 0x0f));
	}
	if (!(all & 0x10))
		return false;
	*canonical = bare && len == 36 && !(any & 0x20);
	return true;
}

/* UuidText: see formats.h (uuid_out, without fmgr). */
void
UuidText(const pg_uuid_t *u, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	char	   *p = buf;

	for (int i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u->data[i] >> 4];
		*p++ = hex[u->data[i] & 0x0F];
	}
	*p = '\0';
}

static inline bool
IsDigit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * ParseTime parses HH:MM or HH:MM:SS into seconds since midnight; allow24
 * admits 24:00[:00] (the end of the day).  Returns NULL or the reason.
 */
const char *
ParseTime(const char *s, int len, bool allow24, int *secs)
{
	int			h,
				m,
				sec = 0;

	if (len < 5)
		return "input is too short";
	if (!IsDigit(s[0]) || !IsDigit(s[1]))
		return "invalid character in hour";
	if (s[2] != ':')
		return "invalid time separator, expected `:`";
	if (!IsDigit(s[3]) || !IsDigit(s[4]))
		return "invalid character in minute";
	if (len > 5)
	{
		if (s[5] != ':')
			return "unexpected extra characters at the end of the input";
		if (len < 8)
			return "input is too short";
		if (!IsDigit(s[6]) || !IsDigit(s[7]))
			return "invalid character in second";
		if (len > 8)
			return s[8] == '.' ? "fractional seconds are not allowed" :
				"unexpected extra characters at the end of the input";
		sec = (s[6] - '0') * 10 + (s[7] - '0');
	}
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h == 24 && allow24 && m == 0 && sec == 0)
	{
		*secs = 24 * 3600;
		return NULL;
	}
	if (h > 23)
		return allow24 ? "hour value is outside expected range of 0-23 (or 24:00:00)" :
			"hour value is outside expected range of 0-23";
	if (m > 59)
		return "minute value is outside expected range of 0-59";
	if (sec > 59)
		return "second value is outside expected range of 0-59";
	*secs = h * 3600 + m * 60 + sec;
	return NULL;
}

static int
Digits(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (!IsDigit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * ParseRfc3339 parses an RFC 3339 date-time with a mandatory offset:
 * YYYY-MM-DD(T|t| )HH:MM:SS[.f{1,6}](Z|z|+HH:MM|-HH:MM).  Returns NULL or
 * the reason; on success *ts is the instant and *norm its UTC form.
 */
const char *
ParseRfc3339(const char *s, int len, TimestampTz *ts, char **norm)
{
	struct pg_tm tm;
	int			p;
	int			fdigits = 0;
	fsec_t		fsec = 0;
	int			tz;
	Timestamp	result;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			dim;
	StringInfoData buf;

	memset(&tm, 0, sizeof(tm));
	if (len < 10)
		return "input is too short";
	if ((tm.tm_year = Digits(s, 4)) < 0)
		return "invalid character in year";
	if (s[4] != '-')
		return "invalid date separator, expected `-`";
	if ((tm.tm_mon = Digits(s + 5, 2)) < 0)
		return "invalid character in month";
	if (s[7] != '-')
		return "invalid date separator, expected `-`";
	if ((tm.tm_mday = Digits(s + 8, 2)) < 0)
		return "invalid character in day";
	if (len == 10)
		return "a time and a timezone offset are required (e.g. 2030-01-02T09:00:00Z)";
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return "invalid datetime separator, expected `T`, `t` or space";
	if (len < 19)
		return "input is too short (seconds are required)";
	if ((tm.tm_hour = Digits(s + 11, 2)) < 0)
		return "invalid character in hour";
	if (s[13] != ':')
		return "invalid time separator, expected `:`";
	if ((tm.tm_min = Digits(s + 14, 2)) < 0)
		return "invalid character in minute";
	if (s[16] != ':')
		return "invalid time separator, expected `:`";
	if ((tm.tm_sec = Digits(s + 17, 2)) < 0)
		return "invalid character in second";
	p = 19;
	if (p < len && s[p] == '.')
	{
		int			scale = 100000;

		p++;
		while (p < len && IsDigit(s[p]))
		{
			if (fdigits == 6)
				return "second fraction value is more than 6 digits long";
			fsec += (s[p] - '0') * scale;
			scale /= 10;
			fdigits++;
			p++;
		}
		if (fdigits == 0)
			return "invalid character in second fraction";
	}
	if (p >= len)
		return "a timezone offset is required (Z or +HH:MM)";
	if (s[p] == 'Z' || s[p] == 'z')
	{
		tz = 0;
		p++;
	}
	else if (s[p] == '+' || s[p] == '-')
	{
		int			oh,
					om;

		if (len - p < 6)
			return "invalid timezone offset, expected +HH:MM or -HH:MM";
		oh = Digits(s + p + 1, 2);
		om = Digits(s + p + 4, 2);
		if (oh < 0 || om < 0 || s[p + 3] != ':')
			return "invalid timezone offset, expected +HH:MM or -HH:MM";
		if (oh > 23 || om > 59)
			return "timezone offset is outside expected range";
		/* PostgreSQL's tz is seconds west of Greenwich. */
		tz = (oh * 3600 + om * 60) * (s[p] == '+' ? -1 : 1);
		p += 6;
	}
	else
		return "invalid timezone sign";
	if (p != len)
		return "unexpected extra characters at the end of the input";

	if (tm.tm_year < 1)
		return "year value is outside expected range of 1-9999";
	if (tm.tm_mon < 1 || tm.tm_mon > 12)
		return "month value is outside expected range of 1-12";
	dim = mdays[tm.tm_mon - 1];
	if (tm.tm_mon == 2 && ((tm.tm_year % 4 == 0 && tm.tm_year % 100 != 0) ||
						   tm.tm_year % 400 == 0))
		dim = 29;
	if (tm.tm_mday < 1 || tm.tm_mday > dim)
		return "day value is outside expected range";
	if (tm.tm_hour > 23)
		return "hour value is outside expected range of 0-23";
	if (tm.tm_min > 59)
		return "minute value is outside expected range of 0-59";
	if (tm.tm_sec > 59)
		return "second value is outside expected range of 0-59";
	if (tm2timestamp(&tm, fsec, &tz, &result) != 0)
		return "date is out of range";
	*ts = result;

	/* The UTC form, fractional seconds kept only when given. */
	if (timestamp2tm(result, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year < 1 || tm.tm_year > 9999)
		return "year value is outside expected range of 1-9999 in UTC";
	initStringInfo(&buf);
	appendStringInfo(&buf, "%04d-%02d-%02dT%02d:%02d:%02d",
					 tm.tm_year, tm.tm_mon, tm.tm_mday,
					 tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (fdigits > 0)
	{
		char		frac[8];
		int			n;

		snprintf(frac, sizeof(frac), "%06d", (int) fsec);
		/* As many digits as given, at least. */
		n = 6;
		while (n > fdigits && frac[n - 1] == '0')
			n--;
		frac[n] = '\0';
		appendStringInfo(&buf, ".%s", frac);
	}
	appendStringInfoChar(&buf, 'Z');
	*norm = buf.data;
	return NULL;
}

static inline bool
IsSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * IsEmailAddress is ^[^@\s]+@[^@\s]+\.[^@\s]+$: one "@" with something
 * before it, and a domain with a dot that neither starts nor ends it.
 */
bool
IsEmailAddress(const char *s, int len)
{
	int			at = -1;
	bool		dot = false;

	for (int i = 0; i < len; i++)
	{
		if (IsSpace(s[i]))
			return false;
		if (s[i] == '@')
		{
			if (at >= 0)
				return false;
			at = i;
		}
		else if (s[i] == '.' && at >= 0 && i > at + 1 && i < len - 1)
			dot = true;
	}
	return at > 0 && dot;
}

/*
 * EnsureTimezoneNames reads the names of pg_timezone_names into a
 * backend-local hash, once: the view reads every zone file, far too slow to
 * scan per call.
 */
static void
EnsureTimezoneNames(void)
{
	HASHCTL		ctl;
	HTAB	   *h;

	if (tz_names != NULL)
		return;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = TZ_KEYSIZE;
	ctl.entrysize = TZ_KEYSIZE;
	ctl.hcxt = TopMemoryContext;
	h = hash_create("campaigns time zone names", 1024, &ctl,
					HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT name FROM pg_catalog.pg_timezone_names", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_timezone_names");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		if (name != NULL && strlen(name) < TZ_KEYSIZE)
			hash_search(h, name, HASH_ENTER, NULL);
	}
	SPI_finish();
	tz_names = h;
}

bool
IsKnownTimezone(const char *s, int len)
{
	char		key[TZ_KEYSIZE];

	EnsureTimezoneNames();

	if (len <= 0 || len >= TZ_KEYSIZE || memchr(s, '\0', len) != NULL)
		return false;
	memset(key, 0, sizeof(key));
	memcpy(key, s, len);
	return hash_search(tz_names, key, HASH_FIND, NULL) != NULL;
}

