/*-------------------------------------------------------------------------
 *
 * src/schedule.c
 *		Send-time arithmetic and deterministic variant assignment.
 *
 * Everything the scheduler needs to know about wall clocks lives here:
 * converting between instants and local times of a campaign's time zone
 * (with the daylight-saving rules of PostgreSQL's own tz database), finding
 * the earliest instant at which a campaign may send (window, send days,
 * daily limit, minimum interval per lane), adding local calendar days, and
 * picking a step's variant from a hash of (campaign, lead, step).  Also the
 * time-ordered UUIDs enrolment uses, and the campaigns.launch_batch_size
 * GUC.
 *
 * Local times are handled as int64 microseconds since 2000-01-01 00:00 in
 * the zone (the same epoch as timestamp), so a local day is a division by
 * USECS_PER_DAY and a local time of day is the remainder.
 *
 * Daylight-saving rules, decided once here:
 *	- A local time that does not exist (inside a spring-forward gap) maps to
 *	  the first instant after the gap: a window opening at 02:30 on the day
 *	  New York skips from 02:00 to 03:00 opens at 03:00 EDT.
 *	- A local time that happens twice (fall back) maps to the earlier
 *	  instant.  Whether an instant is inside the window is read off the local
 *	  clock at that instant, so a repeated hour inside the window is a longer
 *	  window that day.
 *	- Adding days keeps the local clock time (with the two rules above when
 *	  the target day has a gap or a repeat at that time).
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "schedule.h"

PG_FUNCTION_INFO_V1(next_send_time);
PG_FUNCTION_INFO_V1(add_local_days);
PG_FUNCTION_INFO_V1(pick_variant);
PG_FUNCTION_INFO_V1(step_variant);

/* Seconds between the Unix epoch and PostgreSQL's (2000-01-01). */
#define PG_EPOCH_SECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/* Time zones are never more than this far from UTC (UTC+14, UTC-12). */
#define MAX_ZONE_SPAN	(INT64CONST(30) * USECS_PER_HOUR)

