/*-------------------------------------------------------------------------
 *
 * src/validate.c
 *		Validation and normalisation of Create Campaign request bodies.
 *
 * _campaign_validate(body, user_id, check_start_future) checks a campaign
 * request body against every rule of SPEC §4 and either returns the
 * normalised body (all fields present, defaults filled, steps sorted by
 * step number, uuids and times in canonical form) or raises SQLSTATE 22023
 * with a DETAIL that is a JSON array of FastAPI/Pydantic v2 error objects
 * {"loc": [...], "msg": "...", "type": "..."} -- every violation, not only
 * the first.
 *
 * The check runs in three phases, which fixes the order of the errors:
 *	1. field checks, in model declaration order, each model's unknown keys
 *	   right after its own fields (nested step and variant models are
 *	   checked where the "steps" and "variants" fields are);
 *	2. cross-field rules (channel against type, required-when rules,
 *	   start_date against launch_type, the sending window...);
 *	3. references: one SPI query per kind of object (dataset, template,
 *	   sender profile, email alias, connected account), always restricted to
 *	   the caller's user_id so that another user's object looks exactly like
 *	   a missing one, even to a superuser.
 * A value that failed its format check is never looked up.
 *
 * The queries are prepared once per backend (SPI_keepplan) and the names of
 * pg_timezone_names are read once into a backend-local hash, so a call costs
 * one JSONB walk plus at most five index lookups.  The walk runs in a
 * temporary memory context that is deleted before returning.
 *
 *-------------------------------------------------------------------------
 */
#include "validate.h"

#include "plans.h"
#include "render.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(campaign_validate);

/* At most this many errors are reported (a body of a million unknown keys). */
#define MAX_ERRORS 1000

/*
 * A loc path is a chain of items from the innermost to "body", built on the
 * stack as the walk descends (cheap: nothing is copied until an error is
 * reported).
 */
#define MAX_LOC 8

typedef struct Loc
{
	const struct Loc *parent;
	const char *key;			/* NULL for an array index */
	int			keylen;
	int			index;
} Loc;

static const Loc root_loc = {NULL, "body", 4, 0};

/* What a field held. */
typedef enum FieldState
{
	FS_ABSENT,					/* key not present */
	FS_NULL,					/* JSON null where null is allowed */
	FS_OK,						/* a valid value */
	FS_BAD						/* invalid; an error was reported */
} FieldState;

#define IS_GIVEN(fs) ((fs) == FS_OK)

/* Channels, and what a step's channel field held. */
#define CH_BAD		(-2)
#define CH_NONE		(-1)
#define CH_EMAIL	0
#define CH_LINKEDIN 1

static const char *const channel_names[] = {"email", "linkedin"};

static const char *const type_names[] = {"email", "linkedin", "mixed"};
#define TYPE_MIXED 2

static const char *const launch_names[] = {"immediate", "scheduled"};
#define LAUNCH_IMMEDIATE 0
#define LAUNCH_SCHEDULED 1

static const char *const policy_names[] = {"launch_default", "hold", "cancel"};

static const char *const stop_on_reply_names[] = {"lead", "company", "all_campaigns"};

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static const char *const vtype_names[] = {"TEMPLATE", "PERSONALIZATION"};
#define VT_TEMPLATE 0
#define VT_PERSONALIZATION 1

/* LinkedIn actions first, then the one email action. */
static const char *const action_names[] = {
	"connection_request", "message", "inmail", "profile_visit", "follow",
	"like_post", "withdraw_invitation", "send_email"
};
#define ACT_CONNECTION_REQUEST 0
#define ACT_MESSAGE 1
#define ACT_INMAIL 2
#define ACT_SEND_EMAIL 7
#define N_LINKEDIN_ACTIONS 7

static const char *const body_keys[] = {
	"name", "dataset_id", "steps", "description", "type", "alias_ids",
	"connected_account_id", "launch_type", "start_date", "daily_limit",
	"sending_window_start", "sending_window_end", "min_interval_seconds",
	"timezone", "send_days", "system_prompt", "unreviewed_launch_policy",
	"stop_on_reply", "max_bounce_rate", "bounce_window"
};

static const char *const step_keys[] = {
	"step", "delay_days", "channel", "variants", "ai_personalization_enabled",
	"track_clicks", "action_type", "message_template"
};

static const char *const variant_keys[] = {
	"label", "weight", "type", "template_id", "sender_profile_id"
};

typedef struct VVariant
{
	bool		is_object;
	FieldState	label_fs;
	char	   *label;
	int			labellen;
	FieldState	weight_fs;
	int			weight;
	FieldState	type_fs;
	int			vtype;
	FieldState	template_fs;
	pg_uuid_t	template_id;
	FieldState	sender_fs;
	pg_uuid_t	sender_id;
	int			template_channel;	/* from the lookup; CH_NONE if not found */
	bool		sender_found;
} VVariant;

typedef struct VStep
{
	int			index;			/* position in the given array */
	bool		is_object;
	FieldState	step_fs;
	int			step;
	FieldState	delay_fs;
	int			delay;
	FieldState	channel_fs;
	int			channel;
	FieldState	variants_fs;
	int			nvariants;
	VVariant   *variants;
	FieldState	ai_fs;
	bool		ai;
	FieldState	track_fs;
	bool		track;
	FieldState	action_fs;
	int			action;
	FieldState	message_fs;
	char	   *message;
	int			messagelen;
	int			eff_channel;	/* the step's channel after defaults, or CH_NONE */
} VStep;

typedef struct VBody
{
	FieldState	name_fs;
	char	   *name;
	int			namelen;
	FieldState	dataset_fs;
	pg_uuid_t	dataset_id;
	FieldState	steps_fs;
	int			nsteps;
	VStep	   *steps;
	FieldState	description_fs;
	char	   *description;
	int			descriptionlen;
	FieldState	type_fs;
	int			type;
	FieldState	aliases_fs;
	int			naliases;
	char	  **aliases;
	int		   *aliaslens;
	bool	   *alias_ok;		/* item is a string and not a duplicate */
	bool	   *alias_found;
	FieldState	account_fs;
	pg_uuid_t	account_id;
	FieldState	launch_fs;
	int			launch;
	FieldState	start_fs;
	TimestampTz start;
	char	   *start_text;		/* normalised RFC 3339 in UTC */
	FieldState	limit_fs;
	int			daily_limit;
	FieldState	wstart_fs;
	int			wstart;			/* seconds since midnight */
	FieldState	wend_fs;
	int			wend;
	FieldState	interval_fs;
	int			interval;
	FieldState	tz_fs;
	char	   *tz;
	int			tzlen;
	FieldState	days_fs;
	bool		days[7];
	FieldState	prompt_fs;
	char	   *prompt;
	int			promptlen;
	FieldState	policy_fs;
	int			policy;
	FieldState	stop_fs;
	int			stop_on_reply;
	FieldState	bounce_rate_fs;
	int			max_bounce_rate;
	FieldState	bounce_window_fs;
	int			bounce_window;
} VBody;

typedef struct VState
{
	StringInfoData errs;		/* the JSON array being built */
	int			nerrs;
} VState;

/* Plans kept for the backend's life, for the extension schema plans_nsp. */
static Oid	plans_nsp = InvalidOid;
static SPIPlanPtr plan_dataset = NULL;
static SPIPlanPtr plan_template = NULL;
static SPIPlanPtr plan_sender = NULL;
static SPIPlanPtr plan_alias = NULL;
static SPIPlanPtr plan_account = NULL;

/* The names of pg_timezone_names, read once per backend. */
#define TZ_KEYSIZE 256
static HTAB *tz_names = NULL;

/* ---------------------------------------------------------------- loc */

