/*-------------------------------------------------------------------------
 *
 * src/campaigns.h
 *		Shared declarations of the campaigns extension.
 *
 * Every C file of the extension includes this header first: it pulls in the
 * PostgreSQL headers they all use and declares each subsystem's init hook,
 * which _PG_init in campaigns.c calls in turn.  Only dispatch.c includes curl.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_H
#define CAMPAIGNS_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

/* GUC: the identity a SQL session acts as (see current_user_id()). */
extern char *campaigns_user_id;

/* Subsystem init hooks, called from _PG_init. */
extern void IdentityInit(void);
extern void ScheduleInit(void);
extern void DispatchInit(void);
extern void WorkerInit(void);

#endif							/* CAMPAIGNS_H */
