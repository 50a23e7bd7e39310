/*-------------------------------------------------------------------------
 *
 * src/models.c
 *		The request models of the campaigns API, each described once.
 *
 * Fields are listed in model order (the order of errors, of the OpenAPI
 * properties and of response fields).  The campaign's descriptions are
 * the seed's (the "Create Campaign" document); the rules a description
 * cannot say (channel against type, required-when...) are in
 * validate_campaign.c.  The response models are in models_response.c;
 * model_schemas at the end names every model the API has, for _validate,
 * http_route and the OpenAPI document.
 *
 *-------------------------------------------------------------------------
 */
#include "models.h"

#include "outbound.h"
#include "suppression.h"

#include "utils/builtins.h"

const char *const channel_names[2] = {"email", "linkedin"};
const char *const campaign_type_names[3] = {"email", "linkedin", "mixed"};
const char *const launch_type_names[] = {"immediate", "scheduled"};
const char *const policy_names[] = {"launch_default", "hold", "cancel"};
const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const variant_type_names[] = {"TEMPLATE", "PERSONALIZATION"};
const char *const action_type_names[8] = {
	"connection_request", "message", "inmail", "profile_visit", "follow",
	"like_post", "withdraw_invitation", "send_email"
};
const char *const campaign_status_names[] = {
	"draft", "launching", "scheduled", "active", "draining", "paused", "completed", "failed"
};
const char *const lead_status_names[] = {"pending", "active", "paused", "completed", "stopped", "failed"};
static const char *const event_type_names[] = {
	"replied", "bounced", "soft_bounce", "unsubscribed", "complained", "auto_reply",
	"connection_accepted", "opened", "clicked"
};
#define EVENT_AUTO_REPLY 5
const char *const stop_on_reply_names[] = {"lead", "company", "all_campaigns"};
/* (the order of SuppressionKind, suppression.h) */
const char *const suppression_kind_names[] = {"email", "domain", "linkedin_url"};
const char *const suppression_reason_names[] = {"unsubscribed", "complained", "bounced", "manual"};
static const char *const provider_names[] = {"linkedin"};

/* ------------------------------------------------------------ campaign */

static const ModelField variant_fields[VR_NFIELDS] = {
	[VR_LABEL] = {"label", VK_STRING, .flags = FF_REQUIRED, RANGE(1, 10),
	.description = "Variant label, distinct within the step"},
	[VR_WEIGHT] = {"weight", VK_INTEGER, RANGE(0, 100), .default_json = "50",
	.description = "Relative weight of the variant; at least one variant of a step must weigh more than 0"},
	[VR_TYPE] = {"type", VK_STRING, ENUM(variant_type_names), .default_json = "\"TEMPLATE\"",
	.description = "TEMPLATE sends a template; PERSONALIZATION has the message written by AI (the step needs ai_personalization_enabled)"},
	[VR_TEMPLATE_ID] = {"template_id", VK_STRING, VF_UUID, FF_NULLABLE, .default_json = "null",
	.description = "A template of the step's channel (required for TEMPLATE variants)"},
	[VR_SENDER_PROFILE_ID] = {"sender_profile_id", VK_STRING, VF_UUID, FF_NULLABLE, .default_json = "null",
	.description = "Sender profile whose data and custom prompt personalise the message"},
};

static Model CampaignStepVariant = {
	"CampaignStepVariant", "A message variant of a step; each lead gets one, chosen by weight.",
	variant_fields, VR_NFIELDS
};

static const ModelField variant_item = {"variant", VK_MODEL, .model = &CampaignStepVariant};

