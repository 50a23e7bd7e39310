/*-------------------------------------------------------------------------
 *
 * src/validate.h
 *		Validation and normalisation of campaign request bodies
 *		(validate_campaign.c; the generic walker is model.h's).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_VALIDATE_H
#define CAMPAIGNS_VALIDATE_H

#include "model.h"

#include "utils/uuid.h"

/*
 * CampaignValidate checks a campaign body against model (CampaignCreate,
 * or CampaignUpdate for a PATCH merged into the stored campaign) and every
 * rule of SPEC §4 for user_id.  On success it returns the normalised body
 * (every field present, defaults filled, steps sorted); otherwise it raises
 * SQLSTATE 22023 with errdetail a JSON array of {"loc", "msg", "type"}
 * objects, one per violation.
 */
extern Jsonb *CampaignValidate(Jsonb *body, const Model *model, pg_uuid_t *user_id,
							   bool check_start_future, Oid nspid);

#endif							/* CAMPAIGNS_VALIDATE_H */
