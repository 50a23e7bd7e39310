/*-------------------------------------------------------------------------
 *
 * src/dispatch_claim.h
 *		The claim's rows and the request bodies built from them
 *		(dispatch_claim.c), for dispatch.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_DISPATCH_CLAIM_H
#define CAMPAIGNS_DISPATCH_CLAIM_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "lib/stringinfo.h"

/* The longest Retry-After honoured. */
#define RETRY_AFTER_MAX_MS ((int64) 24 * 3600 * 1000)
/* The claim (schema/60_dispatch.sql): rows of request parts. */
#define CLAIM_ROWS_SQL \
	"SELECT * FROM campaigns._dispatch_claim_rows($1, $2)"

/*
 * Columns of _dispatch_claim_rows, in order.  The body is built from
 * columns CR_CAMPAIGN_ID onwards.
 */
enum
{
	CR_ACTION_ID = 1,
	CR_ATTEMPT,
	CR_IDEMPOTENCY_KEY,
	CR_URL,
	CR_AUTH_HEADER,
	CR_CAMPAIGN_ID,
	CR_CAMPAIGN_LEAD_ID,
	CR_LEAD_ID,
	CR_EMAIL,
	CR_LINKEDIN_URL,
	CR_FIRST_NAME,
	CR_LAST_NAME,
	CR_COMPANY,
	CR_TITLE,
	CR_TIMEZONE,
	CR_FIELDS,
	CR_STEP,
	CR_VARIANT,
	CR_CHANNEL,
	CR_ACTION_TYPE,
	CR_TEMPLATE_ID,
	CR_MISSING_FIELDS,
	CR_SENDER_PROFILE_ID,
	CR_TRACK_CLICKS,
	CR_AI_PERSONALIZATION,
	CR_PROMPT,
	CR_DUE_AT,
	CR_SUBJECT,
	CR_BODY,
	CR_ALIAS_ID,
	CR_ALIAS_EMAIL,
	CR_CONNECTED_ACCOUNT_ID,
	CR_USER_ID,					/* the owner, and the context, of the */
	CR_AUTH_CONTEXT,			/* encrypted CR_AUTH_HEADER */
	CR_NCOLUMNS = CR_AUTH_CONTEXT
};

/* A claim row, deformed. */
typedef struct ClaimRow
{
	TupleDesc	desc;
	Datum		values[CR_NCOLUMNS];
	bool		nulls[CR_NCOLUMNS];
} ClaimRow;

/* What DispatchAuthHeader found. */
typedef enum ClaimAuth
{
	CLAIM_AUTH_NONE,			/* no auth header */
	CLAIM_AUTH_LINE,			/* *line is the header line to send */
	CLAIM_AUTH_RETRY,			/* the key is unavailable: retry later */
	CLAIM_AUTH_FAILED			/* the stored header is unusable: fail */
} ClaimAuth;

extern void ClaimRowRead(ClaimRow *row, HeapTuple tup, TupleDesc desc);
extern void DispatchBuildBody(StringInfo out, const ClaimRow *row);
extern ClaimAuth DispatchAuthHeader(const ClaimRow *row, char **line, int *name_len,
									const char **why);

#endif							/* CAMPAIGNS_DISPATCH_CLAIM_H */