static const ModelField step_fields[SF_NFIELDS] = {
	[SF_STEP] = {"step", VK_INTEGER, .flags = FF_REQUIRED, RANGE(1, 10),
	.description = "Step number, distinct within the campaign; steps run in ascending order"},
	[SF_DELAY_DAYS] = {"delay_days", VK_INTEGER, RANGE(0, 365), .default_json = "0",
	.description = "Days after the previous step was sent (after launch for the first step)"},
	[SF_CHANNEL] = {"channel", VK_STRING, .flags = FF_NULLABLE, ENUM(channel_names), .default_json = "null",
	.description = "Channel of the step: the campaign type for email and linkedin campaigns (which it must fit), required for mixed ones"},
	[SF_VARIANTS] = {"variants", VK_ARRAY, .flags = FF_NULLABLE, RANGE(1, 5), .items = &variant_item,
	.default_json = "null",
	.description = "Message variants; required for email steps, optional for linkedin steps"},
	[SF_AI] = {"ai_personalization_enabled", VK_BOOLEAN, .default_json = "false",
	.description = "Personalise the message with AI"},
	[SF_TRACK_CLICKS] = {"track_clicks", VK_BOOLEAN, .default_json = "false",
	.description = "Track link clicks (email steps only)"},
	[SF_ACTION_TYPE] = {"action_type", VK_STRING, .flags = FF_NULLABLE, ENUM(action_type_names),
	.default_json = "null",
	.description = "LinkedIn steps: the action (required); email steps: null or send_email"},
	[SF_MESSAGE_TEMPLATE] = {"message_template", VK_STRING, VF_MERGE, FF_NULLABLE, AT_MOST(8000),
	.default_json = "null", .check = CampaignCheckMessage,
	.description = "Message text with {{field}} and {{field|fallback}} merge fields; at most 300 characters for a connection_request note; required for message and inmail steps unless variants or AI personalization supply the text"},
};

Model CampaignStepConfig = {
	"CampaignStepConfig", "One step of a campaign's sequence.",
	step_fields, SF_NFIELDS
};

static const ModelField step_item = {"step", VK_MODEL, .model = &CampaignStepConfig};
static const ModelField alias_item = {"alias_id", VK_STRING};
static const ModelField day_item = {"day", VK_STRING, ENUM(day_names)};

/* CampaignCreate is the first CF_DISMISSED_AT fields; CampaignUpdate all. */
static const ModelField campaign_fields[CF_NFIELDS] = {
	[CF_NAME] = {"name", VK_STRING, .flags = FF_REQUIRED, RANGE(1, 255),
	.description = "Campaign name"},
	[CF_DATASET_ID] = {"dataset_id", VK_STRING, VF_UUID, FF_REQUIRED,
	.description = "Dataset containing leads"},
	[CF_STEPS] = {"steps", VK_ARRAY, .flags = FF_REQUIRED, RANGE(1, 10), .items = &step_item,
	.check = CampaignCheckSteps,
	.description = "Campaign steps configuration"},
	[CF_DESCRIPTION] = {"description", VK_STRING, .flags = FF_NULLABLE, AT_MOST(1000), .default_json = "null",
	.description = "Campaign description"},
	[CF_TYPE] = {"type", VK_STRING, ENUM(campaign_type_names), .default_json = "\"email\"",
	.description = "Campaign type (email, linkedin, or mixed)"},
	[CF_ALIAS_IDS] = {"alias_ids", VK_ARRAY, .flags = FF_NULLABLE | FF_UNIQUE, .items = &alias_item,
	.default_json = "null", .repeat_message = AliasRepeatMessage,
	.description = "Bavimail alias IDs for sending (required for email campaigns)"},
	[CF_CONNECTED_ACCOUNT_ID] = {"connected_account_id", VK_STRING, VF_UUID, FF_NULLABLE, .default_json = "null",
	.description = "Connected account ID (required for linkedin campaigns)"},
	[CF_LAUNCH_TYPE] = {"launch_type", VK_STRING, ENUM(launch_type_names), .default_json = "\"immediate\"",
	.description = "Launch type (immediate or scheduled)"},
	[CF_START_DATE] = {"start_date", VK_STRING, VF_DATETIME, FF_NULLABLE, .default_json = "null",
	.description = "Scheduled start date (required if launch_type=scheduled)"},
	[CF_DAILY_LIMIT] = {"daily_limit", VK_INTEGER, RANGE(1, 10000), .default_json = "500",
	.description = "Max actions per day"},
	[CF_WINDOW_START] = {"sending_window_start", VK_STRING, VF_TIME, .default_json = "\"09:00:00\"",
	.description = "Daily sending window start (UTC)"},
	[CF_WINDOW_END] = {"sending_window_end", VK_STRING, VF_TIME_END, .default_json = "\"17:00:00\"",
	.description = "Daily sending window end (UTC)"},
	[CF_MIN_INTERVAL] = {"min_interval_seconds", VK_INTEGER, RANGE(60, 3600), .default_json = "300",
	.description = "Minimum seconds between actions"},
	[CF_TIMEZONE] = {"timezone", VK_STRING, VF_TIMEZONE, .default_json = "\"UTC\"",
	.description = "Timezone for sending window interpretation"},
	[CF_SEND_DAYS] = {"send_days", VK_ARRAY, .flags = FF_UNIQUE | FF_ENUM_ORDER, AT_LEAST(1), .items = &day_item,
	.default_json = "[\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]", .repeat_message = DayRepeatMessage,
	.description = "Days of week to send (3-letter lowercase abbreviations)"},
	[CF_SYSTEM_PROMPT] = {"system_prompt", VK_STRING, .flags = FF_NULLABLE, RANGE(100, 5000), .default_json = "null",
	.description = "Campaign-level personalization prompt override. When set, the email pipeline resolver uses this in preference to sender_data.custom_prompt. NULL = fall through to sender-level custom_prompt or DEFAULT."},
	[CF_POLICY] = {"unreviewed_launch_policy", VK_STRING, ENUM(policy_names), .default_json = "\"launch_default\"",
	.description = "Policy applied at scheduled launch time when the campaign uses AI personalization and the user never reviewed drafts in the playground. launch_default = regenerate at send; hold = pause + notify; cancel = revert to draft + notify."},
	[CF_STOP_ON_REPLY] = {"stop_on_reply", VK_STRING, ENUM(stop_on_reply_names), .default_json = "\"lead\"",
	.description = "What a reply stops besides the lead: lead (nothing), company (the campaign's other leads of the same email domain, free-mail domains excepted), all_campaigns (the same email in the user's other campaigns)"},
	[CF_MAX_BOUNCE_RATE] = {"max_bounce_rate", VK_INTEGER, RANGE(0, 100), .default_json = "5",
	.description = "Bounce protection: the campaign is paused (bounce_rate_exceeded) when more than this percentage of its last bounce_window email sends bounced (at least 20 sends)"},
	[CF_BOUNCE_WINDOW] = {"bounce_window", VK_INTEGER, RANGE(20, 10000), .default_json = "100",
	.description = "How many of the campaign's last email sends bounce protection looks at"},
	[CF_DISMISSED_AT] = {"playground_discovery_dismissed_at", VK_STRING, VF_DATETIME, FF_NULLABLE,
	.description = "When the owner dismissed the playground discovery banner"},
};