static inline Loc
LocKeyLen(const Loc *parent, const char *key, int keylen)
{
	Loc			l = {parent, key, keylen, 0};

	return l;
}

static inline Loc
LocKey(const Loc *parent, const char *key)
{
	return LocKeyLen(parent, key, strlen(key));
}

static inline Loc
LocIndex(const Loc *parent, int index)
{
	Loc			l = {parent, NULL, 0, index};

	return l;
}

/*
 * AddError appends one {"loc","msg","type"} object to the error array.
 */
static void
AddError(VState *vs, const Loc *loc, const char *type, const char *msg)
{
	StringInfo	buf = &vs->errs;
	const Loc  *items[MAX_LOC];
	int			n = 0;

	if (vs->nerrs >= MAX_ERRORS)
		return;
	appendStringInfoString(buf, vs->nerrs == 0 ? "[" : ",");
	for (const Loc *l = loc; l != NULL && n < MAX_LOC; l = l->parent)
		items[n++] = l;
	appendStringInfoString(buf, "{\"loc\":[");
	for (int i = n - 1; i >= 0; i--)
	{
		if (i < n - 1)
			appendStringInfoChar(buf, ',');
		if (items[i]->key != NULL)
			escape_json(buf, pnstrdup(items[i]->key, items[i]->keylen));
		else
			appendStringInfo(buf, "%d", items[i]->index);
	}
	appendStringInfoString(buf, "],\"msg\":");
	escape_json(buf, msg);
	appendStringInfoString(buf, ",\"type\":");
	escape_json(buf, type);
	appendStringInfoChar(buf, '}');
	vs->nerrs++;
}

static void AddErrorf(VState *vs, const Loc *loc, const char *type, const char *fmt,...) pg_attribute_printf(4, 5);

static void
AddErrorf(VState *vs, const Loc *loc, const char *type, const char *fmt,...)
{
	StringInfoData msg;

	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	AddError(vs, loc, type, msg.data);
}

static void
AddMissing(VState *vs, const Loc *loc)
{
	AddError(vs, loc, "missing", "Field required");
}

/* EnumMessage builds "Input should be 'a', 'b' or 'c'". */
static char *
EnumMessage(const char *const *names, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "Input should be ");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, i == n - 1 ? " or " : ", ");
		appendStringInfo(&buf, "'%s'", names[i]);
	}
	return buf.data;
}

/* ------------------------------------------------------------- scalars */

/*
 * GetField returns the value of key in obj, or NULL when absent; *present
 * counts the keys found, so that ReportExtras can skip objects without
 * unknown keys.
 */
static JsonbValue *
GetField(JsonbContainer *obj, const char *key, int *present)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);

	if (v != NULL)
		(*present)++;
	return v;
}

static bool
IsObject(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
IsArray(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

/*
 * CheckString checks a string field of minc..maxc characters (maxc < 0: no
 * limit).
 */
static FieldState
CheckString(VState *vs, const Loc *loc, JsonbValue *v, bool required,
			bool nullable, int minc, int maxc, char **out, int *outlen)
{
	int			nchars;

	if (v == NULL)
	{
		if (required)
		{
			AddMissing(vs, loc);
			return FS_BAD;
		}
		return FS_ABSENT;
	}
	if (v->type == jbvNull && nullable)
		return FS_NULL;
	if (v->type != jbvString)
	{
		AddError(vs, loc, "string_type", "Input should be a valid string");
		return FS_BAD;
	}
	nchars = pg_mbstrlen_with_len(v->val.string.val, v->val.string.len);
	if (nchars < minc)
	{
		AddErrorf(vs, loc, "string_too_short",
				  "String should have at least %d character%s",
				  minc, minc == 1 ? "" : "s");
		return FS_BAD;
	}
	if (maxc >= 0 && nchars > maxc)
	{
		AddErrorf(vs, loc, "string_too_long",
				  "String should have at most %d character%s",
				  maxc, maxc == 1 ? "" : "s");
		return FS_BAD;
	}
	*out = v->val.string.val;
	*outlen = v->val.string.len;
	return FS_OK;
}

/*
 * CheckInt checks a strict JSON integer in min..max: a number without a
 * fractional part or decimal point (jsonb keeps "500.0" apart from "500").
 */
static FieldState
CheckInt(VState *vs, const Loc *loc, JsonbValue *v, bool required,
		 int min, int max, int *out)
{
	Numeric		num;
	int32		value;
	bool		overflow = false;

	if (v == NULL)
	{
		if (required)
		{
			AddMissing(vs, loc);
			return FS_BAD;
		}
		return FS_ABSENT;
	}
	if (v->type != jbvNumeric ||
		numeric_is_nan(v->val.numeric) || numeric_is_inf(v->val.numeric))
	{
		AddError(vs, loc, "int_type", "Input should be a valid integer");
		return FS_BAD;
	}
	num = v->val.numeric;
	if (DatumGetInt32(DirectFunctionCall1(numeric_scale, NumericGetDatum(num))) != 0)
	{
		AddError(vs, loc, "int_type", "Input should be a valid integer");
		return FS_BAD;
	}
	value = numeric_int4_opt_error(num, &overflow);
	if (overflow)
	{
		char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
															NumericGetDatum(num)));

		value = (s[0] == '-') ? PG_INT32_MIN : PG_INT32_MAX;
	}
	if (value < min)
	{
		AddErrorf(vs, loc, "greater_than_equal",
				  "Input should be greater than or equal to %d", min);
		return FS_BAD;
	}
	if (value > max)
	{
		AddErrorf(vs, loc, "less_than_equal",
				  "Input should be less than or equal to %d", max);
		return FS_BAD;
	}
	*out = value;
	return FS_OK;
}

static FieldState
CheckBool(VState *vs, const Loc *loc, JsonbValue *v, bool *out)
{
	if (v == NULL)
		return FS_ABSENT;
	if (v->type != jbvBool)
	{
		AddError(vs, loc, "bool_type", "Input should be a valid boolean");
		return FS_BAD;
	}
	*out = v->val.boolean;
	return FS_OK;
}

/* EnumIndex returns the index of the string v in names, or -1. */
static int
EnumIndex(JsonbValue *v, const char *const *names, int n)
{
	if (v->type != jbvString)
		return -1;
	for (int i = 0; i < n; i++)
	{
		if (strlen(names[i]) == (size_t) v->val.string.len &&
			memcmp(names[i], v->val.string.val, v->val.string.len) == 0)
			return i;
	}
	return -1;
}

static FieldState
CheckEnum(VState *vs, const Loc *loc, JsonbValue *v, bool nullable,
		  const char *const *names, int n, int *out)
{
	int			i;

	if (v == NULL)
		return FS_ABSENT;
	if (v->type == jbvNull && nullable)
		return FS_NULL;
	i = EnumIndex(v, names, n);
	if (i < 0)
	{
		AddError(vs, loc, "enum", EnumMessage(names, n));
		return FS_BAD;
	}
	*out = i;
	return FS_OK;
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
 * ParseUuid accepts the hyphenated form, 32 hex digits, either in braces, and
 * the "urn:uuid:" prefix, in any case.
 */
static bool
ParseUuid(const char *s, int len, pg_uuid_t *out)
{
	int			k = 0;

	if (len >= 9 && pg_strncasecmp(s, "urn:uuid:", 9) == 0)
	{
		s += 9;
		len -= 9;
	}
	else if (len >= 2 && s[0] == '{' && s[len - 1] == '}')
	{
		s++;
		len -= 2;
	}
	if (len != 36 && len != 32)
		return false;
	for (int i = 0; i < len;)
	{
		int			hi,
					lo;

		if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23))
		{
			if (s[i] != '-')
				return false;
			i++;
			continue;
		}
		if (i + 1 >= len)
			return false;
		hi = HexValue(s[i]);
		lo = HexValue(s[i + 1]);
		if (hi < 0 || lo < 0 || k >= UUID_LEN)
			return false;
		out->data[k++] = (unsigned char) ((hi << 4) | lo);
		i += 2;
	}
	return k == UUID_LEN;
}

