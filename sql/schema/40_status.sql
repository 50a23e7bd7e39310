-- The status machine (src/status.c): one transition table in C, enforced by a
-- trigger on every path that changes a campaign's status.

CREATE OR REPLACE FUNCTION @extschema@._campaign_status_guard() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'campaign_status_guard';
COMMENT ON FUNCTION @extschema@._campaign_status_guard() IS
'Trigger: a campaign starts as draft, changes status only along status_transitions(), and is deleted only in draft, paused, completed or failed (SQLSTATE 55000 otherwise).';

CREATE OR REPLACE TRIGGER campaign_status_guard
	BEFORE INSERT OR UPDATE OF status OR DELETE ON @extschema@.campaign
	FOR EACH ROW EXECUTE FUNCTION @extschema@._campaign_status_guard();

CREATE OR REPLACE FUNCTION @extschema@.status_transitions(
	OUT from_status text, OUT to_status text, OUT description text)
RETURNS SETOF record
LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'status_transitions';
COMMENT ON FUNCTION @extschema@.status_transitions() IS
'The allowed campaign status changes, produced from the table the trigger enforces.';

CREATE OR REPLACE FUNCTION @extschema@._campaign_check_edit(status text, fields text[]) RETURNS void
LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'campaign_check_edit';
COMMENT ON FUNCTION @extschema@._campaign_check_edit(text, text[]) IS
'Refuses (SQLSTATE 55000) a change of fields that the campaign''s status does not allow.';