Model CampaignCreate = {
	"CampaignCreate", "Request model for creating a campaign.",
	campaign_fields, CF_DISMISSED_AT
};

Model CampaignUpdate = {
	"CampaignUpdate",
	"Request model for changing a campaign (PATCH): omitted fields are unchanged, null clears a field. The status decides which fields may change.",
	campaign_fields, CF_NFIELDS, .partial = true
};

/* ------------------------------------------------------- the small objects */

static const ModelField lead_fields[] = {
	{"email", VK_STRING, VF_EMAIL, FF_NULLABLE, AT_MOST(320), .default_json = "null",
	.description = "E-mail address (duplicates within a dataset are merged, case-insensitively)"},
	{"linkedin_url", VK_STRING, .flags = FF_NULLABLE, RANGE(1, 2048), .default_json = "null",
	.description = "LinkedIn profile URL"},
	{"first_name", VK_STRING, .flags = FF_NULLABLE, AT_MOST(255), .default_json = "null", .description = "First name"},
	{"last_name", VK_STRING, .flags = FF_NULLABLE, AT_MOST(255), .default_json = "null", .description = "Last name"},
	{"company", VK_STRING, .flags = FF_NULLABLE, AT_MOST(255), .default_json = "null", .description = "Company"},
	{"title", VK_STRING, .flags = FF_NULLABLE, AT_MOST(255), .default_json = "null", .description = "Job title"},
	{"timezone", VK_STRING, VF_TIMEZONE, FF_NULLABLE, .default_json = "null",
	.description = "The lead's IANA time zone"},
	{"fields", VK_DICT, .flags = FF_NULLABLE, .default_json = "null",
	.description = "Any other fields, for merge fields such as {{fields.plan}}"},
};

/* LeadNeedsAddress: a lead has an email or a linkedin_url (not ""). */
static void
LeadNeedsAddress(Validation *vs, const Loc *loc, ModelValue *mv)
{
	for (int i = 0; i < 2; i++)
	{
		const JsonbValue *v = mv->f[i].v;

		if (v != NULL && v->type != jbvNull && !(v->type == jbvString && v->val.string.len == 0))
			return;
	}
	AddError(vs, loc, "value_error", "Value error, a lead needs an email or a linkedin_url");
}

