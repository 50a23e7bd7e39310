/*-------------------------------------------------------------------------
 *
 * src/models_response.c
 *		The response models of the campaigns API, each described once.
 *
 * They are not validated: they give the fields of every response in
 * model order (http_handle writes response bodies in it, as FastAPI
 * does), and their JSON Schemas to the OpenAPI document.  Every field of a
 * response is present (null when it has no value), so each is listed as
 * required; FF_NULLABLE says which may be null.  CampaignResponse is the
 * seed's response model, with the seed's descriptions; campaign_json
 * (response.c) builds it from a campaign row by these fields.
 *
 *-------------------------------------------------------------------------
 */
#include "models.h"

static const char *const warning_codes[] = {"missing_email", "missing_linkedin_url", "suppressed"};

#define ALWAYS (FF_REQUIRED)		/* a response always has it */
#define ALWAYS_NULLABLE (FF_REQUIRED | FF_NULLABLE)
#define UUID_(name, fl, desc) {name, VK_STRING, VF_UUID, fl, .description = desc}
#define TEXT_(name, fl, desc) {name, VK_STRING, .flags = fl, .description = desc}
#define INT_(name, fl, desc) {name, VK_INTEGER, .flags = fl, .description = desc}
#define TIME_(name, fl, desc) {name, VK_STRING, VF_DATETIME, fl, .description = desc}

/* ------------------------------------------------------------ campaign */

static const ModelField step_config_item = {"step", VK_MODEL, .model = &CampaignStepConfig};
static const ModelField alias_id_item = {"alias_id", VK_STRING};
static const ModelField day_item = {"day", VK_STRING, ENUM(day_names)};

static const ModelField campaign_response_fields[] = {
	UUID_("campaign_id", ALWAYS, "Unique campaign identifier"),
	UUID_("user_id", ALWAYS, "Owner user ID"),
	UUID_("dataset_id", ALWAYS, "Associated dataset ID"),
	TEXT_("name", ALWAYS, "Campaign name"),
	{"type", VK_STRING, .flags = ALWAYS, ENUM(campaign_type_names), .description = "Campaign type (email, linkedin, mixed)"},
	{"status", VK_STRING, .flags = ALWAYS, ENUM(campaign_status_names), .description = "Current campaign status"},
	{"launch_type", VK_STRING, .flags = ALWAYS, ENUM(launch_type_names), .description = "Launch type"},
	INT_("daily_limit", ALWAYS, "Max actions per day"),
	{"sending_window_start", VK_STRING, VF_TIME, ALWAYS, .description = "Daily sending window start"},
	{"sending_window_end", VK_STRING, VF_TIME_END, ALWAYS, .description = "Daily sending window end"},
	INT_("min_interval_seconds", ALWAYS, "Min seconds between actions"),
	TEXT_("timezone", ALWAYS, "Timezone for sending window"),
	{"steps_config", VK_ARRAY, .flags = ALWAYS, .items = &step_config_item,
	.description = "Steps configuration (defaults filled, sorted by step)"},
	{"send_days", VK_ARRAY, .flags = ALWAYS, .items = &day_item, .description = "Days of week to send"},
	TIME_("created_at", ALWAYS, "Creation timestamp"),
	TIME_("updated_at", ALWAYS, "Last update timestamp"),
	TEXT_("description", ALWAYS_NULLABLE, "Campaign description"),
	TIME_("start_date", ALWAYS_NULLABLE, "Scheduled start date"),
	{"alias_ids", VK_ARRAY, .flags = ALWAYS_NULLABLE, .items = &alias_id_item, .description = "Bavimail alias IDs"},
	UUID_("connected_account_id", ALWAYS_NULLABLE, "Connected account for LinkedIn"),
	INT_("total_leads", ALWAYS_NULLABLE, "Total leads in campaign"),
	{"processed_leads", VK_INTEGER, .flags = ALWAYS, .default_json = "0", .description = "Leads not in pending/active status"},
	TEXT_("launch_job_id", ALWAYS_NULLABLE, "ARQ job ID for background launch"),
	TIME_("launch_requested_at", ALWAYS_NULLABLE, "When launch was requested"),
	TEXT_("launch_error", ALWAYS_NULLABLE, "Error message if launch failed"),
	TEXT_("system_prompt", ALWAYS_NULLABLE, "Campaign-level personalization prompt override (migration 108)."),
	{"unreviewed_launch_policy", VK_STRING, .flags = ALWAYS, ENUM(policy_names), .default_json = "\"launch_default\"",
	.description = "Policy for scheduled launch without playground review (migration 108)."},
	TEXT_("paused_reason", ALWAYS_NULLABLE, "Reason the campaign is paused, e.g. 'pending_personalization_review' (migration 108)."),
	TIME_("playground_discovery_dismissed_at", ALWAYS_NULLABLE,
		  "When the owner dismissed the playground discovery banner (migration 108)."),
	/* deliverability (SPEC §11) */
	{"stop_on_reply", VK_STRING, .flags = ALWAYS, ENUM(stop_on_reply_names), .default_json = "\"lead\"",
	.description = "What a reply stops besides the lead: lead, company or all_campaigns"},
	{"max_bounce_rate", VK_INTEGER, .flags = ALWAYS, .default_json = "5",
	.description = "Bounce protection: the percentage of the last bounce_window email sends that pauses the campaign when exceeded"},
	{"bounce_window", VK_INTEGER, .flags = ALWAYS, .default_json = "100",
	.description = "How many of the last email sends bounce protection looks at"},
};

