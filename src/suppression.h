/*-------------------------------------------------------------------------
 *
 * src/suppression.h
 *		Canonical forms of the suppression list's values (SPEC §11).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_SUPPRESSION_H
#define CAMPAIGNS_SUPPRESSION_H

#include "campaigns.h"

/* What a suppression entry names. */
typedef enum SuppressionKind
{
	SUPPRESS_EMAIL,
	SUPPRESS_DOMAIN,
	SUPPRESS_LINKEDIN_URL
} SuppressionKind;

/*
 * SuppressionNormalize returns the canonical form (palloc'd, terminated) of
 * value[0..len) as an entry of kind, or NULL when it is not a valid value
 * of that kind: an email address trimmed and in lower case; a domain
 * trimmed, in lower case, without a leading "@" or a trailing "."; a
 * LinkedIn URL as "linkedin.com/<path>" (no scheme, no subdomain, no query,
 * fragment or trailing slash, percent-escapes decoded, lower case).
 */
extern char *SuppressionNormalize(SuppressionKind kind, const char *value, int len);

/*
 * EmailDomain returns the canonical domain of an email address (what an
 * entry of kind domain must equal to match it), or NULL when it has none.
 */
extern char *EmailDomain(const char *email, int len);

#endif							/* CAMPAIGNS_SUPPRESSION_H */