static Model LeadCreate = {
	"LeadCreate", "A lead of a dataset; it needs an email or a linkedin_url.",
	lead_fields, lengthof(lead_fields), .rule = LeadNeedsAddress
};

static const ModelField lead_item = {"lead", VK_MODEL, .model = &LeadCreate};

static const ModelField dataset_fields[] = {
	{"name", VK_STRING, .flags = FF_REQUIRED, RANGE(1, 255), .description = "Dataset name"},
	{"leads", VK_ARRAY, AT_MOST(50000), .items = &lead_item,
	.description = "Leads to add at once (as POST /datasets/{dataset_id}/leads does)"},
};

static Model DatasetCreate = {
	"DatasetCreate", "Request model for creating a dataset, optionally with its leads.",
	dataset_fields, lengthof(dataset_fields)
};

static const ModelField template_fields[] = {
	{"name", VK_STRING, .flags = FF_REQUIRED, RANGE(1, 255), .description = "Template name"},
	{"channel", VK_STRING, .flags = FF_REQUIRED, ENUM(channel_names),
	.description = "Channel the template is for (a step of the other channel cannot use it)"},
	{"subject", VK_STRING, VF_MERGE, FF_NULLABLE, AT_MOST(998), .default_json = "null",
	.description = "Subject line, with merge fields"},
	{"body", VK_STRING, VF_MERGE, FF_REQUIRED, RANGE(1, 100000),
	.description = "Body, with {{field}} and {{field|fallback}} merge fields"},
};

static Model TemplateCreate = {
	"TemplateCreate", "Request model for creating a message template.",
	template_fields, lengthof(template_fields)
};

static Model TemplateUpdate = {
	"TemplateUpdate", "Request model for changing a template (PATCH): omitted fields are unchanged.",
	template_fields, lengthof(template_fields), .partial = true
};

static const ModelField sender_data_fields[] = {
	{"custom_prompt", VK_STRING, .flags = FF_NULLABLE,
	.description = "Personalization prompt of this sender (a campaign's system_prompt takes precedence)"},
};

Model SenderData = {
	"SenderData", "What personalises messages sent with this profile; any keys, custom_prompt a string.",
	sender_data_fields, lengthof(sender_data_fields), EXTRA_ALLOW,
	.type_error = "dict_type", .type_msg = "Input should be a valid dictionary"
};

static const ModelField sender_profile_fields[] = {
	{"profile_name", VK_STRING, .flags = FF_REQUIRED, RANGE(1, 100), .description = "Profile name"},
	{"sender_data", VK_MODEL, .model = &SenderData, .default_json = "{}",
	.description = "Sender data (may hold custom_prompt)"},
	{"description", VK_STRING, .flags = FF_NULLABLE, AT_MOST(500), .default_json = "null",
	.description = "Description"},
	{"is_default", VK_BOOLEAN, .default_json = "false",
	.description = "The user's default profile (setting it unsets the previous default)"},
};

static Model SenderProfileCreate = {
	"SenderProfileCreate", "Request model for creating a sender profile (at most 5 per user).",
	sender_profile_fields, lengthof(sender_profile_fields)
};

static Model SenderProfileUpdate = {
	"SenderProfileUpdate", "Request model for changing a sender profile (PATCH): omitted fields are unchanged.",
	sender_profile_fields, lengthof(sender_profile_fields), .partial = true
};

static const ModelField alias_fields[] = {
	{"alias_id", VK_STRING, .flags = FF_REQUIRED, RANGE(1, 255),
	.description = "The alias id campaigns name in alias_ids (unique per user)"},
	{"full_email", VK_STRING, VF_EMAIL, FF_REQUIRED, AT_MOST(320), .description = "The sending address"},
};

static Model AliasCreate = {
	"AliasCreate", "Request model for creating an email alias (a sending mailbox).",
	alias_fields, lengthof(alias_fields)
};

static const ModelField account_fields[] = {
	{"name", VK_STRING, .flags = FF_REQUIRED, RANGE(1, 255), .description = "Account name"},
	{"provider", VK_STRING, ENUM(provider_names), .default_json = "\"linkedin\"", .description = "Provider"},
};

static Model ConnectedAccountCreate = {
	"ConnectedAccountCreate", "Request model for creating a connected LinkedIn account.",
	account_fields, lengthof(account_fields)
};