static int64
FloorDiv(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/*
 * Offsets in effect over an interval [lo, hi) of a zone, remembered per
 * zone (up to 64 zones, by a hash of the zone's address, and four intervals
 * of each): most lookups of the scheduler fall in the interval of the
 * previous one, and times spread over a year fall in one of three (winter,
 * summer, winter).
 */
typedef struct OffsetSpan
{
	const pg_tz *tz;
	TimestampTz lo;
	TimestampTz hi;
	int64		offset;
} OffsetSpan;

#define OFFSET_SPAN_BITS 6
#define OFFSET_SPAN_WAYS 4
static OffsetSpan offset_spans[1 << OFFSET_SPAN_BITS][OFFSET_SPAN_WAYS];
static uint8 offset_span_last[1 << OFFSET_SPAN_BITS];	/* way of the last hit or fill */

/*
 * ZoneOffset returns the UTC offset, in microseconds, in effect in tz at
 * instant t.
 */
static int64
ZoneOffset(TimestampTz t, const pg_tz *tz)
{
	/* Fibonacci hashing: pg_tz structs are large, so low bits say little */
	int			set = (int) (((uint64) (uintptr_t) tz * UINT64CONST(0x9E3779B97F4A7C15)) >> (64 - OFFSET_SPAN_BITS));
	int			w = offset_span_last[set];
	OffsetSpan *span = &offset_spans[set][w];
	pg_time_t	secs;
	long int	before_gmtoff,
				after_gmtoff;
	int			before_isdst,
				after_isdst;
	pg_time_t	boundary;
	pg_time_t	start;
	int			r;
	int			i;

	if (span->tz == tz && t >= span->lo && t < span->hi)
		return span->offset;
	for (i = 1; i < OFFSET_SPAN_WAYS; i++)
	{
		span = &offset_spans[set][(w + i) % OFFSET_SPAN_WAYS];
		if (span->tz == tz && t >= span->lo && t < span->hi)
		{
			offset_span_last[set] = (uint8) ((w + i) % OFFSET_SPAN_WAYS);
			return span->offset;
		}
	}

	/*
	 * pg_next_dst_boundary gives the interval from the time asked about to
	 * the next offset change; asking from 200 days earlier, then from each
	 * change found, gives the whole interval around t (from the previous
	 * change), which later lookups at earlier times hit as well.
	 */
	secs = (pg_time_t) (FloorDiv(t, USECS_PER_SEC) + PG_EPOCH_SECS);
	start = secs - 200 * SECS_PER_DAY;
	for (i = 0;; i++)
	{
		if (i == 16)
			start = secs;		/* many changes: the interval from t on */
		r = pg_next_dst_boundary(&start, &before_gmtoff, &before_isdst, &boundary,
								 &after_gmtoff, &after_isdst, tz);
		if (r <= 0 || boundary > secs || i >= 16)
			break;
		start = boundary;
	}
	if (r < 0)
	{
		struct pg_tm *tm = pg_localtime(&secs, tz);

		if (tm == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range for time zone arithmetic")));
		return (int64) tm->tm_gmtoff * USECS_PER_SEC;
	}
	/* replace the way after the one hit last (round robin) */
	w = (w + 1) % OFFSET_SPAN_WAYS;
	offset_span_last[set] = (uint8) w;
	span = &offset_spans[set][w];
	span->tz = tz;
	span->lo = (start - PG_EPOCH_SECS) * USECS_PER_SEC;
	span->hi = (r == 1) ? (boundary - PG_EPOCH_SECS) * USECS_PER_SEC : DT_NOEND;
	span->offset = (int64) before_gmtoff * USECS_PER_SEC;
	return span->offset;
}

/*
 * FindTransition returns the first whole second in (lo, hi] whose UTC offset
 * is that of hi, for lo and hi on either side of one offset change.
 */
static TimestampTz
FindTransition(TimestampTz lo, TimestampTz hi, const pg_tz *tz)
{
	int64		target = ZoneOffset(hi, tz);
	int64		l = FloorDiv(lo, USECS_PER_SEC);
	int64		h = FloorDiv(hi, USECS_PER_SEC);

	while (h - l > 1)
	{
		int64		mid = l + (h - l) / 2;

		if (ZoneOffset(mid * USECS_PER_SEC, tz) == target)
			h = mid;
		else
			l = mid;
	}
	return h * USECS_PER_SEC;
}

/*
 * LocalToUtc returns the earliest instant u >= lower whose local reading in
 * tz is at or after the local time x.  The caller guarantees the local
 * reading of lower is before x (or passes a lower bound far in the past).
 *
 * Around x there is at most one offset change: the offset a before an
 * instant T and b from T on (a == b when there is none).  Local readings are
 * u + a before T and u + b after it, so the answer is x - a when that is
 * before T (this is the earlier of two readings in a repeated hour), else
 * the later of T and x - b (T itself when x falls in a gap).
 */
TimestampTz
LocalToUtc(int64 x, TimestampTz lower, const pg_tz *tz)
{
	int64		a = ZoneOffset(x - MAX_ZONE_SPAN, tz);
	int64		b = ZoneOffset(x + MAX_ZONE_SPAN, tz);
	TimestampTz t,
				u;

	if (a == b)
		return Max(lower, x - a);

	t = FindTransition(x - MAX_ZONE_SPAN, x + MAX_ZONE_SPAN, tz);
	u = Max(lower, x - a);
	if (u < t)
		return u;
	u = Max(lower, x - b);
	return Max(u, t);
}

/*
 * NextSendTime returns the earliest instant t >= from at which a campaign may
 * send: the local time of day is in [window_start, window_end), the local
 * weekday is in days, and the local day's count has not reached daily_limit
 * (pace_day_count counts sends of local day pace_day; other days count 0).
 * Returns DT_NOBEGIN when no instant qualifies (cannot happen with at least
 * one send day, but guards the loop).
 */
TimestampTz
NextSendTime(TimestampTz from, TimeADT window_start, TimeADT window_end,
			 const pg_tz *tz, SendDayMask days, int daily_limit,
			 bool has_pace_day, DateADT pace_day, int pace_day_count)
{
	TimestampTz t = from;
	int			i;

	/* Each day costs at most three turns: a week of them is plenty. */
	for (i = 0; i < 64; i++)
	{
		int64		local = t + ZoneOffset(t, tz);
		int64		day = FloorDiv(local, USECS_PER_DAY);
		int64		tod = local - day * USECS_PER_DAY;
		int			dow = (int) (((day + 6) % 7 + 7) % 7);	/* 2000-01-01: Sat */
		bool		full = has_pace_day && day == (int64) pace_day &&
			pace_day_count >= daily_limit;

		if ((days & (1 << dow)) == 0 || full || tod >= window_end)
		{
			/* to the next local midnight ... */
			TimestampTz midnight = LocalToUtc((day + 1) * USECS_PER_DAY, t, tz);

			/*
			 * ... unless the clock goes back before it (fall back): past the
			 * window end, the repeated time may be inside the window again.
			 */
			if (tod >= window_end && (days & (1 << dow)) != 0 && !full &&
				midnight - 1 > t && ZoneOffset(midnight - 1, tz) < ZoneOffset(t, tz))
				t = FindTransition(t, midnight - 1, tz);
			else
				t = midnight;
			continue;
		}
		if (tod < window_start)
		{
			t = LocalToUtc(day * USECS_PER_DAY + window_start, t, tz);
			continue;
		}
		return t;
	}
	return DT_NOBEGIN;
}

/*
 * ZoneFromText looks up an IANA zone name; an unknown one is a user error.
 */
static pg_tz *
ZoneFromText(text *name)
{
	char	   *s = text_to_cstring(name);
	pg_tz	   *tz = pg_tzset(s);

	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown time zone \"%s\"", s)));
	return tz;
}

