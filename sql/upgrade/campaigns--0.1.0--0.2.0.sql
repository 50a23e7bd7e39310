\echo Use "ALTER EXTENSION campaigns UPDATE" to load this file. \quit
-- campaigns 0.1.0 -> 0.2.0: the changes to existing objects that re-running
-- the sources cannot make (make appends sql/schema/*.sql after this part).
-- Everything here runs on a 0.1.0 installation; keep it in the order of the
-- changes.  test/integration/test_upgrade.py checks that an upgraded
-- installation has exactly the objects of a fresh one.

-- One validator (src/validate.c over the models of src/models.c): the
-- PL/pgSQL interpreter of field specs and the hand-written checks go.
DROP FUNCTION IF EXISTS @extschema@._check_object(jsonb, jsonb, jsonb);
DROP FUNCTION IF EXISTS @extschema@._is_timestamptz(text);
DROP FUNCTION IF EXISTS @extschema@._page(jsonb);
DROP FUNCTION IF EXISTS @extschema@._campaign_filter(jsonb);
DROP FUNCTION IF EXISTS @extschema@._lead_spec();
DROP FUNCTION IF EXISTS @extschema@._dataset_add_leads(uuid, jsonb, jsonb);
DROP FUNCTION IF EXISTS @extschema@._template_check(jsonb, boolean);
DROP FUNCTION IF EXISTS @extschema@._sender_profile_check(jsonb, boolean);

-- The models of each route's request and response body (OpenAPI 3.1 and the
-- field order of responses); the page parameters come from PageQuery.
ALTER TABLE @extschema@.http_route
	ADD COLUMN IF NOT EXISTS request_model text,
	ADD COLUMN IF NOT EXISTS response_model text;
DROP FUNCTION IF EXISTS @extschema@._http_page_params();
-- The document is json now (keys in the order written), not jsonb.
DROP FUNCTION IF EXISTS @extschema@._http_openapi();
