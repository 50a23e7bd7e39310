-- Backups: pg_dump writes no rows of an extension's tables unless the
-- extension registers them (pg_extension_config_dump), so every table that
-- holds users' data is registered here, on install and on upgrade.  Left
-- out are the tables whose rows the install script itself writes (the
-- routes, the free-mail domains: a restore's CREATE EXTENSION writes them
-- again) and the unlogged request counters.  The sequences of identity columns are registered with their
-- tables, so that a restore goes on numbering after the restored rows.
DO $dump$
DECLARE
	t regclass;
	not_dumped CONSTANT text[] := ARRAY['http_route', 'free_mail_domain', 'http_rate_window'];
BEGIN
	FOR t IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
			  WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'p')
				AND c.relpersistence = 'p' AND NOT c.relname = ANY (not_dumped)
			 UNION ALL
			 SELECT s.oid::regclass FROM pg_catalog.pg_class s
			   JOIN pg_catalog.pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'i'
			   JOIN pg_catalog.pg_class c ON c.oid = d.refobjid
			  WHERE s.relkind = 'S' AND c.relnamespace = '@extschema@'::regnamespace
				AND NOT c.relname = ANY (not_dumped)
	LOOP
		PERFORM pg_catalog.pg_extension_config_dump(t, '');
	END LOOP;
END
$dump$;
