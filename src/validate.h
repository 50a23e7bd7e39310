/*-------------------------------------------------------------------------
 *
 * src/validate.h
 *		Validation and normalisation of Create Campaign request bodies.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_VALIDATE_H
#define CAMPAIGNS_VALIDATE_H

#include "campaigns.h"

#include "utils/uuid.h"

/*
 * CampaignValidate checks a Create Campaign body for user_id (SPEC §4).  On
 * success it returns the normalised body (every field present, defaults
 * filled, steps sorted); otherwise it raises SQLSTATE 22023 with errdetail a
 * JSON array of {"loc", "msg", "type"} objects, one per violation.
 */
extern Jsonb *CampaignValidate(Jsonb *body, pg_uuid_t *user_id,
							   bool check_start_future, Oid nspid);

#endif							/* CAMPAIGNS_VALIDATE_H */
