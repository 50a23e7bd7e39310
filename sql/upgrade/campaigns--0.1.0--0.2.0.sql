\echo Use "ALTER EXTENSION campaigns UPDATE" to load this file. \quit
-- campaigns 0.1.0 -> 0.2.0: the changes to existing objects that re-running
-- the sources cannot make (make appends sql/schema/*.sql after this part).
-- Everything here runs on a 0.1.0 installation; keep it in the order of the
-- changes.  test/integration/test_upgrade.py checks that an upgraded
-- installation has exactly the objects of a fresh one.

-- References stay inside a tenant (SPEC §10): composite keys (user_id, id)
-- on the referenced tables and foreign keys (user_id, x_id) for every
-- reference, in place of 0.1.0's single-column ones (30_tables.sql has the
-- same constraints for a fresh install).  0.1.0 let tenants write the tables
-- directly, so a reference across tenants (or to a row deleted by hand) may
-- exist: the upgrade refuses then, saying where, rather than fail on the
-- first constraint or drop rows.
DO $refs$
DECLARE
	r record;
	n bigint;
	bad text := '';
BEGIN
	FOR r IN SELECT * FROM (VALUES
		('lead', 'dataset_id', 'dataset', 'dataset_id'),
		('campaign', 'dataset_id', 'dataset', 'dataset_id'),
		('campaign', 'connected_account_id', 'connected_account', 'connected_account_id'),
		('campaign_lead', 'campaign_id', 'campaign', 'campaign_id'),
		('campaign_lead', 'lead_id', 'lead', 'lead_id'),
		('action', 'campaign_id', 'campaign', 'campaign_id'),
		('action', 'campaign_lead_id', 'campaign_lead', 'campaign_lead_id'),
		('event', 'campaign_id', 'campaign', 'campaign_id'),
		('event', 'campaign_lead_id', 'campaign_lead', 'campaign_lead_id'),
		('campaign_daily_stats', 'campaign_id', 'campaign', 'campaign_id')) v(tab, col, ref, refcol)
	LOOP
		EXECUTE format('SELECT count(*) FROM @extschema@.%I x WHERE x.%I IS NOT NULL AND NOT EXISTS'
					   ' (SELECT 1 FROM @extschema@.%I y WHERE y.user_id = x.user_id AND y.%I = x.%I)',
					   r.tab, r.col, r.ref, r.refcol, r.col) INTO n;
		IF n > 0 THEN
			bad := bad || format(E'\n  %s rows of %s whose %s is not a %s of the same user_id', n, r.tab, r.col, r.ref);
		END IF;
	END LOOP;
	IF bad <> '' THEN
		RAISE EXCEPTION 'campaigns 0.2.0 keeps every reference inside one user; these rows break that:%', bad
			USING ERRCODE = '23503',
				  HINT = 'They were written directly into the tables (0.1.0 allowed it).  Delete or correct them, then run ALTER EXTENSION campaigns UPDATE again.';
	END IF;
END
$refs$;

ALTER TABLE @extschema@.dataset ADD CONSTRAINT dataset_user_id_dataset_id_key UNIQUE (user_id, dataset_id);
ALTER TABLE @extschema@.lead ADD CONSTRAINT lead_user_id_lead_id_key UNIQUE (user_id, lead_id);
ALTER TABLE @extschema@.connected_account
	ADD CONSTRAINT connected_account_user_id_connected_account_id_key UNIQUE (user_id, connected_account_id);
ALTER TABLE @extschema@.campaign ADD CONSTRAINT campaign_user_id_campaign_id_key UNIQUE (user_id, campaign_id);
ALTER TABLE @extschema@.campaign_lead
	ADD CONSTRAINT campaign_lead_user_id_campaign_lead_id_key UNIQUE (user_id, campaign_lead_id),
	DROP CONSTRAINT campaign_lead_campaign_id_lead_id_key,
	ADD CONSTRAINT campaign_lead_lead_id_campaign_id_key UNIQUE (lead_id, campaign_id);

ALTER TABLE @extschema@.lead
	DROP CONSTRAINT lead_dataset_id_fkey,
	ADD CONSTRAINT lead_user_id_dataset_id_fkey FOREIGN KEY (user_id, dataset_id)
		REFERENCES @extschema@.dataset (user_id, dataset_id) ON DELETE CASCADE;
ALTER TABLE @extschema@.campaign
	ADD CONSTRAINT campaign_user_id_dataset_id_fkey FOREIGN KEY (user_id, dataset_id)
		REFERENCES @extschema@.dataset (user_id, dataset_id),
	ADD CONSTRAINT campaign_user_id_connected_account_id_fkey FOREIGN KEY (user_id, connected_account_id)
		REFERENCES @extschema@.connected_account (user_id, connected_account_id);
ALTER TABLE @extschema@.campaign_lead
	DROP CONSTRAINT campaign_lead_campaign_id_fkey,
	ADD CONSTRAINT campaign_lead_user_id_campaign_id_fkey FOREIGN KEY (user_id, campaign_id)
		REFERENCES @extschema@.campaign (user_id, campaign_id) ON DELETE CASCADE,
	ADD CONSTRAINT campaign_lead_user_id_lead_id_fkey FOREIGN KEY (user_id, lead_id)
		REFERENCES @extschema@.lead (user_id, lead_id) ON DELETE CASCADE;
ALTER TABLE @extschema@.action
	DROP CONSTRAINT action_campaign_id_fkey,
	DROP CONSTRAINT action_campaign_lead_id_fkey,
	ADD CONSTRAINT action_user_id_campaign_id_fkey FOREIGN KEY (user_id, campaign_id)
		REFERENCES @extschema@.campaign (user_id, campaign_id) ON DELETE CASCADE,
	ADD CONSTRAINT action_user_id_campaign_lead_id_fkey FOREIGN KEY (user_id, campaign_lead_id)
		REFERENCES @extschema@.campaign_lead (user_id, campaign_lead_id) ON DELETE CASCADE;
ALTER TABLE @extschema@.event
	DROP CONSTRAINT event_campaign_id_fkey,
	DROP CONSTRAINT event_campaign_lead_id_fkey,
	ADD CONSTRAINT event_user_id_campaign_id_fkey FOREIGN KEY (user_id, campaign_id)
		REFERENCES @extschema@.campaign (user_id, campaign_id) ON DELETE CASCADE,
	ADD CONSTRAINT event_user_id_campaign_lead_id_fkey FOREIGN KEY (user_id, campaign_lead_id)
		REFERENCES @extschema@.campaign_lead (user_id, campaign_lead_id) ON DELETE CASCADE;
ALTER TABLE @extschema@.campaign_daily_stats
	DROP CONSTRAINT campaign_daily_stats_campaign_id_fkey,
	ADD CONSTRAINT campaign_daily_stats_user_id_campaign_id_fkey FOREIGN KEY (user_id, campaign_id)
		REFERENCES @extschema@.campaign (user_id, campaign_id) ON DELETE CASCADE;

-- The API is the only write path: 0.1.0 granted INSERT, UPDATE and DELETE on
-- every table to campaigns_user, and http_handle belonged to campaigns_user.
-- 90_grants.sql, run after this part, revokes everything and gives every
-- object to the extension's owner; nothing to do here.