static const ModelField event_fields[] = {
	{"type", VK_STRING, .flags = FF_REQUIRED, ENUM(event_type_names),
	.description = "What happened; replied, bounced, unsubscribed and complained stop the lead's remaining steps "
	"(replied also others, by the campaign's stop_on_reply); bounced, unsubscribed and complained suppress its address; "
	"auto_reply and soft_bounce do not stop it"},
	{"occurred_at", VK_STRING, VF_DATETIME, FF_NULLABLE, .default_json = "null",
	.description = "When it happened (default: now)"},
	{"data", VK_DICT, .flags = FF_NULLABLE, .default_json = "null", .description = "Details, kept as given"},
	{"resume_at", VK_STRING, VF_DATETIME, FF_NULLABLE, .default_json = "null",
	.description = "auto_reply only: when the lead is back; its next step is not eligible before"},
};

/* EventResumeAt: resume_at belongs to auto_reply events only. */
static void
EventResumeAt(Validation *vs, const Loc *loc, ModelValue *mv)
{
	const FieldValue *type = &mv->f[0];
	const FieldValue *resume = &mv->f[3];

	if (type->fs == FS_OK && type->i != EVENT_AUTO_REPLY &&
		resume->fs == FS_OK && resume->v != NULL && resume->v->type != jbvNull)
	{
		Loc			l = LocKey(loc, "resume_at");

		AddError(vs, &l, "value_error", "Value error, resume_at is only for auto_reply events");
	}
}

static Model LeadEventCreate = {
	"LeadEventCreate", "Request model for recording an event of an enrolled lead.",
	event_fields, lengthof(event_fields), .rule = EventResumeAt
};

/* ------------------------------------------------------- suppression list */

static const ModelField suppression_fields[] = {
	{"kind", VK_STRING, .flags = FF_REQUIRED, ENUM(suppression_kind_names),
	.description = "What value names: an email address, a domain (without @) or a LinkedIn URL"},
	{"value", VK_STRING, .flags = FF_REQUIRED, RANGE(1, 2048),
	.description = "A valid value of its kind; stored in canonical form (trimmed, lower case; a domain without @; "
	"a LinkedIn URL as linkedin.com/<path>)"},
	{"reason", VK_STRING, ENUM(suppression_reason_names), .default_json = "\"manual\"",
	.description = "Why the address is suppressed"},
	{"source", VK_STRING, .flags = FF_NULLABLE, RANGE(1, 255), .default_json = "null",
	.description = "Where the entry comes from (free text; event:<event_id> for the entries events add)"},
};

/*
 * SuppressionValueOfKind: the value must be a valid value of its kind
 * (src/suppression.c), reported at the value.
 */
static void
SuppressionValueOfKind(Validation *vs, const Loc *loc, ModelValue *mv)
{
	const FieldValue *kind = &mv->f[0];
	const FieldValue *value = &mv->f[1];
	Loc			l;

	if (kind->fs != FS_OK || value->fs != FS_OK ||
		SuppressionNormalize((SuppressionKind) kind->i, value->s, value->len) != NULL)
		return;
	l = LocKey(loc, "value");
	switch ((SuppressionKind) kind->i)
	{
		case SUPPRESS_EMAIL:
			AddError(vs, &l, "value_error", "value is not a valid email address");
			break;
		case SUPPRESS_DOMAIN:
			AddError(vs, &l, "value_error",
					 "Value error, not a valid domain name (a domain such as example.com, without a local part)");
			break;
		case SUPPRESS_LINKEDIN_URL:
			AddError(vs, &l, "value_error",
					 "Value error, not a LinkedIn URL (linkedin.com or a subdomain, with a path such as /in/name)");
			break;
	}
}

static Model SuppressionCreate = {
	"SuppressionCreate", "Request model for adding an entry to the suppression list.",
	suppression_fields, lengthof(suppression_fields), .rule = SuppressionValueOfKind
};

static const ModelField suppression_item = {"entry", VK_MODEL, .model = &SuppressionCreate};

/* --------------------------------------------------- delivery endpoints */

/* Reported reports a rule's problem (type NULL: none); false when it did. */
static bool
Reported(Validation *vs, const Loc *loc, const char *type, const char *msg)
{
	if (type != NULL)
		AddError(vs, loc, type, msg);
	return type == NULL;
}

/*
 * EndpointCheckUrl is the url field's rule: the outbound guard's checks of
 * a delivery endpoint URL (outbound.c), with its own error types
 * (url_parsing, url_scheme, url_too_long, value_error).
 */