static FieldState
CheckUuid(VState *vs, const Loc *loc, JsonbValue *v, bool required,
		  bool nullable, pg_uuid_t *out)
{
	if (v == NULL)
	{
		if (required)
		{
			AddMissing(vs, loc);
			return FS_BAD;
		}
		return FS_ABSENT;
	}
	if (v->type == jbvNull && nullable)
		return FS_NULL;
	if (v->type != jbvString)
	{
		AddError(vs, loc, "uuid_type",
				 "UUID input should be a string, bytes or UUID object");
		return FS_BAD;
	}
	if (!ParseUuid(v->val.string.val, v->val.string.len, out))
	{
		AddError(vs, loc, "uuid_parsing", "Input should be a valid UUID");
		return FS_BAD;
	}
	return FS_OK;
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
static const char *
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

static FieldState
CheckTime(VState *vs, const Loc *loc, JsonbValue *v, bool allow24, int *out)
{
	const char *reason;

	if (v == NULL)
		return FS_ABSENT;
	if (v->type != jbvString)
	{
		AddError(vs, loc, "time_type", "Input should be a valid time");
		return FS_BAD;
	}
	reason = ParseTime(v->val.string.val, v->val.string.len, allow24, out);
	if (reason != NULL)
	{
		AddErrorf(vs, loc, "time_parsing",
				  "Input should be in a valid time format, %s", reason);
		return FS_BAD;
	}
	return FS_OK;
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
static const char *
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

static FieldState
CheckDateTime(VState *vs, const Loc *loc, JsonbValue *v, TimestampTz *ts,
			  char **norm)
{
	const char *reason;

	if (v == NULL)
		return FS_ABSENT;
	if (v->type == jbvNull)
		return FS_NULL;
	if (v->type != jbvString)
	{
		AddError(vs, loc, "datetime_type", "Input should be a valid datetime");
		return FS_BAD;
	}
	reason = ParseRfc3339(v->val.string.val, v->val.string.len, ts, norm);
	if (reason != NULL)
	{
		AddErrorf(vs, loc, "datetime_parsing",
				  "Input should be a valid datetime, %s", reason);
		return FS_BAD;
	}
	return FS_OK;
}

/*
 * CheckList checks that v is an array of minn..maxn items; it returns the
 * array container and its size.
 */
static FieldState
CheckList(VState *vs, const Loc *loc, JsonbValue *v, bool required,
		  bool nullable, int minn, int maxn, JsonbContainer **out, int *n)
{
	int			size;

	if (v == NULL)
	{
		if (required)
		{
			AddMissing(vs, loc);
			return FS_BAD;
		}
		return FS_ABSENT;
	}
	if (v->type == jbvNull && nullable)
		return FS_NULL;
	if (!IsArray(v))
	{
		AddError(vs, loc, "list_type", "Input should be a valid list");
		return FS_BAD;
	}
	size = JsonContainerSize(v->val.binary.data);
	if (size < minn)
	{
		AddErrorf(vs, loc, "too_short",
				  "List should have at least %d item%s after validation, not %d",
				  minn, minn == 1 ? "" : "s", size);
		return FS_BAD;
	}
	if (maxn >= 0 && size > maxn)
	{
		AddErrorf(vs, loc, "too_long",
				  "List should have at most %d item%s after validation, not %d",
				  maxn, maxn == 1 ? "" : "s", size);
		return FS_BAD;
	}
	*out = v->val.binary.data;
	*n = size;
	return FS_OK;
}

/*
 * ReportExtras reports each key of obj that is not in keys as
 * extra_forbidden.  (jsonb stores keys sorted by length, then bytes, so that
 * is the order of these errors.)
 */
static void
ReportExtras(VState *vs, const Loc *loc, JsonbContainer *obj,
			 const char *const *keys, int nkeys, int present)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	/* Every key was a known one. */
	if ((int) JsonContainerSize(obj) == present)
		return;
	it = JsonbIteratorInit(obj);

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		for (int i = 0; i < nkeys; i++)
		{
			if (strlen(keys[i]) == (size_t) v.val.string.len &&
				memcmp(keys[i], v.val.string.val, v.val.string.len) == 0)
			{
				known = true;
				break;
			}
		}
		if (!known)
		{
			Loc			l = LocKeyLen(loc, v.val.string.val, v.val.string.len);

			AddError(vs, &l, "extra_forbidden", "Extra inputs are not permitted");
		}
	}
}

/* ------------------------------------------------------- time zones */

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

static bool
IsKnownTimezone(const char *s, int len)
{
	char		key[TZ_KEYSIZE];

	if (len <= 0 || len >= TZ_KEYSIZE || memchr(s, '\0', len) != NULL)
		return false;
	memset(key, 0, sizeof(key));
	memcpy(key, s, len);
	return hash_search(tz_names, key, HASH_FIND, NULL) != NULL;
}

/* ------------------------------------------------------------ fields */

/* CheckVariant checks the fields of variant j of a step. */
static void
CheckVariant(VState *vs, const Loc *loc, JsonbValue *v, VVariant *var)
{
	JsonbContainer *obj;
	Loc			l;
	int			present = 0;

	memset(var, 0, sizeof(*var));
	var->template_channel = CH_NONE;
	if (!IsObject(v))
	{
		AddError(vs, loc, "model_type",
				 "Input should be a valid dictionary or instance of CampaignStepVariant");
		return;
	}
	var->is_object = true;
	obj = v->val.binary.data;

	l = LocKey(loc, "label");
	var->label_fs = CheckString(vs, &l, GetField(obj, "label", &present), true, false, 1, 10,
								&var->label, &var->labellen);
	l = LocKey(loc, "weight");
	var->weight = 50;
	var->weight_fs = CheckInt(vs, &l, GetField(obj, "weight", &present), false, 0, 100,
							  &var->weight);
	l = LocKey(loc, "type");
	var->vtype = VT_TEMPLATE;
	var->type_fs = CheckEnum(vs, &l, GetField(obj, "type", &present), false,
							 vtype_names, lengthof(vtype_names), &var->vtype);
	l = LocKey(loc, "template_id");
	var->template_fs = CheckUuid(vs, &l, GetField(obj, "template_id", &present), false, true,
								 &var->template_id);
	l = LocKey(loc, "sender_profile_id");
	var->sender_fs = CheckUuid(vs, &l, GetField(obj, "sender_profile_id", &present), false, true,
							   &var->sender_id);
	ReportExtras(vs, loc, obj, variant_keys, lengthof(variant_keys), present);
}