Model CampaignResponse = {
	"CampaignResponse", "Response model for campaign.",
	campaign_response_fields, lengthof(campaign_response_fields), EXTRA_ALLOW
};

static const ModelField launch_summary_fields[] = {
	INT_("total_rows", ALWAYS, "Leads in the dataset"),
	INT_("launchable_rows", ALWAYS, "Leads with an address on every channel the steps use and not on the suppression list (enrolled)"),
	INT_("warning_count", ALWAYS, "Leads skipped"),
};

static Model LaunchSummary = {
	"LaunchSummary", "How many of the dataset's leads a launch enrolls.",
	launch_summary_fields, lengthof(launch_summary_fields), EXTRA_ALLOW
};

static const ModelField launch_warning_fields[] = {
	UUID_("lead_id", ALWAYS, "The lead skipped"),
	TEXT_("email", ALWAYS_NULLABLE, "Its email"),
	{"code", VK_STRING, .flags = ALWAYS, ENUM(warning_codes), .description = "Why it was skipped"},
	TEXT_("message", ALWAYS, "Why, in words"),
};

static Model LaunchWarning = {
	"LaunchWarning", "A lead a launch skipped.", launch_warning_fields,
	lengthof(launch_warning_fields), EXTRA_ALLOW
};

static const ModelField warning_item = {"warning", VK_MODEL, .model = &LaunchWarning};

static const ModelField launch_fields[] = {
	{"campaign", VK_MODEL, .flags = ALWAYS, .model = &CampaignResponse, .description = "The campaign after the launch"},
	{"summary", VK_MODEL, .flags = ALWAYS, .model = &LaunchSummary, .description = "Leads enrolled and skipped"},
	{"warnings", VK_ARRAY, .flags = ALWAYS, .items = &warning_item, .description = "The skipped leads (at most 100)"},
};

static Model LaunchResponse = {
	"LaunchResponse", "Response of POST /campaigns/{campaign_id}/launch.",
	launch_fields, lengthof(launch_fields), EXTRA_ALLOW
};

/* --------------------------------------------------------------- stats */

#define COUNT_(name) {name, VK_INTEGER, .flags = ALWAYS}
#define ACTION_COUNTS \
	COUNT_("queued"), COUNT_("in_flight"), COUNT_("sent"), COUNT_("failed"), COUNT_("cancelled"), \
	COUNT_("replied"), COUNT_("bounced"), COUNT_("soft_bounce"), COUNT_("unsubscribed"), COUNT_("complained"), \
	COUNT_("auto_reply"), COUNT_("opened"), COUNT_("clicked"), COUNT_("connection_accepted")