/*
 * SendDaysFromArray turns ["mon", "tue", ...] into a weekday mask.
 */
static SendDayMask
SendDaysFromArray(ArrayType *arr)
{
	static const char *const names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				d;
	SendDayMask mask = 0;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("send_days must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *s;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("send_days must not contain null")));
		s = TextDatumGetCString(elems[i]);
		for (d = 0; d < 7; d++)
			if (strcmp(s, names[d]) == 0)
				break;
		if (d == 7)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid send day \"%s\"", s),
					 errdetail("Send days are mon, tue, wed, thu, fri, sat and sun.")));
		mask |= (SendDayMask) (1 << d);
	}
	if (mask == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("send_days must not be empty")));
	return mask;
}

/*
 * CallCache keeps the zones and send-day sets a call site looked up lately
 * (in fn_extra), a few of each: the scheduler calls next_send_time for the
 * rows of many campaigns that share few zones and send-day sets, in no
 * particular order, so a single remembered value would miss on most rows.
 * Values are kept as their bytes (without the varlena header, which differs
 * between a short and a long header for the same value) and compared whole.
 */
#define CALL_CACHE_SLOTS 8

typedef struct CacheSlot
{
	char	   *key;			/* the value's bytes, or NULL when unused */
	Size		len;
	pg_tz	   *tz;				/* zone slots */
	SendDayMask mask;			/* send-day slots */
} CacheSlot;

typedef struct CallCache
{
	CacheSlot	zones[CALL_CACHE_SLOTS];
	CacheSlot	days[CALL_CACHE_SLOTS];
	int			last_zone;		/* slot of the last hit, checked first */
	int			last_days;
	int			next_zone;		/* slot to replace next (round robin) */
	int			next_days;
} CallCache;

static CallCache *
GetCallCache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CallCache));
	return (CallCache *) fcinfo->flinfo->fn_extra;
}

/*
 * CacheFind returns the slot of slots[] holding the bytes (data, len), or
 * -1; *last is the slot to try first and becomes the one found.
 */
static int
CacheFind(CacheSlot *slots, int *last, const char *data, Size len)
{
	int			i;

	if (slots[*last].key != NULL && slots[*last].len == len &&
		memcmp(slots[*last].key, data, len) == 0)
		return *last;
	for (i = 0; i < CALL_CACHE_SLOTS; i++)
		if (slots[i].key != NULL && slots[i].len == len &&
			memcmp(slots[i].key, data, len) == 0)
		{
			*last = i;
			return i;
		}
	return -1;
}

/*
 * CacheStore copies (data, len) into the next slot to replace and returns
 * that slot (the caller fills in the value).
 */
