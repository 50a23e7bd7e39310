/*-------------------------------------------------------------------------
 *
 * src/schedule.h
 *		Send-time arithmetic and variant assignment of the scheduler.
 *
 * The rules of SPEC section 6 that involve wall clocks (sending windows,
 * send days, local days across daylight-saving changes, the daily limit and
 * the minimum interval) are computed here, once, for both campaigns.tick and
 * campaigns.campaign_forecast.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_SCHEDULE_H
#define CAMPAIGNS_SCHEDULE_H

#include "pgtime.h"
#include "datatype/timestamp.h"

/* Bit (1 << dow) per allowed local weekday, dow 0 = Sunday. */
typedef uint8 SendDayMask;

extern TimestampTz LocalToUtc(int64 local, TimestampTz lower, const pg_tz *tz);
extern TimestampTz NextSendTime(TimestampTz from, TimeADT window_start,
								TimeADT window_end, const pg_tz *tz,
								SendDayMask days, int daily_limit,
								bool has_pace_day, DateADT pace_day,
								int pace_day_count);

#endif							/* CAMPAIGNS_SCHEDULE_H */
