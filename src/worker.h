/*-------------------------------------------------------------------------
 *
 * src/worker.h
 *		The campaigns background worker: registration, shared state, wake-up.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_WORKER_H
#define CAMPAIGNS_WORKER_H

#include "campaigns.h"

/* What the worker is doing, as shown by campaigns.worker_status. */
typedef enum WorkerState
{
	WORKER_STOPPED = 0,
	WORKER_STARTING,
	WORKER_DISABLED,
	WORKER_NO_EXTENSION,
	WORKER_IDLE,
	WORKER_DISPATCHING,
	WORKER_STOPPING
} WorkerState;

/* GUCs owned by the worker. */
extern char *campaigns_database_name;
extern bool campaigns_worker_enabled;

extern void WorkerInit(void);

#endif							/* CAMPAIGNS_WORKER_H */