static const ModelField lead_count_fields[] = {
	COUNT_("pending"), COUNT_("active"), COUNT_("paused"), COUNT_("completed"), COUNT_("stopped"), COUNT_("failed"),
};

static Model LeadStatusCounts = {
	"LeadStatusCounts", "Enrolled leads by status.", lead_count_fields, lengthof(lead_count_fields), EXTRA_ALLOW
};

static const ModelField action_count_fields[] = {ACTION_COUNTS};

static Model ActionCounts = {
	"ActionCounts", "Actions by state, and the lead events that followed them.",
	action_count_fields, lengthof(action_count_fields), EXTRA_ALLOW
};

static const ModelField variant_stats_fields[] = {
	TEXT_("variant", ALWAYS_NULLABLE, "Variant label (null for a step without variants)"),
	ACTION_COUNTS,
};

static Model VariantStats = {
	"VariantStats", "Counts of one variant of a step.", variant_stats_fields,
	lengthof(variant_stats_fields), EXTRA_ALLOW
};

static const ModelField variant_stats_item = {"variant", VK_MODEL, .model = &VariantStats};

static const ModelField step_stats_fields[] = {
	INT_("step", ALWAYS, "Step number"),
	ACTION_COUNTS,
	{"variants", VK_ARRAY, .flags = ALWAYS, .items = &variant_stats_item, .description = "The same per variant"},
};

static Model StepStats = {
	"StepStats", "Counts of one step.", step_stats_fields, lengthof(step_stats_fields), EXTRA_ALLOW
};

static const ModelField daily_stats_fields[] = {
	{"day", VK_STRING, VF_DATE, ALWAYS, .description = "Day (UTC)"},
	COUNT_("sent"), COUNT_("failed"), COUNT_("cancelled"),
};

static Model DailyStats = {
	"DailyStats", "The daily roll-up of one day.", daily_stats_fields, lengthof(daily_stats_fields), EXTRA_ALLOW
};

static const ModelField step_stats_item = {"step", VK_MODEL, .model = &StepStats};
static const ModelField daily_stats_item = {"day", VK_MODEL, .model = &DailyStats};

static const ModelField stats_fields[] = {
	UUID_("campaign_id", ALWAYS, "The campaign"),
	{"status", VK_STRING, .flags = ALWAYS, ENUM(campaign_status_names), .description = "Its status"},
	TEXT_("paused_reason", ALWAYS_NULLABLE, "Why it is paused"),
	INT_("total_leads", ALWAYS_NULLABLE, "Leads enrolled (null before launch)"),
	{"leads", VK_MODEL, .flags = ALWAYS, .model = &LeadStatusCounts, .description = "Enrolled leads by status"},
	{"actions", VK_MODEL, .flags = ALWAYS, .model = &ActionCounts, .description = "Actions by state, and lead events"},
	{"events", VK_DICT, .flags = ALWAYS, .schema = "{\"type\": \"object\", \"additionalProperties\": {\"type\": \"integer\"}}",
	.description = "Every event of the campaign by type"},
	{"steps", VK_ARRAY, .flags = ALWAYS, .items = &step_stats_item, .description = "The same per step and variant"},
	{"daily", VK_ARRAY, .flags = ALWAYS, .items = &daily_stats_item, .description = "Sent, failed and cancelled per day"},
};

static Model CampaignStats = {
	"CampaignStats", "Counts of a campaign by status, step and variant.",
	stats_fields, lengthof(stats_fields), EXTRA_ALLOW
};

static const ModelField forecast_day_fields[] = {
	{"date", VK_STRING, VF_DATE, ALWAYS, .description = "A local day of the campaign's time zone"},
	INT_("planned_sends", ALWAYS_NULLABLE, "Sends planned that day (null past the point the forecast stopped)"),
};

static Model ForecastDay = {
	"ForecastDay", "The planned sends of one local day.", forecast_day_fields,
	lengthof(forecast_day_fields), EXTRA_ALLOW
};

