/*-------------------------------------------------------------------------
 *
 * src/formats.h
 *		The string formats of the API: uuid, time, RFC 3339 date-time,
 *		e-mail address, IANA time zone name.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_FORMATS_H
#define CAMPAIGNS_FORMATS_H

#include "campaigns.h"

#include "datatype/timestamp.h"
#include "utils/uuid.h"

/*
 * ParseUuid accepts the hyphenated form, 32 hex digits, either in braces,
 * and the "urn:uuid:" prefix, in any case; *canonical is set when s is
 * already the uuid's canonical text.
 */
extern bool ParseUuid(const char *s, int len, pg_uuid_t *out, bool *canonical);

/* UuidText writes a uuid in canonical lower case (37 bytes with the NUL). */
extern void UuidText(const pg_uuid_t *u, char *buf);

/*
 * ParseTime parses HH:MM or HH:MM:SS into seconds since midnight; allow24
 * admits 24:00[:00] (the end of the day).  Returns NULL or the reason, in
 * the words of Pydantic's time parser.
 */
extern const char *ParseTime(const char *s, int len, bool allow24, int *secs);

/*
 * ParseRfc3339 parses an RFC 3339 date-time with seconds and an offset.
 * Returns NULL or the reason; on success *ts is the instant and *norm its
 * UTC form (fractional seconds kept only when given).
 */
extern const char *ParseRfc3339(const char *s, int len, TimestampTz *ts, char **norm);

/* IsEmailAddress: local@domain with a dot inside the domain, no spaces. */
extern bool IsEmailAddress(const char *s, int len);

/* IsKnownTimezone: a name of pg_timezone_names (read once per backend). */
extern bool IsKnownTimezone(const char *s, int len);

#endif							/* CAMPAIGNS_FORMATS_H */
