/*-------------------------------------------------------------------------
 *
 * src/campaigns.c
 *		Module entry point of the campaigns extension.
 *
 * _PG_init only delegates: each subsystem (identity, worker, dispatch...)
 * defines its GUCs and hooks in its own init function.  The identity GUC
 * lives here because every other part depends on it.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "utils/guc.h"

#include "http_api.h"
#include "outbound.h"
#include "secrets.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

char	   *campaigns_user_id = NULL;

/*
 * IdentityInit defines campaigns.user_id, the session's acting user.  It is
 * an ordinary user-settable GUC so that SQL clients (and http_handle, which
 * sets it transaction-locally after authenticating a key) can name the
 * tenant; row-level security does the enforcing.
 */
void
IdentityInit(void)
{
	DefineCustomStringVariable("campaigns.user_id",
							   "The user (tenant) this session acts as.",
							   "current_user_id() reads this first, then request.jwt.claims ->> 'sub'.",
							   &campaigns_user_id,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
}

/*
 * _PG_init runs when the library is loaded, either at server start through
 * shared_preload_libraries (needed for the worker) or on first use of a C
 * function (enough for the SQL API).
 */
void
_PG_init(void)
{
	IdentityInit();
	ScheduleInit();
	DispatchInit();
	WorkerInit();
	HttpApiInit();
	HttpRateInit();
	OutboundInit();
	SecretsInit();

	MarkGUCPrefixReserved("campaigns");
}