static const ModelField forecast_day_item = {"day", VK_MODEL, .model = &ForecastDay};

static const ModelField forecast_fields[] = {
	UUID_("campaign_id", ALWAYS, "The campaign"),
	{"status", VK_STRING, .flags = ALWAYS, ENUM(campaign_status_names), .description = "Its status"},
	TEXT_("timezone", ALWAYS, "The time zone of its days"),
	TIME_("from", ALWAYS, "When the forecast starts (now)"),
	{"days", VK_ARRAY, .flags = ALWAYS, .items = &forecast_day_item, .description = "Each local day"},
	INT_("total_planned", ALWAYS, "Sends planned in all"),
	TIME_("next_send_time", ALWAYS_NULLABLE, "The first planned send"),
	{"truncated", VK_BOOLEAN, .flags = ALWAYS, .description = "The forecast stopped after 1,000 sends"},
	TEXT_("reason", ALWAYS_NULLABLE, "Why nothing is planned, when nothing is"),
};

static Model CampaignForecast = {
	"CampaignForecast", "Planned sends per local day and the next send time, under every rule that applies.",
	forecast_fields, lengthof(forecast_fields), EXTRA_ALLOW
};

static const ModelField campaign_lead_fields[] = {
	UUID_("campaign_lead_id", ALWAYS, "The enrolment"),
	UUID_("lead_id", ALWAYS, "The lead"),
	TEXT_("email", ALWAYS_NULLABLE, "The lead's email"),
	{"status", VK_STRING, .flags = ALWAYS, ENUM(lead_status_names), .description = "Where the lead is"},
	INT_("current_step", ALWAYS, "The last step sent (0: none yet)"),
	INT_("next_step", ALWAYS_NULLABLE, "The next step"),
	TIME_("eligible_at", ALWAYS_NULLABLE, "When the next step becomes eligible"),
	TIME_("last_sent_at", ALWAYS_NULLABLE, "When a step was last sent"),
	{"variants", VK_DICT, .flags = ALWAYS, .schema = "{\"type\": \"object\", \"additionalProperties\": {\"type\": \"string\"}}",
	.description = "The variant label assigned per step number"},
	TEXT_("stop_reason", ALWAYS_NULLABLE,
		  "Why the lead stopped: replied, bounced, unsubscribed, complained, company_replied, replied_in_other_campaign, suppressed, removed, campaign_stopped"),
	TIME_("enrolled_at", ALWAYS, "When the lead was enrolled"),
	TIME_("finished_at", ALWAYS_NULLABLE, "When the lead finished or stopped"),
	TIME_("resume_at", ALWAYS_NULLABLE, "An auto-reply's return: no step is eligible before"),
};

static Model CampaignLeadResponse = {
	"CampaignLeadResponse", "A lead enrolled in a campaign.", campaign_lead_fields,
	lengthof(campaign_lead_fields), EXTRA_ALLOW
};

static const ModelField event_fields[] = {
	INT_("event_id", ALWAYS, "The event"),
	UUID_("campaign_id", ALWAYS, "Its campaign"),
	UUID_("campaign_lead_id", ALWAYS, "Its enrolled lead"),
	TEXT_("type", ALWAYS, "What happened"),
	TIME_("occurred_at", ALWAYS, "When"),
	{"data", VK_DICT, .flags = ALWAYS, .description = "Details, as recorded"},
	TIME_("resume_at", ALWAYS_NULLABLE, "auto_reply: when the lead is back"),
};

static Model LeadEventResponse = {
	"LeadEventResponse", "An event of an enrolled lead.", event_fields, lengthof(event_fields), EXTRA_ALLOW
};

/* ------------------------------------------------------- small objects */

static const ModelField dataset_fields[] = {
	UUID_("dataset_id", ALWAYS, "The dataset"),
	UUID_("user_id", ALWAYS, "Owner user ID"),
	TEXT_("name", ALWAYS, "Dataset name"),
	INT_("lead_count", ALWAYS, "Leads in it"),
	TIME_("created_at", ALWAYS, "Creation timestamp"),
	TIME_("updated_at", ALWAYS, "Last update timestamp"),
};

