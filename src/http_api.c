/*-------------------------------------------------------------------------
 *
 * src/http_api.c
 *		Settings of the HTTP surface.
 *
 * The HTTP surface itself is SQL (schema/70_http.sql: campaigns.http_handle
 * routes, authenticates and maps errors); it reads two settings, defined
 * here because the "campaigns." prefix is reserved for the extension's own
 * GUCs.  Both are superuser-only: a client that can only call http_handle
 * must not lift its own limits.  http_handle falls back to the same defaults
 * when the library is not loaded.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "utils/guc.h"

#include "http_api.h"

int			campaigns_http_max_body_bytes = 1048576;
int			campaigns_http_rate_limit_per_minute = 600;

/*
 * HttpApiInit defines campaigns.http_max_body_bytes (413 above it) and
 * campaigns.http_rate_limit_per_minute (the default limit of a key whose
 * rate_limit_per_minute is null; 0 means no limit).
 */
void
HttpApiInit(void)
{
	DefineCustomIntVariable("campaigns.http_max_body_bytes",
							"Largest request body http_handle accepts, in bytes.",
							"Larger bodies get HTTP 413.",
							&campaigns_http_max_body_bytes,
							1048576, 0, 1073741823,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("campaigns.http_rate_limit_per_minute",
							"Requests per minute an API key may make, unless the key sets its own.",
							"0 means no limit.  Past the limit http_handle answers 429.",
							&campaigns_http_rate_limit_per_minute,
							600, 0, PG_INT32_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}