/* CheckStep checks the fields of step i, its variants included. */
static void
CheckStep(VState *vs, const Loc *loc, JsonbValue *v, VStep *st)
{
	JsonbContainer *obj;
	JsonbContainer *arr;
	Loc			l;
	int			present = 0;
	int			maxlen;

	st->is_object = false;
	st->channel = CH_NONE;
	st->action = -1;
	st->eff_channel = CH_NONE;
	if (!IsObject(v))
	{
		AddError(vs, loc, "model_type",
				 "Input should be a valid dictionary or instance of CampaignStepConfig");
		return;
	}
	st->is_object = true;
	obj = v->val.binary.data;

	l = LocKey(loc, "step");
	st->step_fs = CheckInt(vs, &l, GetField(obj, "step", &present), true, 1, 10, &st->step);
	l = LocKey(loc, "delay_days");
	st->delay_fs = CheckInt(vs, &l, GetField(obj, "delay_days", &present), false, 0, 365,
							&st->delay);
	l = LocKey(loc, "channel");
	st->channel_fs = CheckEnum(vs, &l, GetField(obj, "channel", &present), true,
							   channel_names, lengthof(channel_names), &st->channel);
	if (st->channel_fs == FS_BAD)
		st->channel = CH_BAD;

	l = LocKey(loc, "variants");
	st->variants_fs = CheckList(vs, &l, GetField(obj, "variants", &present), false, true, 1, 5,
								&arr, &st->nvariants);
	if (st->variants_fs == FS_OK)
	{
		st->variants = palloc0(sizeof(VVariant) * st->nvariants);
		for (int j = 0; j < st->nvariants; j++)
		{
			Loc			lj = LocIndex(&l, j);

			CheckVariant(vs, &lj, getIthJsonbValueFromContainer(arr, j),
						 &st->variants[j]);
		}
	}

	l = LocKey(loc, "ai_personalization_enabled");
	st->ai_fs = CheckBool(vs, &l, GetField(obj, "ai_personalization_enabled", &present), &st->ai);
	l = LocKey(loc, "track_clicks");
	st->track_fs = CheckBool(vs, &l, GetField(obj, "track_clicks", &present), &st->track);
	l = LocKey(loc, "action_type");
	st->action_fs = CheckEnum(vs, &l, GetField(obj, "action_type", &present), true,
							  action_names, lengthof(action_names), &st->action);

	/* A connection request's note is limited to 300 characters. */
	l = LocKey(loc, "message_template");
	maxlen = (st->action_fs == FS_OK && st->action == ACT_CONNECTION_REQUEST) ? 300 : 8000;
	st->message_fs = CheckString(vs, &l, GetField(obj, "message_template", &present), false, true,
								 0, maxlen, &st->message, &st->messagelen);
	if (st->message_fs == FS_OK)
	{
		char	   *error;

		if (!MergeParse(st->message, st->messagelen, &error))
		{
			AddErrorf(vs, &l, "value_error", "Value error, invalid merge field: %s", error);
			st->message_fs = FS_BAD;
		}
	}

	ReportExtras(vs, loc, obj, step_keys, lengthof(step_keys), present);
}

/* CheckBodyFields runs phase 1 over the body object. */
static void
CheckBodyFields(VState *vs, JsonbContainer *obj, VBody *b)
{
	int			present = 0;
	const Loc  *body = &root_loc;
	Loc			l;
	JsonbContainer *arr;
	int			n;
	JsonbValue *v;

	l = LocKey(body, "name");
	b->name_fs = CheckString(vs, &l, GetField(obj, "name", &present), true, false, 1, 255,
							 &b->name, &b->namelen);
	l = LocKey(body, "dataset_id");
	b->dataset_fs = CheckUuid(vs, &l, GetField(obj, "dataset_id", &present), true, false,
							  &b->dataset_id);

	/* steps, each step, then distinct step numbers */
	l = LocKey(body, "steps");
	b->steps_fs = CheckList(vs, &l, GetField(obj, "steps", &present), true, false, 1, 10,
							&arr, &b->nsteps);
	if (b->steps_fs == FS_OK)
	{
		b->steps = palloc0(sizeof(VStep) * b->nsteps);
		for (int i = 0; i < b->nsteps; i++)
		{
			Loc			li = LocIndex(&l, i);

			b->steps[i].index = i;
			CheckStep(vs, &li, getIthJsonbValueFromContainer(arr, i), &b->steps[i]);
		}
		for (int i = 0; i < b->nsteps; i++)
		{
			VStep	   *si = &b->steps[i];

			if (!si->is_object || si->step_fs != FS_OK)
				continue;
			for (int k = 0; k < i; k++)
			{
				VStep	   *sk = &b->steps[k];

				if (sk->is_object && sk->step_fs == FS_OK && sk->step == si->step)
				{
					Loc			li = LocIndex(&l, i);
					Loc			ls = LocKey(&li, "step");

					AddErrorf(vs, &ls, "value_error",
							  "Value error, step %d is already used by steps[%d]; step numbers must be distinct",
							  si->step, k);
					break;
				}
			}
		}
	}

	l = LocKey(body, "description");
	b->description_fs = CheckString(vs, &l, GetField(obj, "description", &present), false, true,
									0, 1000, &b->description, &b->descriptionlen);
	l = LocKey(body, "type");
	b->type = 0;
	b->type_fs = CheckEnum(vs, &l, GetField(obj, "type", &present), false,
						   type_names, lengthof(type_names), &b->type);

	/* alias_ids: null or a list of distinct strings */
	l = LocKey(body, "alias_ids");
	b->aliases_fs = CheckList(vs, &l, GetField(obj, "alias_ids", &present), false, true, 0, -1,
							  &arr, &n);
	if (b->aliases_fs == FS_OK)
	{
		b->naliases = n;
		b->aliases = palloc0(sizeof(char *) * Max(n, 1));
		b->aliaslens = palloc0(sizeof(int) * Max(n, 1));
		b->alias_ok = palloc0(sizeof(bool) * Max(n, 1));
		b->alias_found = palloc0(sizeof(bool) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			Loc			li = LocIndex(&l, i);

			v = getIthJsonbValueFromContainer(arr, i);
			if (CheckString(vs, &li, v, false, false, 0, -1,
							&b->aliases[i], &b->aliaslens[i]) != FS_OK)
			{
				b->aliases_fs = FS_BAD;
				continue;
			}
			b->alias_ok[i] = true;
			for (int k = 0; k < i; k++)
			{
				if (b->alias_ok[k] && b->aliaslens[k] == b->aliaslens[i] &&
					memcmp(b->aliases[k], b->aliases[i], b->aliaslens[i]) == 0)
				{
					AddErrorf(vs, &li, "value_error",
							  "Value error, alias_ids[%d] repeats alias_ids[%d]; alias ids must be distinct",
							  i, k);
					b->alias_ok[i] = false;
					b->aliases_fs = FS_BAD;
					break;
				}
			}
		}
	}

	l = LocKey(body, "connected_account_id");
	b->account_fs = CheckUuid(vs, &l, GetField(obj, "connected_account_id", &present), false, true,
							  &b->account_id);
	l = LocKey(body, "launch_type");
	b->launch = LAUNCH_IMMEDIATE;
	b->launch_fs = CheckEnum(vs, &l, GetField(obj, "launch_type", &present), false,
							 launch_names, lengthof(launch_names), &b->launch);
	l = LocKey(body, "start_date");
	b->start_fs = CheckDateTime(vs, &l, GetField(obj, "start_date", &present), &b->start,
								&b->start_text);
	l = LocKey(body, "daily_limit");
	b->daily_limit = 500;
	b->limit_fs = CheckInt(vs, &l, GetField(obj, "daily_limit", &present), false, 1, 10000,
						   &b->daily_limit);
	l = LocKey(body, "sending_window_start");
	b->wstart = 9 * 3600;
	b->wstart_fs = CheckTime(vs, &l, GetField(obj, "sending_window_start", &present), false,
							 &b->wstart);
	l = LocKey(body, "sending_window_end");
	b->wend = 17 * 3600;
	b->wend_fs = CheckTime(vs, &l, GetField(obj, "sending_window_end", &present), true,
						   &b->wend);
	l = LocKey(body, "min_interval_seconds");
	b->interval = 300;
	b->interval_fs = CheckInt(vs, &l, GetField(obj, "min_interval_seconds", &present), false,
							  60, 3600, &b->interval);

	l = LocKey(body, "timezone");
	b->tz = "UTC";
	b->tzlen = 3;
	b->tz_fs = CheckString(vs, &l, GetField(obj, "timezone", &present), false, false, 0, -1,
						   &b->tz, &b->tzlen);
	if (b->tz_fs == FS_OK && !IsKnownTimezone(b->tz, b->tzlen))
	{
		AddErrorf(vs, &l, "value_error",
				  "Value error, unknown time zone \"%s\"; use an IANA name from pg_timezone_names such as \"Europe/Paris\"",
				  pnstrdup(b->tz, Min(b->tzlen, 100)));
		b->tz_fs = FS_BAD;
	}

	/* send_days: a non-empty list of distinct day names */
	l = LocKey(body, "send_days");
	b->days_fs = CheckList(vs, &l, GetField(obj, "send_days", &present), false, false, 1, -1,
						   &arr, &n);
	if (b->days_fs == FS_OK)
	{
		for (int i = 0; i < n; i++)
		{
			Loc			li = LocIndex(&l, i);
			int			d;

			v = getIthJsonbValueFromContainer(arr, i);
			d = EnumIndex(v, day_names, lengthof(day_names));
			if (d < 0)
			{
				AddError(vs, &li, "enum", EnumMessage(day_names, lengthof(day_names)));
				b->days_fs = FS_BAD;
			}
			else if (b->days[d])
			{
				AddErrorf(vs, &li, "value_error",
						  "Value error, '%s' is listed twice; send_days must be distinct",
						  day_names[d]);
				b->days_fs = FS_BAD;
			}
			else
				b->days[d] = true;
		}
	}
	else if (b->days_fs == FS_ABSENT)
	{
		for (int d = 0; d < 5; d++)
			b->days[d] = true;
	}

	l = LocKey(body, "system_prompt");
	b->prompt_fs = CheckString(vs, &l, GetField(obj, "system_prompt", &present), false, true,
							   100, 5000, &b->prompt, &b->promptlen);
	l = LocKey(body, "unreviewed_launch_policy");
	b->policy = 0;
	b->policy_fs = CheckEnum(vs, &l, GetField(obj, "unreviewed_launch_policy", &present), false,
							 policy_names, lengthof(policy_names), &b->policy);

	/* deliverability (SPEC §11) */
	l = LocKey(body, "stop_on_reply");
	b->stop_on_reply = 0;
	b->stop_fs = CheckEnum(vs, &l, GetField(obj, "stop_on_reply", &present), false,
						   stop_on_reply_names, lengthof(stop_on_reply_names), &b->stop_on_reply);
	l = LocKey(body, "max_bounce_rate");
	b->max_bounce_rate = 5;
	b->bounce_rate_fs = CheckInt(vs, &l, GetField(obj, "max_bounce_rate", &present), false, 0, 100,
								 &b->max_bounce_rate);
	l = LocKey(body, "bounce_window");
	b->bounce_window = 100;
	b->bounce_window_fs = CheckInt(vs, &l, GetField(obj, "bounce_window", &present), false, 20, 10000,
								   &b->bounce_window);

	ReportExtras(vs, body, obj, body_keys, lengthof(body_keys), present);
}

