/*-------------------------------------------------------------------------
 *
 * src/apikey.c
 *		API key tokens.
 *
 * A token is "cmp_live_" followed by 43 URL-safe characters: 32 bytes from
 * the strong random source, base64url without padding.  Only its SHA-256
 * is stored (by api_key_create in SQL); the token itself is shown once.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#define TOKEN_PREFIX "cmp_live_"
#define TOKEN_RANDOM_BYTES 32

static const char b64url[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

PG_FUNCTION_INFO_V1(api_key_token);

/*
 * api_key_token returns a fresh token; it errors rather than returning a
 * weak one when the strong random source fails.
 */
Datum
api_key_token(PG_FUNCTION_ARGS)
{
	uint8		bytes[TOKEN_RANDOM_BYTES + 2] = {0};
	char		out[sizeof(TOKEN_PREFIX) + 44];
	int			o = 0;
	int			nchars = (TOKEN_RANDOM_BYTES * 8 + 5) / 6;	/* 43 */

	if (!pg_strong_random(bytes, TOKEN_RANDOM_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes for an API key")));
	memcpy(out, TOKEN_PREFIX, strlen(TOKEN_PREFIX));
	o = strlen(TOKEN_PREFIX);
	for (int i = 0; i < nchars; i++)
	{
		int			bit = i * 6;
		int			byte = bit / 8;
		int			shift = bit % 8;
		unsigned	v = ((unsigned) bytes[byte] << 8) | bytes[byte + 1];

		out[o++] = b64url[(v >> (10 - shift)) & 0x3F];
	}
	out[o] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(out));
}
