/*-------------------------------------------------------------------------
 *
 * src/validate_campaign.h
 *		What the phases of a campaign's validation share
 *		(validate_campaign.c, validate_refs.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_VALIDATE_CAMPAIGN_H
#define CAMPAIGNS_VALIDATE_CAMPAIGN_H

#include "models.h"

#define CH_NONE		(-1)		/* a step without a channel */

#define FIELD(mv, i) (&(mv)->f[(i)])

/* What phases 2 and 3 learn about a body, beside its checked fields. */
typedef struct CampaignCheck
{
	ModelValue *body;
	int			nsteps;			/* 0 unless steps is a valid list */
	ModelValue *steps;
	int		   *channel;		/* each step's channel after defaults, or CH_NONE */
	int			nvariants;		/* the variant objects of the steps' valid lists */
	ModelValue **variant;
	int		   *variant_step;	/* ... the index of each one's step */
	int		   *variant_index;	/* ... and its index there */
	int		   *template_channel;	/* its template's channel, CH_NONE: not found */
	bool	   *sender_found;
	bool	   *alias_found;
} CampaignCheck;

/*
 * CheckCampaignReferences reports, in field order, each object the body
 * names (dataset, templates of the right channel, sender profiles, aliases,
 * connected account) that user_id does not own.
 */
extern void CheckCampaignReferences(Validation *vs, CampaignCheck *cc, const Loc *body,
									pg_uuid_t *user_id, Oid nspid);

#endif							/* CAMPAIGNS_VALIDATE_CAMPAIGN_H */