/* ------------------------------------------------------- cross-field */

/*
 * CheckCrossFields runs phase 2: rules that tie fields together.  Each rule
 * runs only when the fields it reads are valid.
 */
static void
CheckCrossFields(VState *vs, VBody *b, bool check_start_future)
{
	const Loc  *body = &root_loc;
	Loc			l;
	bool		type_ok = (b->type_fs != FS_BAD);
	bool		any_email = false;
	bool		any_linkedin = false;

	if (b->steps_fs == FS_OK)
	{
		Loc			ls = LocKey(body, "steps");

		for (int i = 0; i < b->nsteps; i++)
		{
			VStep	   *st = &b->steps[i];
			Loc			li = LocIndex(&ls, i);
			Loc			lv = LocKey(&li, "variants");

			if (!st->is_object)
				continue;

			/* channel: defaults to the type; must fit the type */
			l = LocKey(&li, "channel");
			if (st->channel_fs == FS_OK)
			{
				if (type_ok && b->type != TYPE_MIXED && b->type != st->channel)
					AddErrorf(vs, &l, "value_error",
							  "Value error, channel '%s' does not fit a campaign of type '%s'",
							  channel_names[st->channel], type_names[b->type]);
				else
					st->eff_channel = st->channel;
			}
			else if (st->channel_fs != FS_BAD && type_ok)
			{
				if (b->type == TYPE_MIXED)
					AddMissing(vs, &l);
				else
					st->eff_channel = b->type;
			}
			if (st->eff_channel == CH_EMAIL)
				any_email = true;
			else if (st->eff_channel == CH_LINKEDIN)
				any_linkedin = true;

			/* variants: required on email steps */
			if (st->eff_channel == CH_EMAIL &&
				(st->variants_fs == FS_ABSENT || st->variants_fs == FS_NULL))
				AddMissing(vs, &lv);
			if (st->variants_fs == FS_OK)
			{
				bool		weights_ok = true;
				bool		any_positive = false;

				for (int j = 0; j < st->nvariants; j++)
				{
					VVariant   *var = &st->variants[j];
					Loc			lj = LocIndex(&lv, j);

					if (!var->is_object)
					{
						weights_ok = false;
						continue;
					}
					if (var->label_fs == FS_OK)
					{
						for (int k = 0; k < j; k++)
						{
							VVariant   *vk = &st->variants[k];

							if (vk->is_object && vk->label_fs == FS_OK &&
								vk->labellen == var->labellen &&
								memcmp(vk->label, var->label, var->labellen) == 0)
							{
								l = LocKey(&lj, "label");
								AddErrorf(vs, &l, "value_error",
										  "Value error, label \"%s\" is already used by variants[%d]; labels must be distinct within a step",
										  pnstrdup(var->label, var->labellen), k);
								break;
							}
						}
					}
					if (var->type_fs != FS_BAD && var->vtype == VT_PERSONALIZATION &&
						st->ai_fs != FS_BAD && !(st->ai_fs == FS_OK && st->ai))
					{
						l = LocKey(&lj, "type");
						AddError(vs, &l, "value_error",
								 "Value error, PERSONALIZATION variants need ai_personalization_enabled on their step");
					}
					if (var->type_fs != FS_BAD && var->vtype == VT_TEMPLATE &&
						(var->template_fs == FS_ABSENT || var->template_fs == FS_NULL))
					{
						l = LocKey(&lj, "template_id");
						AddMissing(vs, &l);
					}
					if (var->weight_fs == FS_BAD)
						weights_ok = false;
					else if (var->weight > 0)
						any_positive = true;
				}
				if (weights_ok && !any_positive)
					AddError(vs, &lv, "value_error",
							 "Value error, at least one variant of a step must have a weight greater than 0");
			}

			/* track_clicks: email steps only */
			if (st->track_fs == FS_OK && st->track && st->eff_channel == CH_LINKEDIN)
			{
				l = LocKey(&li, "track_clicks");
				AddError(vs, &l, "value_error",
						 "Value error, track_clicks can only be true on email steps");
			}

			/* action_type: per channel */
			l = LocKey(&li, "action_type");
			if (st->eff_channel == CH_LINKEDIN)
			{
				if (st->action_fs == FS_ABSENT || st->action_fs == FS_NULL)
					AddMissing(vs, &l);
				else if (st->action_fs == FS_OK && st->action == ACT_SEND_EMAIL)
					AddError(vs, &l, "value_error",
							 "Value error, a linkedin step's action_type must be one of 'connection_request', 'message', 'inmail', 'profile_visit', 'follow', 'like_post' or 'withdraw_invitation'");
			}
			else if (st->eff_channel == CH_EMAIL)
			{
				if (st->action_fs == FS_OK && st->action != ACT_SEND_EMAIL)
					AddErrorf(vs, &l, "value_error",
							  "Value error, '%s' is a linkedin action; an email step's action_type must be null or 'send_email'",
							  action_names[st->action]);
			}

			/* message_template: required for messages without another source */
			if (st->eff_channel == CH_LINKEDIN && st->action_fs == FS_OK &&
				(st->action == ACT_MESSAGE || st->action == ACT_INMAIL) &&
				(st->message_fs == FS_ABSENT || st->message_fs == FS_NULL) &&
				(st->variants_fs == FS_ABSENT || st->variants_fs == FS_NULL) &&
				st->ai_fs != FS_BAD && !(st->ai_fs == FS_OK && st->ai))
			{
				l = LocKey(&li, "message_template");
				AddMissing(vs, &l);
			}
		}
	}

	/* alias_ids: required non-empty when any step is email */
	if (any_email)
	{
		l = LocKey(body, "alias_ids");
		if (b->aliases_fs == FS_ABSENT || b->aliases_fs == FS_NULL)
			AddMissing(vs, &l);
		else if (b->aliases_fs == FS_OK && b->naliases == 0)
			AddError(vs, &l, "too_short",
					 "List should have at least 1 item after validation, not 0");
	}

	/* connected_account_id: required when any step is linkedin */
	if (any_linkedin && (b->account_fs == FS_ABSENT || b->account_fs == FS_NULL))
	{
		l = LocKey(body, "connected_account_id");
		AddMissing(vs, &l);
	}

	/* start_date against launch_type */
	l = LocKey(body, "start_date");
	if (b->launch_fs != FS_BAD && b->launch == LAUNCH_SCHEDULED)
	{
		if (b->start_fs == FS_ABSENT || b->start_fs == FS_NULL)
			AddMissing(vs, &l);
		else if (b->start_fs == FS_OK && check_start_future &&
				 b->start <= GetCurrentTransactionStartTimestamp())
			AddError(vs, &l, "value_error",
					 "Value error, start_date must be in the future");
	}
	else if (b->launch_fs != FS_BAD && b->launch == LAUNCH_IMMEDIATE &&
			 b->start_fs == FS_OK)
		AddError(vs, &l, "value_error",
				 "Value error, start_date must be null when launch_type is 'immediate'");

	/* the sending window */
	if (b->wstart_fs != FS_BAD && b->wend_fs != FS_BAD && b->wstart >= b->wend)
	{
		l = LocKey(body, "sending_window_end");
		AddError(vs, &l, "value_error",
				 "Value error, sending_window_end must be later than sending_window_start");
	}
}

