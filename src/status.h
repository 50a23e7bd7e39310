/*-------------------------------------------------------------------------
 *
 * src/status.h
 *		The campaign status machine (SPEC §5).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_STATUS_H
#define CAMPAIGNS_STATUS_H

typedef enum CampaignStatus
{
	CAMPAIGN_DRAFT,
	CAMPAIGN_LAUNCHING,
	CAMPAIGN_SCHEDULED,
	CAMPAIGN_ACTIVE,
	CAMPAIGN_DRAINING,
	CAMPAIGN_PAUSED,
	CAMPAIGN_COMPLETED,
	CAMPAIGN_FAILED,
	CAMPAIGN_STATUS_COUNT
} CampaignStatus;

extern const char *GetCampaignStatusName(CampaignStatus status);
extern bool ParseCampaignStatus(const char *name, CampaignStatus *status);
extern bool CampaignTransitionAllowed(CampaignStatus from, CampaignStatus to);

#endif							/* CAMPAIGNS_STATUS_H */