static Model DatasetResponse = {
	"DatasetResponse", "A dataset of leads.", dataset_fields, lengthof(dataset_fields), EXTRA_ALLOW
};

static const ModelField lead_fields[] = {
	UUID_("lead_id", ALWAYS, "The lead"),
	UUID_("dataset_id", ALWAYS, "Its dataset"),
	TEXT_("email", ALWAYS_NULLABLE, "E-mail address"),
	TEXT_("linkedin_url", ALWAYS_NULLABLE, "LinkedIn profile URL"),
	TEXT_("first_name", ALWAYS_NULLABLE, "First name"),
	TEXT_("last_name", ALWAYS_NULLABLE, "Last name"),
	TEXT_("company", ALWAYS_NULLABLE, "Company"),
	TEXT_("title", ALWAYS_NULLABLE, "Job title"),
	TEXT_("timezone", ALWAYS_NULLABLE, "The lead's IANA time zone"),
	{"fields", VK_DICT, .flags = ALWAYS_NULLABLE, .description = "Any other fields"},
	TIME_("created_at", ALWAYS, "Creation timestamp"),
	TIME_("updated_at", ALWAYS, "Last update timestamp"),
};

static Model LeadResponse = {
	"LeadResponse", "A lead of a dataset.", lead_fields, lengthof(lead_fields), EXTRA_ALLOW
};

static const ModelField upload_fields[] = {
	UUID_("dataset_id", ALWAYS, "The dataset"),
	INT_("received", ALWAYS, "Leads in the upload"),
	INT_("inserted", ALWAYS, "New leads"),
	INT_("merged", ALWAYS, "Leads merged into one of the same email"),
	INT_("lead_count", ALWAYS, "Leads in the dataset now"),
};

static Model LeadUploadResult = {
	"LeadUploadResult", "What an upload of leads did.", upload_fields, lengthof(upload_fields), EXTRA_ALLOW
};

static const ModelField template_fields[] = {
	UUID_("template_id", ALWAYS, "The template"),
	UUID_("user_id", ALWAYS, "Owner user ID"),
	TEXT_("name", ALWAYS, "Template name"),
	{"channel", VK_STRING, .flags = ALWAYS, ENUM(channel_names), .description = "Channel"},
	TEXT_("subject", ALWAYS_NULLABLE, "Subject line"),
	TEXT_("body", ALWAYS, "Body"),
	TIME_("created_at", ALWAYS, "Creation timestamp"),
	TIME_("updated_at", ALWAYS, "Last update timestamp"),
};

static Model TemplateResponse = {
	"TemplateResponse", "A message template.", template_fields, lengthof(template_fields), EXTRA_ALLOW
};

static const ModelField sender_profile_fields[] = {
	UUID_("sender_profile_id", ALWAYS, "The sender profile"),
	UUID_("user_id", ALWAYS, "Owner user ID"),
	TEXT_("profile_name", ALWAYS, "Profile name"),
	{"sender_data", VK_MODEL, .flags = ALWAYS, .model = &SenderData, .description = "Sender data"},
	TEXT_("description", ALWAYS_NULLABLE, "Description"),
	{"is_default", VK_BOOLEAN, .flags = ALWAYS, .description = "The user's default profile"},
	TIME_("created_at", ALWAYS, "Creation timestamp"),
	TIME_("updated_at", ALWAYS, "Last update timestamp"),
};

static Model SenderProfileResponse = {
	"SenderProfileResponse", "A sender profile.", sender_profile_fields,
	lengthof(sender_profile_fields), EXTRA_ALLOW
};

static const ModelField alias_fields[] = {
	TEXT_("alias_id", ALWAYS, "The alias id"),
	TEXT_("full_email", ALWAYS, "The sending address"),
	TIME_("created_at", ALWAYS, "Creation timestamp"),
};

