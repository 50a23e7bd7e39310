-- Secrets (48_endpoints.sql, src/secrets.c): 90_grants.sql gives
-- campaigns_user every function; encrypting stays with the extension owner
-- (the SECURITY DEFINER API functions call it).  Nothing decrypts in SQL.
REVOKE EXECUTE ON FUNCTION @extschema@._secret_encrypt(text, uuid, text) FROM campaigns_user;