static CacheSlot *
CacheStore(FunctionCallInfo fcinfo, CacheSlot *slots, int *next, int *last,
		   const char *data, Size len)
{
	CacheSlot  *slot = &slots[*next];

	if (slot->key != NULL)
		pfree(slot->key);
	slot->key = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, Max(len, 1));
	memcpy(slot->key, data, len);
	slot->len = len;
	*last = *next;
	*next = (*next + 1) % CALL_CACHE_SLOTS;
	return slot;
}

/*
 * CachedZone and CachedSendDays look up a zone / parse a send-day array
 * (argument argno) through the call site's cache.  The argument is only
 * detoasted into a copy when it has to be parsed.
 */
static pg_tz *
CachedZone(FunctionCallInfo fcinfo, int argno)
{
	CallCache  *cc = GetCallCache(fcinfo);
	text	   *name = PG_GETARG_TEXT_PP(argno);
	int			i = CacheFind(cc->zones, &cc->last_zone, VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	pg_tz	   *tz;

	if (i >= 0)
		return cc->zones[i].tz;
	tz = ZoneFromText(name);
	CacheStore(fcinfo, cc->zones, &cc->next_zone, &cc->last_zone,
			   VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name))->tz = tz;
	return tz;
}

static SendDayMask
CachedSendDays(FunctionCallInfo fcinfo, int argno)
{
	CallCache  *cc = GetCallCache(fcinfo);
	struct varlena *packed = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno));
	int			i = CacheFind(cc->days, &cc->last_days, VARDATA_ANY(packed), VARSIZE_ANY_EXHDR(packed));
	SendDayMask mask;

	if (i >= 0)
		return cc->days[i].mask;
	mask = SendDaysFromArray(PG_GETARG_ARRAYTYPE_P(argno));
	CacheStore(fcinfo, cc->days, &cc->next_days, &cc->last_days,
			   VARDATA_ANY(packed), VARSIZE_ANY_EXHDR(packed))->mask = mask;
	return mask;
}

/*
 * next_send_time(eligible, window_start, window_end, tz, send_days,
 * daily_limit, min_interval_seconds, pace_day, pace_day_count,
 * lane_last_sent_at) is the SQL face of NextSendTime: the earliest allowed
 * instant at or after both eligible and lane_last_sent_at +
 * min_interval_seconds.  pace_day and lane_last_sent_at may be null (nothing
 * counted, lane never used); a null eligible gives null.
 */
Datum
next_send_time(PG_FUNCTION_ARGS)
{
	TimestampTz from;
	TimeADT		ws,
				we;
	pg_tz	   *tz;
	SendDayMask days;
	int32		limit,
				interval;
	TimestampTz t;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	for (i = 1; i <= 6; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("next_send_time: only eligible, pace_day, pace_day_count and lane_last_sent_at may be null")));

	from = PG_GETARG_TIMESTAMPTZ(0);
	ws = PG_GETARG_TIMEADT(1);
	we = PG_GETARG_TIMEADT(2);
	tz = CachedZone(fcinfo, 3);
	days = CachedSendDays(fcinfo, 4);
	limit = PG_GETARG_INT32(5);
	interval = PG_GETARG_INT32(6);

	if (ws >= we)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sending window start must be before its end")));
	if (limit < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("daily_limit must be at least 1")));
	if (interval < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_interval_seconds must not be negative")));
	if (TIMESTAMP_NOT_FINITE(from))
		PG_RETURN_TIMESTAMPTZ(from);

	if (!PG_ARGISNULL(9))
	{
		TimestampTz lane = PG_GETARG_TIMESTAMPTZ(9);

		if (!TIMESTAMP_NOT_FINITE(lane))
		{
			lane += (int64) interval * USECS_PER_SEC;
			if (lane > from)
				from = lane;
		}
	}

	t = NextSendTime(from, ws, we, tz, days, limit,
					 !PG_ARGISNULL(7) && !PG_ARGISNULL(8),
					 PG_ARGISNULL(7) ? 0 : PG_GETARG_DATEADT(7),
					 PG_ARGISNULL(8) ? 0 : PG_GETARG_INT32(8));
	if (t == DT_NOBEGIN)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(t);
}

/*
 * add_local_days(ts, days, tz) moves ts by whole local calendar days of tz,
 * keeping the local clock time across daylight-saving changes.
 */
