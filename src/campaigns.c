/*-------------------------------------------------------------------------
 *
 * src/campaigns.c
 *		Module entry point of the campaigns extension.
 *
 * _PG_init only delegates: each subsystem (identity, worker, dispatch...)
 * defines its GUCs and hooks in its own init function.
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
