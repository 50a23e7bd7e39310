-- Installs the extension and checks what it created.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS campaigns;
RESET client_min_messages;
SELECT extname, extversion, nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'campaigns';
SELECT relname, relrowsecurity FROM pg_class WHERE relnamespace = 'campaigns'::regnamespace AND relkind = 'r' ORDER BY relname;
-- current_user_id(): GUC first, then request.jwt.claims, else 28000.
\set VERBOSITY sqlstate
SELECT campaigns.current_user_id();
SET campaigns.user_id = 'not-a-uuid';
SELECT campaigns.current_user_id();
RESET campaigns.user_id;
SET request.jwt.claims = '{"sub":"00000000-0000-0000-0000-0000000000aa"}';
SELECT campaigns.current_user_id();
SET campaigns.user_id = '00000000-0000-0000-0000-0000000000bb';
SELECT campaigns.current_user_id();
RESET campaigns.user_id;
RESET request.jwt.claims;