static bool
EndpointCheckUrl(Validation *vs, const Loc *loc, FieldValue *fv, const ModelValue *parent)
{
	const char *msg = NULL;
	const char *type = OutboundUrlProblem(fv->s, fv->len, &msg);

	return Reported(vs, loc, type, msg);
}

/* EndpointCheckHeader: an auth header must go out as one header line. */
static bool
EndpointCheckHeader(Validation *vs, const Loc *loc, FieldValue *fv, const ModelValue *parent)
{
	const char *msg = NULL;
	const char *type = OutboundHeaderProblem(fv->s, fv->len, &msg);

	return Reported(vs, loc, type, msg);
}

/*
 * The url has no bounds of its own: its length is the rule's (url_too_long,
 * as Pydantic's HttpUrl says it); its schema says what the rule checks.
 */
static const ModelField endpoint_fields[] = {
	{"channel", VK_STRING, .flags = FF_REQUIRED, ENUM(channel_names),
	.description = "The channel whose actions go to this endpoint (one endpoint per channel)"},
	{"url", VK_STRING, .flags = FF_REQUIRED, .check = EndpointCheckUrl,
	.schema = "{\"type\": \"string\", \"format\": \"uri\", \"minLength\": 1, \"maxLength\": " CppAsString2(OUTBOUND_URL_MAX_CHARS) "}",
	.description = "Where the worker POSTs each action: http or https, a host, no user information or fragment; "
	"a loopback, private or other special address is refused unless the server's outbound_allow setting lists it"},
	{"auth_header", VK_STRING, .flags = FF_NULLABLE, RANGE(1, 4096), .default_json = "null",
	.check = EndpointCheckHeader,
	.description = "Sent with every request: \"Name: value\", or a bare value sent as Authorization; one header line, "
	"not one the dispatcher sets. Write-only: stored encrypted, never returned (responses say has_auth_header); "
	"null: none (in a PATCH, removes the stored one)"},
};

static Model DeliveryEndpointCreate = {
	"DeliveryEndpointCreate", "Request model for setting the delivery endpoint of a channel.",
	endpoint_fields, lengthof(endpoint_fields)
};

static Model DeliveryEndpointUpdate = {
	"DeliveryEndpointUpdate",
	"Request model for changing a delivery endpoint (PATCH): omitted fields are unchanged, auth_header null removes the header.",
	endpoint_fields, lengthof(endpoint_fields), .partial = true
};

/* ------------------------------------------------------ query parameters */

#define OFFSET_FIELD {"offset", VK_INTEGER, AT_LEAST(0), .default_json = "0", .description = "Rows to skip"}
#define LIMIT_FIELD {"limit", VK_INTEGER, RANGE(1, 100), .default_json = "50", .description = "Rows to return"}

static const ModelField page_fields[] = {OFFSET_FIELD, LIMIT_FIELD};

static Model PageQuery = {
	"PageQuery", "Offset and limit of a paged list.", page_fields, lengthof(page_fields),
	EXTRA_IGNORE, .query = true
};

static const ModelField campaign_list_fields[] = {
	OFFSET_FIELD, LIMIT_FIELD,
	{"status", VK_STRING, ENUM(campaign_status_names), .description = "Only campaigns in this status"},
	{"name", VK_STRING, .description = "Case-insensitive substring of the name"},
};

static Model CampaignListQuery = {
	"CampaignListQuery", "Filters of the campaign list.", campaign_list_fields, lengthof(campaign_list_fields),
	EXTRA_IGNORE, .query = true
};

static const ModelField campaign_leads_fields[] = {
	OFFSET_FIELD, LIMIT_FIELD,
	{"status", VK_STRING, ENUM(lead_status_names), .description = "Only leads in this status"},
};

static Model CampaignLeadsQuery = {
	"CampaignLeadsQuery", "Filters of a campaign's enrolled leads.", campaign_leads_fields,
	lengthof(campaign_leads_fields), EXTRA_IGNORE, .query = true
};

static const ModelField forecast_fields[] = {
	{"days", VK_INTEGER, RANGE(1, 90), .default_json = "14", .description = "Days to plan"},
};

static Model ForecastQuery = {
	"ForecastQuery", "How far the forecast looks.", forecast_fields, lengthof(forecast_fields),
	EXTRA_IGNORE, .query = true
};

