/*-------------------------------------------------------------------------
 *
 * src/dispatch.h
 *		Delivery of claimed actions over HTTP with libcurl multi.
 *
 * The worker loop (worker.c) owns transactions and waiting; this module
 * owns the curl multi handle, the requests in flight and the outcomes not
 * yet recorded.  It does not call back into the worker: the worker drives
 * it through this interface and reads its counts (DispatchTakeCounts).
 * dispatch.c is the only file that includes curl.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_DISPATCH_H
#define CAMPAIGNS_DISPATCH_H

#include "campaigns.h"

#include "utils/timestamp.h"

/* GUCs owned by the dispatcher. */
extern int	campaigns_max_in_flight;
extern int	campaigns_request_timeout_ms;
extern int	campaigns_max_attempts;
extern int	campaigns_retry_base_ms;
extern int	campaigns_retry_max_ms;
extern int	campaigns_lease_seconds;
extern char *campaigns_email_endpoint;
extern char *campaigns_linkedin_endpoint;

extern void DispatchInit(void);

/* Worker life cycle. */
extern void DispatchStart(void);
extern void DispatchStop(void);

/* Inside a transaction with SPI connected. */
extern int	DispatchRecordOutcomes(void);
extern int	DispatchClaim(int n);

/* Outside transactions. */
extern void DispatchLaunchClaimed(void);
extern void DispatchForgetClaimed(void);
extern void DispatchForgetOutcomes(void);
extern int	DispatchPerform(long wait_ms);

/* What the dispatcher did, counted for the worker's view. */
typedef struct DispatchCounts
{
	int64		claimed;
	int64		sent;
	int64		retried;
	int64		failed;
} DispatchCounts;

extern int	DispatchInFlight(void);
extern void DispatchTakeCounts(DispatchCounts *counts);
extern int	DispatchFreeSlots(void);
extern int	DispatchOutcomesPending(void);
extern TimestampTz DispatchOldestOutcome(void);

/* Pure functions, exposed for SQL-level tests. */
extern const char *DispatchClassify(long http_status, bool transport_error);
extern int64 DispatchBackoffMs(int attempt, int64 retry_after_ms, double jitter);

#endif							/* CAMPAIGNS_DISPATCH_H */