/* -------------------------------------------------------- references */

/*
 * PreparePlans prepares the lookup queries once per backend (again if the
 * extension was re-created in another schema).  Every query is restricted to
 * the caller's user_id, uses generic plans (no replanning per backend) and
 * names its operators so that search_path cannot redirect them.
 */
static void
PreparePlans(Oid nspid)
{
	const char *nsp;
	Oid			uuid_args[2] = {UUIDOID, UUIDARRAYOID};
	Oid			text_args[2] = {UUIDOID, TEXTARRAYOID};
	SPIPlanPtr *plans[5] = {&plan_dataset, &plan_template, &plan_sender,
	&plan_alias, &plan_account};

	if (plans_nsp == nspid && plan_dataset != NULL)
		return;
	plans_nsp = InvalidOid;
	for (int i = 0; i < 5; i++)
	{
		if (*plans[i] != NULL)
			SPI_freeplan(*plans[i]);
		*plans[i] = NULL;
	}

	nsp = quote_identifier(get_namespace_name(nspid));
#define PREP(plan, sql, args) \
	do { \
		plan = KeepPlan(psprintf(sql, nsp), 2, args, CURSOR_OPT_GENERIC_PLAN); \
	} while (0)
	PREP(plan_template,
		 "SELECT template_id, channel FROM %s.template WHERE user_id OPERATOR(pg_catalog.=) $1 AND template_id OPERATOR(pg_catalog.=) ANY($2)",
		 uuid_args);
	PREP(plan_sender,
		 "SELECT sender_profile_id FROM %s.sender_profile WHERE user_id OPERATOR(pg_catalog.=) $1 AND sender_profile_id OPERATOR(pg_catalog.=) ANY($2)",
		 uuid_args);
	PREP(plan_alias,
		 "SELECT alias_id FROM %s.email_alias WHERE user_id OPERATOR(pg_catalog.=) $1 AND alias_id OPERATOR(pg_catalog.=) ANY($2)",
		 text_args);
	PREP(plan_account,
		 "SELECT connected_account_id FROM %s.connected_account WHERE user_id OPERATOR(pg_catalog.=) $1 AND connected_account_id OPERATOR(pg_catalog.=) ANY($2)",
		 uuid_args);
	PREP(plan_dataset,
		 "SELECT dataset_id FROM %s.dataset WHERE user_id OPERATOR(pg_catalog.=) $1 AND dataset_id OPERATOR(pg_catalog.=) ANY($2)",
		 uuid_args);
#undef PREP
	plans_nsp = nspid;
}

/* RunLookup executes plan for user_id and an array of keys. */
static void
RunLookup(SPIPlanPtr plan, pg_uuid_t *user_id, Datum *keys, int nkeys, Oid elemtype)
{
	Datum		values[2];
	ArrayType  *arr;
	int			rc;

	if (elemtype == UUIDOID)
		arr = construct_array(keys, nkeys, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
	else
		arr = construct_array(keys, nkeys, TEXTOID, -1, false, TYPALIGN_INT);
	values[0] = UUIDPGetDatum(user_id);
	values[1] = PointerGetDatum(arr);
	rc = SPI_execute_plan(plan, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "lookup failed: %s", SPI_result_code_string(rc));
}

static pg_uuid_t *
ResultUuid(uint64 row)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull);

	return isnull ? NULL : DatumGetUUIDP(d);
}

/*
 * CheckReferences runs phase 3: the objects the body names must be the
 * caller's.  Lookups are batched, one query per kind.
 */