static const ModelField endpoint_list_fields[] = {
	OFFSET_FIELD, LIMIT_FIELD,
	{"channel", VK_STRING, ENUM(channel_names), .description = "Only the endpoint of this channel"},
};

static Model DeliveryEndpointListQuery = {
	"DeliveryEndpointListQuery", "Filters of the delivery endpoint list.", endpoint_list_fields,
	lengthof(endpoint_list_fields), EXTRA_IGNORE, .query = true
};

static const ModelField suppression_list_fields[] = {
	OFFSET_FIELD, LIMIT_FIELD,
	{"kind", VK_STRING, ENUM(suppression_kind_names), .description = "Only entries of this kind"},
	{"reason", VK_STRING, ENUM(suppression_reason_names), .description = "Only entries with this reason"},
	{"value", VK_STRING, .description = "Case-insensitive substring of the value"},
};

static Model SuppressionListQuery = {
	"SuppressionListQuery", "Filters of the suppression list.", suppression_list_fields,
	lengthof(suppression_list_fields), EXTRA_IGNORE, .query = true
};

/* ------------------------------------------------------ the named schemas */

#define SCHEMA(m) {#m, VK_MODEL, .model = &m}

static const ModelField s_campaign_create = SCHEMA(CampaignCreate);
static const ModelField s_campaign_update = SCHEMA(CampaignUpdate);
static const ModelField s_step = SCHEMA(CampaignStepConfig);
static const ModelField s_variant = SCHEMA(CampaignStepVariant);
static const ModelField s_dataset_create = SCHEMA(DatasetCreate);
static const ModelField s_lead_create = SCHEMA(LeadCreate);
static const ModelField s_lead_upload = {"LeadUpload", VK_ARRAY, AT_MOST(50000), .items = &lead_item,
.description = "Leads to add to a dataset; duplicate emails are merged."};
static const ModelField s_template_create = SCHEMA(TemplateCreate);
static const ModelField s_template_update = SCHEMA(TemplateUpdate);
static const ModelField s_sender_data = SCHEMA(SenderData);
static const ModelField s_sender_profile_create = SCHEMA(SenderProfileCreate);
static const ModelField s_sender_profile_update = SCHEMA(SenderProfileUpdate);
static const ModelField s_alias_create = SCHEMA(AliasCreate);
static const ModelField s_account_create = SCHEMA(ConnectedAccountCreate);
static const ModelField s_event_create = SCHEMA(LeadEventCreate);
static const ModelField s_page = SCHEMA(PageQuery);
static const ModelField s_campaign_list = SCHEMA(CampaignListQuery);
static const ModelField s_campaign_leads = SCHEMA(CampaignLeadsQuery);
static const ModelField s_forecast = SCHEMA(ForecastQuery);
static const ModelField s_endpoint_create = SCHEMA(DeliveryEndpointCreate);
static const ModelField s_endpoint_update = SCHEMA(DeliveryEndpointUpdate);
static const ModelField s_endpoint_list = SCHEMA(DeliveryEndpointListQuery);
static const ModelField s_suppression_create = SCHEMA(SuppressionCreate);
static const ModelField s_suppression_upload = {"SuppressionUpload", VK_ARRAY, AT_MOST(50000), .items = &suppression_item,
.description = "Entries to add to the suppression list at once, all or nothing; duplicates are merged."};
static const ModelField s_suppression_list = SCHEMA(SuppressionListQuery);

const ModelField *const request_schemas[] = {
	&s_campaign_create, &s_campaign_update, &s_step, &s_variant,
	&s_dataset_create, &s_lead_create, &s_lead_upload,
	&s_template_create, &s_template_update, &s_sender_data,
	&s_sender_profile_create, &s_sender_profile_update,
	&s_alias_create, &s_account_create, &s_event_create,
	&s_endpoint_create, &s_endpoint_update, &s_suppression_create, &s_suppression_upload,
	&s_page, &s_campaign_list, &s_campaign_leads, &s_forecast, &s_endpoint_list, &s_suppression_list,
};
const int n_request_schemas = lengthof(request_schemas);

/* ModelFind returns the named schema called name, or NULL. */
const ModelField *
ModelFind(const char *name)
{
	for (int i = 0; i < n_request_schemas; i++)
		if (strcmp(request_schemas[i]->name, name) == 0)
			return request_schemas[i];
	for (int i = 0; i < n_response_schemas; i++)
		if (strcmp(response_schemas[i]->name, name) == 0)
			return response_schemas[i];
	return NULL;
}
