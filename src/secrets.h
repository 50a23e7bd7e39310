/*-------------------------------------------------------------------------
 *
 * src/secrets.h
 *		Secrets stored encrypted (AES-256-GCM, OpenSSL) with a key kept in a
 *		file outside the database (campaigns.secret_key_file).
 *
 * A stored secret is bound to its owner (a user_id) and to a context (what
 * it is and which row holds it, e.g. "delivery_endpoint.auth_header/<id>"):
 * a ciphertext copied to another row or another user does not decrypt.
 * Nothing here writes a secret to the log or into an error.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_SECRETS_H
#define CAMPAIGNS_SECRETS_H

#include "utils/uuid.h"

extern char *campaigns_secret_key_file;

extern void SecretsInit(void);

/*
 * The ciphertext of len bytes of plain for (owner, context), palloc'd;
 * raises an error (never naming the secret) when no key is available.
 */
extern bytea *SecretEncrypt(const char *plain, size_t len, const pg_uuid_t *owner,
							const char *context);

/*
 * The plaintext of a ciphertext stored for (owner, context), palloc'd and
 * NUL-terminated (the caller clears it with explicit_bzero after use), or
 * NULL with *why set to a reason fit for last_error (static text, no
 * secret).  *key_unavailable tells a missing or unreadable key (worth
 * retrying once an operator fixes it) from a ciphertext that does not
 * decrypt.  Raises no error.
 */
extern char *SecretDecrypt(const bytea *ciphertext, const pg_uuid_t *owner, const char *context,
						   const char **why, bool *key_unavailable);

#endif							/* CAMPAIGNS_SECRETS_H */