Datum
add_local_days(PG_FUNCTION_ARGS)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
	int32		ndays = PG_GETARG_INT32(1);
	pg_tz	   *tz = ZoneFromText(PG_GETARG_TEXT_PP(2));
	int64		local;

	if (TIMESTAMP_NOT_FINITE(ts) || ndays == 0)
		PG_RETURN_TIMESTAMPTZ(ts);
	if (ndays < -1000000 || ndays > 1000000)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("day count out of range")));
	local = ts + ZoneOffset(ts, tz) + (int64) ndays * USECS_PER_DAY;
	if (!IS_VALID_TIMESTAMP(local))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	PG_RETURN_TIMESTAMPTZ(LocalToUtc(local, DT_NOBEGIN + 1, tz));
}

/*
 * VariantHash is the 64-bit hash of (campaign, lead, step) that assigns
 * variants.
 */
static uint64
VariantHash(const pg_uuid_t *campaign, const pg_uuid_t *lead, int32 step)
{
	unsigned char key[2 * UUID_LEN + sizeof(int32)];

	memcpy(key, campaign->data, UUID_LEN);
	memcpy(key + UUID_LEN, lead->data, UUID_LEN);
	memcpy(key + 2 * UUID_LEN, &step, sizeof(int32));
	return hash_bytes_extended(key, sizeof(key), UINT64CONST(0x63616d7061696e73));
}

/*
 * pick_variant(campaign_id, lead_id, step, weights) returns the 1-based index
 * of the variant a lead gets at a step: a 64-bit hash of the three keys,
 * reduced modulo the total weight, falls in one variant's share.  The same
 * inputs always give the same variant; zero-weight variants are never
 * picked.  Null when no weight is positive.
 */
Datum
pick_variant(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *campaign = PG_GETARG_UUID_P(0);
	pg_uuid_t  *lead = PG_GETARG_UUID_P(1);
	int32		step = PG_GETARG_INT32(2);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(3);
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	int64		total = 0;
	uint64		h,
				r;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must be a one-dimensional array")));
	deconstruct_array(arr, INT4OID, sizeof(int32), true, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i] || DatumGetInt32(elems[i]) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("variant weights must be non-negative integers")));
		total += DatumGetInt32(elems[i]);
	}
	if (total == 0)
		PG_RETURN_NULL();

	h = VariantHash(campaign, lead, step);
	r = h % (uint64) total;
	for (i = 0; i < n; i++)
	{
		uint64		w = (uint64) DatumGetInt32(elems[i]);

		if (r < w)
			PG_RETURN_INT32(i + 1);
		r -= w;
	}
	elog(ERROR, "pick_variant: weight walk fell off the end");
	PG_RETURN_NULL();
}

/* GUC: leads enrolled per launch batch. */
int			campaigns_launch_batch_size = 50000;

/* GUC: failed actions in a row that pause a campaign. */
int			campaigns_failure_pause_threshold = 10;

/*
 * ScheduleInit defines the scheduler's GUCs: campaigns.launch_batch_size and
 * campaigns.failure_pause_threshold (campaigns.max_attempts is the
 * dispatcher's).  Both are superuser-only: a launch enrols in the tenant's
 * own session, and a tenant's batch size (a million leads in one
 * transaction, or one lead per tick) would change the scheduler's work for
 * every other tenant.
 */
