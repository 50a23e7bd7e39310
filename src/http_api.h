/*-------------------------------------------------------------------------
 *
 * src/http_api.h
 *		The HTTP surface (campaigns.http_handle): settings and rate counters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_HTTP_API_H
#define CAMPAIGNS_HTTP_API_H

#include "utils/uuid.h"

extern int	campaigns_http_max_body_bytes;
extern int	campaigns_http_rate_limit_per_minute;

extern void HttpApiInit(void);

/* http_rate.c: per-key request counters in shared memory */
extern int	campaigns_http_rate_slots;
extern void HttpRateInit(void);
extern bool HttpRateCount(const pg_uuid_t *key, int64 window, int32 *hits);

#endif							/* CAMPAIGNS_HTTP_API_H */