static void
CheckReferences(VState *vs, VBody *b, pg_uuid_t *user_id, Oid nspid)
{
	const Loc  *body = &root_loc;
	Loc			l;
	int			ntemplates = 0,
				nsenders = 0,
				nvalid_aliases = 0;
	Datum	   *tkeys,
			   *skeys,
			   *akeys;
	bool		dataset_found = false;
	bool		account_found = false;

	/* Gather what can be looked up. */
	tkeys = palloc(sizeof(Datum) * 50);
	skeys = palloc(sizeof(Datum) * 50);
	for (int i = 0; i < b->nsteps && b->steps_fs == FS_OK; i++)
	{
		VStep	   *st = &b->steps[i];

		if (!st->is_object || st->variants_fs != FS_OK)
			continue;
		for (int j = 0; j < st->nvariants; j++)
		{
			VVariant   *var = &st->variants[j];

			if (!var->is_object)
				continue;
			if (var->template_fs == FS_OK)
				tkeys[ntemplates++] = UUIDPGetDatum(&var->template_id);
			if (var->sender_fs == FS_OK)
				skeys[nsenders++] = UUIDPGetDatum(&var->sender_id);
		}
	}
	akeys = palloc(sizeof(Datum) * Max(b->naliases, 1));
	for (int i = 0; i < b->naliases; i++)
	{
		if (b->alias_ok[i])
			akeys[nvalid_aliases++] =
				PointerGetDatum(cstring_to_text_with_len(b->aliases[i], b->aliaslens[i]));
	}

	if (b->dataset_fs != FS_OK && ntemplates == 0 && nsenders == 0 &&
		nvalid_aliases == 0 && b->account_fs != FS_OK)
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PreparePlans(nspid);

	if (b->dataset_fs == FS_OK)
	{
		Datum		key = UUIDPGetDatum(&b->dataset_id);

		RunLookup(plan_dataset, user_id, &key, 1, UUIDOID);
		dataset_found = (SPI_processed > 0);
	}
	if (ntemplates > 0)
	{
		RunLookup(plan_template, user_id, tkeys, ntemplates, UUIDOID);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			pg_uuid_t  *id = ResultUuid(r);
			char	   *channel = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
			int			ch = (channel && strcmp(channel, "linkedin") == 0) ? CH_LINKEDIN : CH_EMAIL;

			for (int i = 0; id && i < b->nsteps; i++)
			{
				VStep	   *st = &b->steps[i];

				if (!st->is_object || st->variants_fs != FS_OK)
					continue;
				for (int j = 0; j < st->nvariants; j++)
				{
					VVariant   *var = &st->variants[j];

					if (var->is_object && var->template_fs == FS_OK &&
						memcmp(var->template_id.data, id->data, UUID_LEN) == 0)
						var->template_channel = ch;
				}
			}
		}
	}
	if (nsenders > 0)
	{
		RunLookup(plan_sender, user_id, skeys, nsenders, UUIDOID);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			pg_uuid_t  *id = ResultUuid(r);

			for (int i = 0; id && i < b->nsteps; i++)
			{
				VStep	   *st = &b->steps[i];

				if (!st->is_object || st->variants_fs != FS_OK)
					continue;
				for (int j = 0; j < st->nvariants; j++)
				{
					VVariant   *var = &st->variants[j];

					if (var->is_object && var->sender_fs == FS_OK &&
						memcmp(var->sender_id.data, id->data, UUID_LEN) == 0)
						var->sender_found = true;
				}
			}
		}
	}
	if (nvalid_aliases > 0)
	{
		RunLookup(plan_alias, user_id, akeys, nvalid_aliases, TEXTOID);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
			text	   *t;

			if (isnull)
				continue;
			t = DatumGetTextPP(d);
			for (int i = 0; i < b->naliases; i++)
			{
				if (b->alias_ok[i] && b->aliaslens[i] == (int) VARSIZE_ANY_EXHDR(t) &&
					memcmp(b->aliases[i], VARDATA_ANY(t), b->aliaslens[i]) == 0)
					b->alias_found[i] = true;
			}
		}
	}
	if (b->account_fs == FS_OK)
	{
		Datum		key = UUIDPGetDatum(&b->account_id);

		RunLookup(plan_account, user_id, &key, 1, UUIDOID);
		account_found = (SPI_processed > 0);
	}
	SPI_finish();

	/* Report, in field order. */
	if (b->dataset_fs == FS_OK && !dataset_found)
	{
		l = LocKey(body, "dataset_id");
		AddError(vs, &l, "value_error", "Value error, dataset not found");
	}
	for (int i = 0; i < b->nsteps && b->steps_fs == FS_OK; i++)
	{
		VStep	   *st = &b->steps[i];
		Loc			ls = LocKey(body, "steps");
		Loc			li = LocIndex(&ls, i);
		Loc			lv = LocKey(&li, "variants");

		if (!st->is_object || st->variants_fs != FS_OK)
			continue;
		for (int j = 0; j < st->nvariants; j++)
		{
			VVariant   *var = &st->variants[j];
			Loc			lj = LocIndex(&lv, j);

			if (!var->is_object)
				continue;
			if (var->template_fs == FS_OK)
			{
				l = LocKey(&lj, "template_id");
				if (var->template_channel == CH_NONE)
					AddError(vs, &l, "value_error", "Value error, template not found");
				else if (st->eff_channel != CH_NONE &&
						 var->template_channel != st->eff_channel)
					AddErrorf(vs, &l, "value_error",
							  "Value error, template channel '%s' does not match the step's channel '%s'",
							  channel_names[var->template_channel],
							  channel_names[st->eff_channel]);
			}
			if (var->sender_fs == FS_OK && !var->sender_found)
			{
				l = LocKey(&lj, "sender_profile_id");
				AddError(vs, &l, "value_error", "Value error, sender profile not found");
			}
		}
	}
	for (int i = 0; i < b->naliases; i++)
	{
		if (b->alias_ok[i] && !b->alias_found[i])
		{
			Loc			la = LocKey(body, "alias_ids");

			l = LocIndex(&la, i);
			AddErrorf(vs, &l, "value_error", "Value error, alias \"%s\" not found",
					  pnstrdup(b->aliases[i], Min(b->aliaslens[i], 100)));
		}
	}
	if (b->account_fs == FS_OK && !account_found)
	{
		l = LocKey(body, "connected_account_id");
		AddError(vs, &l, "value_error", "Value error, connected account not found");
	}
}

/* ------------------------------------------------------------ output */

/*
 * The normalised body is built directly as a JsonbValue tree with each
 * object's keys already in jsonb's storage order (shorter keys first, then
 * bytewise), which JsonbValueToJsonb accepts as is; pushJsonbValue would
 * sort every object again.  ObjDone checks the order, so a key added in the
 * wrong place is caught at once rather than producing a corrupt jsonb.
 */
static JsonbValue *
ObjNew(int capacity)
{
	JsonbValue *o = palloc(sizeof(JsonbValue));

	o->type = jbvObject;
	o->val.object.nPairs = 0;
	o->val.object.pairs = palloc(sizeof(JsonbPair) * capacity);
	return o;
}

static void
ObjPut(JsonbValue *o, const char *key, JsonbValue value)
{
	JsonbPair  *p = &o->val.object.pairs[o->val.object.nPairs];

	p->key.type = jbvString;
	p->key.val.string.val = (char *) key;
	p->key.val.string.len = strlen(key);
	p->value = value;
	p->order = o->val.object.nPairs++;
}

static void
ObjDone(JsonbValue *o)
{
	for (int i = 1; i < o->val.object.nPairs; i++)
	{
		JsonbValue *a = &o->val.object.pairs[i - 1].key;
		JsonbValue *b = &o->val.object.pairs[i].key;

		if (a->val.string.len > b->val.string.len ||
			(a->val.string.len == b->val.string.len &&
			 memcmp(a->val.string.val, b->val.string.val, a->val.string.len) >= 0))
			elog(ERROR, "normalised campaign keys out of order at \"%s\"", b->val.string.val);
	}
}

static JsonbValue
StrValue(const char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = len;
	return v;
}

static JsonbValue
CStrValue(const char *s)
{
	return StrValue(s, strlen(s));
}

static JsonbValue
NullValue(void)
{
	JsonbValue	v;

	v.type = jbvNull;
	return v;
}

static JsonbValue
IntValue(int i)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(i);
	return v;
}

static JsonbValue
BoolValue(bool b)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = b;
	return v;
}

static JsonbValue
StrOrNull(FieldState fs, const char *s, int len)
{
	return fs == FS_OK ? StrValue(s, len) : NullValue();
}

/* UuidValue formats a uuid in canonical lower case (uuid_out, without fmgr). */
static JsonbValue
UuidValue(FieldState fs, const pg_uuid_t *u)
{
	static const char hex[] = "0123456789abcdef";
	char	   *buf;
	char	   *p;

	if (fs != FS_OK)
		return NullValue();
	p = buf = palloc(37);
	for (int i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u->data[i] >> 4];
		*p++ = hex[u->data[i] & 0x0F];
	}
	*p = '\0';
	return StrValue(buf, 36);
}