static Model AliasResponse = {
	"AliasResponse", "An email alias (a sending mailbox).", alias_fields, lengthof(alias_fields), EXTRA_ALLOW
};

static const ModelField account_fields[] = {
	UUID_("connected_account_id", ALWAYS, "The account"),
	{"provider", VK_STRING, .flags = ALWAYS, .description = "Provider (linkedin)"},
	TEXT_("name", ALWAYS, "Account name"),
	TIME_("created_at", ALWAYS, "Creation timestamp"),
};

static Model ConnectedAccountResponse = {
	"ConnectedAccountResponse", "A connected LinkedIn account.", account_fields,
	lengthof(account_fields), EXTRA_ALLOW
};

static const ModelField endpoint_fields[] = {
	UUID_("delivery_endpoint_id", ALWAYS, "The delivery endpoint"),
	{"channel", VK_STRING, .flags = ALWAYS, ENUM(channel_names), .description = "Its channel"},
	TEXT_("url", ALWAYS, "Where the worker POSTs the channel's actions"),
	{"has_auth_header", VK_BOOLEAN, .flags = ALWAYS,
	.description = "Whether an auth header is stored (the header itself is never returned)"},
	TIME_("created_at", ALWAYS, "Creation timestamp"),
	TIME_("updated_at", ALWAYS, "Last update timestamp"),
};

static Model DeliveryEndpointResponse = {
	"DeliveryEndpointResponse", "Where a channel's actions are delivered (never its auth header).",
	endpoint_fields, lengthof(endpoint_fields), EXTRA_ALLOW
};

static const ModelField me_fields[] = {
	UUID_("user_id", ALWAYS, "The user the key belongs to"),
	UUID_("api_key_id", ALWAYS, "The key"),
	TEXT_("key_name", ALWAYS_NULLABLE, "Its name"),
	TEXT_("token_prefix", ALWAYS_NULLABLE, "The first characters of its token"),
	INT_("rate_limit_per_minute", ALWAYS_NULLABLE, "Requests allowed per minute (null: no limit)"),
};

static Model AuthMe = {
	"AuthMe", "Who an API key belongs to.", me_fields, lengthof(me_fields), EXTRA_ALLOW
};

/* -------------------------------------------------------------- errors */

static const ModelField error_fields[] = {
	TEXT_("detail", ALWAYS, "A code: NOT_FOUND, CONFLICT, UNAUTHORIZED, RATE_LIMITED, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, METHOD_NOT_ALLOWED, SERVICE_UNAVAILABLE, INTERNAL_ERROR..."),
	TEXT_("message", ALWAYS, "What happened, in words"),
};

static Model Error = {
	"Error", "The body of every error but validation.", error_fields, lengthof(error_fields), EXTRA_ALLOW
};

static const ModelField validation_error_fields[] = {
	{"loc", VK_ARRAY, .flags = ALWAYS, .schema = "{\"type\": \"array\", \"items\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}]}}",
	.description = "Where: \"body\" or \"query\", then keys and list indexes"},
	TEXT_("msg", ALWAYS, "What is wrong, in Pydantic's words"),
	TEXT_("type", ALWAYS, "Pydantic's error type: missing, string_too_short, enum, extra_forbidden..."),
};

static Model ValidationError = {
	"ValidationError", "One validation error.", validation_error_fields,
	lengthof(validation_error_fields), EXTRA_ALLOW
};

static const ModelField validation_error_item = {"error", VK_MODEL, .model = &ValidationError};

static const ModelField http_validation_error_fields[] = {
	{"detail", VK_ARRAY, .flags = ALWAYS, .items = &validation_error_item, .description = "Every error, in order"},
};

static Model HTTPValidationError = {
	"HTTPValidationError", "The body of a 422: every validation error at once.",
	http_validation_error_fields, lengthof(http_validation_error_fields), EXTRA_ALLOW
};

/* ---------------------------------------------------- suppression list */

