-- Validation (src/validate.c, the generic walker over the model
-- descriptions of src/models.c; src/validate_campaign.c, the campaign's own
-- rules) and merge-field rendering (src/render.c).

CREATE OR REPLACE FUNCTION @extschema@._validate(model text, value jsonb)
RETURNS jsonb
LANGUAGE c STABLE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'model_validate';
COMMENT ON FUNCTION @extschema@._validate(text, jsonb) IS
'Checks a request body or a set of query parameters against a model of the API (models.c: TemplateCreate, LeadUpload, PageQuery...) and returns it normalised (defaults filled); otherwise raises 22023 with a DETAIL that is the JSON array of {loc, msg, type} errors, all of them, in Pydantic v2''s words and order.';

CREATE OR REPLACE FUNCTION @extschema@._campaign_validate(body jsonb, user_id uuid,
											   check_start_future boolean DEFAULT true)
RETURNS jsonb
LANGUAGE c STABLE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'campaign_validate';
COMMENT ON FUNCTION @extschema@._campaign_validate(jsonb, uuid, boolean) IS
'Checks a Create Campaign request body for user_id (SPEC §4) and returns it normalised (defaults filled, steps sorted); otherwise raises 22023 with a DETAIL that is a JSON array of {loc, msg, type} errors, all of them.';
REVOKE ALL ON FUNCTION @extschema@._campaign_validate(jsonb, uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._campaign_validate(jsonb, uuid, boolean) TO campaigns_user;

CREATE OR REPLACE FUNCTION @extschema@._campaign_validate_update(current jsonb, patch jsonb, user_id uuid)
RETURNS jsonb
LANGUAGE c STABLE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'campaign_validate_update';
COMMENT ON FUNCTION @extschema@._campaign_validate_update(jsonb, jsonb, uuid) IS
'Checks a PATCH of a campaign: the patch merged into the stored campaign (in request shape) against CampaignUpdate and every rule of SPEC §4 for user_id; returns the normalised result (playground_discovery_dismissed_at only when the patch has it) or raises 22023 with every error.';

CREATE OR REPLACE FUNCTION @extschema@.render_template(template text, lead jsonb)
RETURNS jsonb
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'render_template';
COMMENT ON FUNCTION @extschema@.render_template(text, jsonb) IS
'Fills the {{field}} and {{field|fallback}} merge fields of a template from a lead object; returns {"text": ..., "missing": [fields without value or fallback]}.  Raises 22023 on bad syntax.';
REVOKE ALL ON FUNCTION @extschema@.render_template(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.render_template(text, jsonb) TO campaigns_user;