static JsonbValue
TimeValue(int secs)
{
	return CStrValue(psprintf("%02d:%02d:%02d", secs / 3600, (secs / 60) % 60, secs % 60));
}

static JsonbValue
ArrayValue(JsonbValue *elems, int n)
{
	JsonbValue	v;

	v.type = jbvArray;
	v.val.array.nElems = n;
	v.val.array.elems = elems;
	v.val.array.rawScalar = false;
	return v;
}

static int
CompareSteps(const void *a, const void *b)
{
	const VStep *sa = *(const VStep *const *) a;
	const VStep *sb = *(const VStep *const *) b;

	return (sa->step > sb->step) - (sa->step < sb->step);
}

/* VariantValue builds one normalised variant. */
static JsonbValue
VariantValue(VVariant *var)
{
	JsonbValue *o = ObjNew(5);

	ObjPut(o, "type", CStrValue(vtype_names[var->vtype]));
	ObjPut(o, "label", StrValue(var->label, var->labellen));
	ObjPut(o, "weight", IntValue(var->weight));
	ObjPut(o, "template_id", UuidValue(var->template_fs, &var->template_id));
	ObjPut(o, "sender_profile_id", UuidValue(var->sender_fs, &var->sender_id));
	ObjDone(o);
	return *o;
}

/* StepValue builds one normalised step. */
static JsonbValue
StepValue(VStep *s)
{
	JsonbValue *o = ObjNew(8);
	JsonbValue	variants = NullValue();

	if (s->variants_fs == FS_OK)
	{
		JsonbValue *elems = palloc(sizeof(JsonbValue) * s->nvariants);

		for (int j = 0; j < s->nvariants; j++)
			elems[j] = VariantValue(&s->variants[j]);
		variants = ArrayValue(elems, s->nvariants);
	}
	ObjPut(o, "step", IntValue(s->step));
	ObjPut(o, "channel", CStrValue(channel_names[s->eff_channel]));
	ObjPut(o, "variants", variants);
	ObjPut(o, "delay_days", IntValue(s->delay_fs == FS_OK ? s->delay : 0));
	ObjPut(o, "action_type", s->action_fs == FS_OK ?
		   CStrValue(action_names[s->action]) : NullValue());
	ObjPut(o, "track_clicks", BoolValue(s->track_fs == FS_OK && s->track));
	ObjPut(o, "message_template", StrOrNull(s->message_fs, s->message, s->messagelen));
	ObjPut(o, "ai_personalization_enabled", BoolValue(s->ai_fs == FS_OK && s->ai));
	ObjDone(o);
	return *o;
}

/* BuildOutput builds the normalised body of a valid request. */
static JsonbValue *
BuildOutput(VBody *b)
{
	JsonbValue *o = ObjNew(20);
	VStep	  **order;
	JsonbValue *steps;
	JsonbValue *days;
	JsonbValue	aliases = NullValue();
	int			ndays = 0;

	order = palloc(sizeof(VStep *) * b->nsteps);
	for (int i = 0; i < b->nsteps; i++)
		order[i] = &b->steps[i];
	qsort(order, b->nsteps, sizeof(VStep *), CompareSteps);
	steps = palloc(sizeof(JsonbValue) * b->nsteps);
	for (int i = 0; i < b->nsteps; i++)
		steps[i] = StepValue(order[i]);

	days = palloc(sizeof(JsonbValue) * 7);
	for (int d = 0; d < 7; d++)
	{
		if (b->days[d])
			days[ndays++] = CStrValue(day_names[d]);
	}

	if (b->aliases_fs == FS_OK)
	{
		JsonbValue *elems = palloc(sizeof(JsonbValue) * Max(b->naliases, 1));

		for (int i = 0; i < b->naliases; i++)
			elems[i] = StrValue(b->aliases[i], b->aliaslens[i]);
		aliases = ArrayValue(elems, b->naliases);
	}

	ObjPut(o, "name", StrValue(b->name, b->namelen));
	ObjPut(o, "type", CStrValue(type_names[b->type]));
	ObjPut(o, "steps", ArrayValue(steps, b->nsteps));
	ObjPut(o, "timezone", StrValue(b->tz, b->tzlen));
	ObjPut(o, "alias_ids", aliases);
	ObjPut(o, "send_days", ArrayValue(days, ndays));
	ObjPut(o, "dataset_id", UuidValue(b->dataset_fs, &b->dataset_id));
	ObjPut(o, "start_date", b->start_fs == FS_OK ? CStrValue(b->start_text) : NullValue());
	ObjPut(o, "daily_limit", IntValue(b->daily_limit));
	ObjPut(o, "description", StrOrNull(b->description_fs, b->description, b->descriptionlen));
	ObjPut(o, "launch_type", CStrValue(launch_names[b->launch]));
	ObjPut(o, "bounce_window", IntValue(b->bounce_window));
	ObjPut(o, "stop_on_reply", CStrValue(stop_on_reply_names[b->stop_on_reply]));
	ObjPut(o, "system_prompt", StrOrNull(b->prompt_fs, b->prompt, b->promptlen));
	ObjPut(o, "max_bounce_rate", IntValue(b->max_bounce_rate));
	ObjPut(o, "sending_window_end", TimeValue(b->wend));
	ObjPut(o, "connected_account_id", UuidValue(b->account_fs, &b->account_id));
	ObjPut(o, "min_interval_seconds", IntValue(b->interval));
	ObjPut(o, "sending_window_start", TimeValue(b->wstart));
	ObjPut(o, "unreviewed_launch_policy", CStrValue(policy_names[b->policy]));
	ObjDone(o);
	return o;
}

/* --------------------------------------------------------------- API */

/* CampaignValidate: see validate.h. */
Jsonb *
CampaignValidate(Jsonb *body, pg_uuid_t *user_id, bool check_start_future, Oid nspid)
{
	MemoryContext tmpcxt;
	MemoryContext oldcxt;
	VState		vs;
	VBody		b;
	Jsonb	   *result = NULL;

	tmpcxt = AllocSetContextCreate(CurrentMemoryContext,
								   "campaign validation",
								   ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(tmpcxt);

	memset(&vs, 0, sizeof(vs));
	initStringInfo(&vs.errs);
	memset(&b, 0, sizeof(b));

	if (body == NULL)
	{
		AddMissing(&vs, &root_loc);
	}
	else if (!JB_ROOT_IS_OBJECT(body))
	{
		AddError(&vs, &root_loc, "model_attributes_type",
				 "Input should be a valid dictionary or object to extract fields from");
	}
	else
	{
		EnsureTimezoneNames();
		CheckBodyFields(&vs, &body->root, &b);
		CheckCrossFields(&vs, &b, check_start_future);
		CheckReferences(&vs, &b, user_id, nspid);
	}

	if (vs.nerrs > 0)
	{
		appendStringInfoChar(&vs.errs, ']');
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid campaign"),
				 errdetail_internal("%s", vs.errs.data)));
	}

	{
		JsonbValue *out = BuildOutput(&b);

		MemoryContextSwitchTo(oldcxt);
		result = JsonbValueToJsonb(out);
	}
	MemoryContextDelete(tmpcxt);
	return result;
}

/*
 * campaign_validate(body jsonb, user_id uuid, check_start_future boolean)
 * is _campaign_validate in SQL.  Not strict: a NULL body is reported as a
 * missing body.
 */
Datum
campaign_validate(PG_FUNCTION_ARGS)
{
	Jsonb	   *body = PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0);
	bool		check_future = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("user_id must not be null")));

	PG_RETURN_JSONB_P(CampaignValidate(body, PG_GETARG_UUID_P(1), check_future,
									   get_func_namespace(fcinfo->flinfo->fn_oid)));
}