static const ModelField suppression_fields[] = {
	UUID_("suppression_id", ALWAYS, "The entry"),
	{"kind", VK_STRING, .flags = ALWAYS, ENUM(suppression_kind_names), .description = "What value names"},
	TEXT_("value", ALWAYS, "The address, domain or LinkedIn URL, in canonical form"),
	{"reason", VK_STRING, .flags = ALWAYS, ENUM(suppression_reason_names), .description = "Why it is suppressed"},
	TEXT_("source", ALWAYS_NULLABLE, "Where the entry comes from (event:<event_id> for automatic entries)"),
	TIME_("created_at", ALWAYS, "Creation timestamp"),
};

static Model SuppressionResponse = {
	"SuppressionResponse", "An entry of the suppression list.", suppression_fields,
	lengthof(suppression_fields), EXTRA_ALLOW
};

static const ModelField suppression_import_fields[] = {
	INT_("received", ALWAYS, "Entries in the upload"),
	INT_("inserted", ALWAYS, "New entries"),
	INT_("merged", ALWAYS, "Entries the list had already, or that repeated an earlier one of the upload"),
	INT_("suppression_count", ALWAYS, "Entries in the list now"),
};

static Model SuppressionImportResult = {
	"SuppressionImportResult", "What an import into the suppression list did.", suppression_import_fields,
	lengthof(suppression_import_fields), EXTRA_ALLOW
};

/* ------------------------------------------------------ the named schemas */

#define SCHEMA(m) {#m, VK_MODEL, .model = &m}

static const ModelField r_campaign = SCHEMA(CampaignResponse);
static const ModelField r_launch = SCHEMA(LaunchResponse);
static const ModelField r_launch_summary = SCHEMA(LaunchSummary);
static const ModelField r_launch_warning = SCHEMA(LaunchWarning);
static const ModelField r_stats = SCHEMA(CampaignStats);
static const ModelField r_lead_counts = SCHEMA(LeadStatusCounts);
static const ModelField r_action_counts = SCHEMA(ActionCounts);
static const ModelField r_step_stats = SCHEMA(StepStats);
static const ModelField r_variant_stats = SCHEMA(VariantStats);
static const ModelField r_daily_stats = SCHEMA(DailyStats);
static const ModelField r_forecast = SCHEMA(CampaignForecast);
static const ModelField r_forecast_day = SCHEMA(ForecastDay);
static const ModelField r_campaign_lead = SCHEMA(CampaignLeadResponse);
static const ModelField r_event = SCHEMA(LeadEventResponse);
static const ModelField r_dataset = SCHEMA(DatasetResponse);
static const ModelField r_lead = SCHEMA(LeadResponse);
static const ModelField r_upload = SCHEMA(LeadUploadResult);
static const ModelField r_template = SCHEMA(TemplateResponse);
static const ModelField r_sender_profile = SCHEMA(SenderProfileResponse);
static const ModelField r_alias = SCHEMA(AliasResponse);
static const ModelField r_account = SCHEMA(ConnectedAccountResponse);
static const ModelField r_endpoint = SCHEMA(DeliveryEndpointResponse);
static const ModelField r_suppression = SCHEMA(SuppressionResponse);
static const ModelField r_suppression_import = SCHEMA(SuppressionImportResult);
static const ModelField r_me = SCHEMA(AuthMe);
static const ModelField r_error = SCHEMA(Error);
static const ModelField r_validation_error = SCHEMA(ValidationError);
static const ModelField r_http_validation_error = SCHEMA(HTTPValidationError);

const ModelField *const response_schemas[] = {
	&r_campaign, &r_launch, &r_launch_summary, &r_launch_warning,
	&r_stats, &r_lead_counts, &r_action_counts, &r_step_stats, &r_variant_stats, &r_daily_stats,
	&r_forecast, &r_forecast_day, &r_campaign_lead, &r_event,
	&r_dataset, &r_lead, &r_upload, &r_template, &r_sender_profile, &r_alias, &r_account, &r_endpoint,
	&r_suppression, &r_suppression_import,
	&r_me, &r_error, &r_validation_error, &r_http_validation_error,
};
const int n_response_schemas = lengthof(response_schemas);