void
ScheduleInit(void)
{
	DefineCustomIntVariable("campaigns.launch_batch_size",
							"Leads enrolled per launch batch.",
							"A dataset up to this size is enrolled inside campaign_launch; larger ones by tick, one batch per call.",
							&campaigns_launch_batch_size,
							50000, 1, 10000000,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("campaigns.failure_pause_threshold",
							"Failed actions in a row that pause a campaign (paused_reason delivery_failing).",
							"action_record_outcomes reads it; a sent action resets the count.",
							&campaigns_failure_pause_threshold,
							10, 1, 1000000,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
}

/*
 * JsonbField returns the value of key in a JSONB object container, or NULL.
 */
static JsonbValue *
JsonbField(JsonbContainer *obj, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
}

/*
 * step_variant(campaign_id, lead_id, step) is pick_variant applied to a step
 * object of steps_config: {"step": n, "variants": [{"label", "weight"
 * (default 50)}, ...]}.  Returns the label, or null when the step has no
 * variant of positive weight.  (The scheduler calls this once per queued
 * action, so it reads the JSONB directly.)
 */
Datum
step_variant(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *campaign = PG_GETARG_UUID_P(0);
	pg_uuid_t  *lead = PG_GETARG_UUID_P(1);
	Jsonb	   *step = PG_GETARG_JSONB_P(2);
	JsonbValue *v;
	JsonbContainer *variants;
	int32		stepno = 0;
	int			n,
				i;
	int64		total = 0;
	uint64		r = 0;

	if (!JB_ROOT_IS_OBJECT(step))
		PG_RETURN_NULL();
	v = JsonbField(&step->root, "step");
	if (v != NULL && v->type == jbvNumeric)
		stepno = DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric)));
	v = JsonbField(&step->root, "variants");
	if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		PG_RETURN_NULL();
	variants = v->val.binary.data;
	n = JsonContainerSize(variants);

	/* two passes over the array: the total weight, then the walk */
	for (i = 0; i < 2 * n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(variants, i % n);
		int64		w = 50;

		if (elem == NULL || elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
			continue;
		v = JsonbField(elem->val.binary.data, "weight");
		if (v != NULL && v->type == jbvNumeric)
			w = DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric)));
		if (w < 0)
			w = 0;
		if (i < n)
		{
			total += w;
			if (i == n - 1)
			{
				if (total == 0)
					PG_RETURN_NULL();
				r = VariantHash(campaign, lead, stepno) % (uint64) total;
			}
			continue;
		}
		if (r < (uint64) w)
		{
			v = JsonbField(elem->val.binary.data, "label");
			if (v == NULL || v->type != jbvString)
				PG_RETURN_NULL();
			PG_RETURN_TEXT_P(cstring_to_text_with_len(v->val.string.val, v->val.string.len));
		}
		r -= w;
	}
	PG_RETURN_NULL();
}

/*
 * Random state of uuid_ordered, seeded once per process from the strong
 * random source: asking pg_strong_random (OpenSSL) for eight bytes per row
 * cost a tenth of a million-lead enrolment.  The ids need to be unique, not
 * unguessable (every lookup is also filtered on the caller's user_id).
 */
static pg_prng_state uuid_prng;
static bool uuid_prng_seeded = false;

/*
 * uuid_ordered() returns a time-ordered UUID (version 7 layout: 48-bit Unix
 * milliseconds, a 12-bit counter that keeps values from one backend
 * increasing within a millisecond, 62 random bits).  Enrolment gives these
 * to campaign_lead rows, so a million-row launch appends to the primary key
 * instead of touching random pages of it.
 */
PG_FUNCTION_INFO_V1(uuid_ordered);

Datum
uuid_ordered(PG_FUNCTION_ARGS)
{
	static uint64 last_ms = 0;
	static uint32 seq = 0;
	pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));
	TimestampTz now = GetCurrentTimestamp();
	uint64		ms = (uint64) (now / 1000 + PG_EPOCH_SECS * 1000);
	uint64		rnd;
	int			i;

	if (!uuid_prng_seeded)
	{
		if (!pg_prng_strong_seed(&uuid_prng))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate random values")));
		uuid_prng_seeded = true;
	}
	if (ms <= last_ms)
	{
		ms = last_ms;
		if (++seq > 0xFFF)
		{
			ms++;
			seq = 0;
		}
	}
	else
		seq = 0;
	last_ms = ms;

	rnd = pg_prng_uint64(&uuid_prng);
	for (i = 0; i < 8; i++)
		u->data[8 + i] = (unsigned char) (rnd >> (8 * i));
	u->data[0] = (unsigned char) (ms >> 40);
	u->data[1] = (unsigned char) (ms >> 32);
	u->data[2] = (unsigned char) (ms >> 24);
	u->data[3] = (unsigned char) (ms >> 16);
	u->data[4] = (unsigned char) (ms >> 8);
	u->data[5] = (unsigned char) ms;
	u->data[6] = (unsigned char) (0x70 | ((seq >> 8) & 0x0F));
	u->data[7] = (unsigned char) (seq & 0xFF);
	u->data[8] = (unsigned char) (0x80 | (u->data[8] & 0x3F));
	PG_RETURN_UUID_P(u);
}
