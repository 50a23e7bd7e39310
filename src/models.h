/*-------------------------------------------------------------------------
 *
 * src/models.h
 *		The models of the campaigns API (described in models.c): the ones
 *		other files name, the indexes of the campaign's fields and the
 *		indexes of its enum values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_MODELS_H
#define CAMPAIGNS_MODELS_H

#include "model.h"

/* The fields of CampaignCreate (and CampaignUpdate, which adds one), in order. */
typedef enum CampaignFieldIndex
{
	CF_NAME,
	CF_DATASET_ID,
	CF_STEPS,
	CF_DESCRIPTION,
	CF_TYPE,
	CF_ALIAS_IDS,
	CF_CONNECTED_ACCOUNT_ID,
	CF_LAUNCH_TYPE,
	CF_START_DATE,
	CF_DAILY_LIMIT,
	CF_WINDOW_START,
	CF_WINDOW_END,
	CF_MIN_INTERVAL,
	CF_TIMEZONE,
	CF_SEND_DAYS,
	CF_SYSTEM_PROMPT,
	CF_POLICY,
	CF_STOP_ON_REPLY,			/* deliverability (SPEC §11) */
	CF_MAX_BOUNCE_RATE,
	CF_BOUNCE_WINDOW,
	CF_DISMISSED_AT,			/* CampaignUpdate only */
	CF_NFIELDS
} CampaignFieldIndex;

/* The fields of CampaignStepConfig. */
typedef enum StepFieldIndex
{
	SF_STEP,
	SF_DELAY_DAYS,
	SF_CHANNEL,
	SF_VARIANTS,
	SF_AI,
	SF_TRACK_CLICKS,
	SF_ACTION_TYPE,
	SF_MESSAGE_TEMPLATE,
	SF_NFIELDS
} StepFieldIndex;

/* The fields of CampaignStepVariant. */
typedef enum VariantFieldIndex
{
	VR_LABEL,
	VR_WEIGHT,
	VR_TYPE,
	VR_TEMPLATE_ID,
	VR_SENDER_PROFILE_ID,
	VR_NFIELDS
} VariantFieldIndex;

/* Indexes into the enums of models.c. */
#define CH_EMAIL	0			/* channel_names */
#define CH_LINKEDIN 1
#define TYPE_MIXED	2			/* campaign_type_names: email, linkedin, mixed */
#define LAUNCH_IMMEDIATE 0		/* launch_type_names */
#define LAUNCH_SCHEDULED 1
#define VT_TEMPLATE 0			/* variant_type_names */
#define VT_PERSONALIZATION 1
#define ACT_CONNECTION_REQUEST 0	/* action_type_names: LinkedIn's, then email's */
#define ACT_MESSAGE 1
#define ACT_INMAIL 2
#define ACT_SEND_EMAIL 7

extern const char *const channel_names[2];
extern const char *const campaign_type_names[3];
extern const char *const action_type_names[8];
extern const char *const launch_type_names[2];
extern const char *const policy_names[3];
extern const char *const day_names[7];
extern const char *const campaign_status_names[8];
extern const char *const lead_status_names[6];
extern const char *const stop_on_reply_names[3];
extern const char *const suppression_kind_names[3];
extern const char *const suppression_reason_names[4];

extern Model CampaignCreate;
extern Model CampaignUpdate;
extern Model CampaignStepConfig;
extern Model SenderData;
extern Model CampaignResponse;

/* validate_campaign.c: the rules of single campaign fields. */
extern bool CampaignCheckSteps(Validation *vs, const Loc *loc, FieldValue *fv,
							   const ModelValue *parent);
extern bool CampaignCheckMessage(Validation *vs, const Loc *loc, FieldValue *fv,
								 const ModelValue *parent);
extern char *AliasRepeatMessage(int index, int first, const char *value, int len);
extern char *DayRepeatMessage(int index, int first, const char *value, int len);

#endif							/* CAMPAIGNS_MODELS_H */
