/*-------------------------------------------------------------------------
 *
 * src/worker.c
 *		The campaigns background worker: one per cluster, it runs the
 *		scheduler on the real clock and drives the HTTP dispatcher.
 *
 * The worker is registered from _PG_init when the library is preloaded and
 * connects to campaigns.database_name.  Its loop alternates short database
 * passes (record the outcomes of finished requests, claim due actions, run
 * campaigns.tick(now())) with waiting: on curl sockets while requests are in
 * flight, on its latch otherwise.  Backends set that latch when a
 * transaction that created work commits (campaigns._wake_worker and the
 * wake triggers register a transaction callback), so new work starts
 * without polling; otherwise the worker sleeps until the next due time, at
 * most one second (the heartbeat that lets it notice DROP DATABASE).
 *
 * Shared memory holds the worker's pid, latch, state and counters, which
 * campaigns.worker_status shows.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/pmsignal.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "dispatch.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(campaigns_wake_worker);
PG_FUNCTION_INFO_V1(campaigns_wake_trigger);
PG_FUNCTION_INFO_V1(campaigns_worker_status);

PGDLLEXPORT void CampaignsWorkerMain(Datum main_arg);

/* Seconds the postmaster waits before restarting a worker that exited. */
#define WORKER_RESTART_SECONDS 5
/* Longest sleep: the heartbeat that notices DROP DATABASE and lease expiry. */
#define WORKER_HEARTBEAT_MS 1000
/* Longest wait on curl sockets before looking at the latch again. */
#define WORKER_CURL_WAIT_MS 5
/* Outcomes wait at most this long to be recorded in a batch. */
#define WORKER_RECORD_DELAY_MS 5
/* Shortest pause before claiming again when a claim found nothing. */
#define WORKER_MIN_SLEEP_MS 10
/* The scheduler runs at least this often even when it reports nothing due. */
#define WORKER_TICK_MAX_MS 60000
/* How long a stopping worker lets requests in flight finish. */
#define WORKER_STOP_GRACE_MS 3000

/* The worker's counters (campaigns.worker_status); see WorkerCount(). */
typedef enum WorkerCounter
{
	WC_CLAIMED = 0,
	WC_SENT,
	WC_RETRIED,
	WC_FAILED,
	WC_BATCHES,
	WC_TICKS,
	WC_ERRORS,
	WC_COUNT
} WorkerCounter;

typedef struct WorkerShared
{
	slock_t		mutex;
	pid_t		pid;
	Latch	   *latch;
	WorkerState state;
	TimestampTz started_at;
	TimestampTz last_pass_at;
	TimestampTz last_tick_at;
	int			in_flight;
	int64		counters[WC_COUNT];
} WorkerShared;

char	   *campaigns_database_name = NULL;
bool		campaigns_worker_enabled = true;

static WorkerShared *worker_shared = NULL;
static bool am_worker = false;
static bool wake_pending = false;
static bool xact_callback_registered = false;
static TimestampTz next_release = 0;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static const char *const worker_state_names[] = {
	"stopped", "starting", "disabled", "waiting_for_extension",
	"idle", "dispatching", "stopping"
};

/*
 * WorkerShmemRequest asks for the worker's shared state (PG15 hook).
 */
static void
WorkerShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(WorkerShared)));
}

/*
 * WorkerShmemStartup creates or attaches the worker's shared state.
 */
static void
WorkerShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	worker_shared = ShmemInitStruct("campaigns worker", sizeof(WorkerShared), &found);
	if (!found)
	{
		memset(worker_shared, 0, sizeof(WorkerShared));
		SpinLockInit(&worker_shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * WorkerInit defines the worker's GUCs and, when the library is being
 * preloaded, registers the worker and its shared memory.  Loaded any other
 * way the library still serves the SQL API; the worker then does not run
 * and campaigns.worker_status says so.
 */
void
WorkerInit(void)
{
	BackgroundWorker worker;

	DefineCustomStringVariable("campaigns.database_name",
							   "Database the campaigns worker connects to.",
							   "The extension must be created in this database for the worker to do anything.",
							   &campaigns_database_name,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("campaigns.worker_enabled",
							 "Whether the campaigns worker schedules and dispatches actions.",
							 "When off, the worker stays idle and holds no database connection.",
							 &campaigns_worker_enabled,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress || IsBinaryUpgrade)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = WorkerShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = WorkerShmemStartup;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = WORKER_RESTART_SECONDS;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "campaigns");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "CampaignsWorkerMain");
	snprintf(worker.bgw_name, BGW_MAXLEN, "campaigns worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "campaigns worker");
	worker.bgw_main_arg = (Datum) 0;
	worker.bgw_notify_pid = 0;
	RegisterBackgroundWorker(&worker);
}

/*
 * WorkerCount adds n to one of the worker's counters.
 */
static void
WorkerCount(WorkerCounter counter, int64 n)
{
	if (worker_shared == NULL || n == 0)
		return;
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->counters[counter] += n;
	SpinLockRelease(&worker_shared->mutex);
}

/*
 * WorkerPublish adds what the dispatcher counted since the last call to the
 * worker's counters and publishes the number of requests in flight.
 */
static void
WorkerPublish(void)
{
	DispatchCounts c;

	DispatchTakeCounts(&c);
	if (worker_shared == NULL)
		return;
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->counters[WC_CLAIMED] += c.claimed;
	worker_shared->counters[WC_SENT] += c.sent;
	worker_shared->counters[WC_RETRIED] += c.retried;
	worker_shared->counters[WC_FAILED] += c.failed;
	worker_shared->in_flight = DispatchInFlight();
	SpinLockRelease(&worker_shared->mutex);
}

static void
WorkerSetState(WorkerState state)
{
	if (worker_shared == NULL)
		return;
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->state = state;
	SpinLockRelease(&worker_shared->mutex);
}

static void
WorkerSetTime(TimestampTz *field, TimestampTz t)
{
	SpinLockAcquire(&worker_shared->mutex);
	*field = t;
	SpinLockRelease(&worker_shared->mutex);
}

/*
 * WorkerWake sets the worker's latch, if there is a worker.
 */
static void
WorkerWake(void)
{
	Latch	   *latch = NULL;

	if (worker_shared == NULL)
		return;
	SpinLockAcquire(&worker_shared->mutex);
	latch = worker_shared->latch;
	SpinLockRelease(&worker_shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/*
 * WakeXactCallback wakes the worker when a transaction that created work
 * for it commits; an aborted transaction created none.
 */
static void
WakeXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_pending)
				WorkerWake();
			wake_pending = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_pending = false;
			break;
		default:
			break;
	}
}

/*
 * WakeOnCommit arranges for the worker's latch to be set when the current
 * transaction commits.  The worker itself never needs waking.
 */
static void
WakeOnCommit(void)
{
	if (am_worker || worker_shared == NULL)
		return;
	if (!xact_callback_registered)
	{
		RegisterXactCallback(WakeXactCallback, NULL);
		xact_callback_registered = true;
	}
	wake_pending = true;
}

/*
 * campaigns_wake_worker: SQL campaigns._wake_worker(), for functions that
 * create work for the worker.
 */
Datum
campaigns_wake_worker(PG_FUNCTION_ARGS)
{
	WakeOnCommit();
	PG_RETURN_VOID();
}

/*
 * campaigns_wake_trigger: statement-level trigger form of _wake_worker, on
 * the tables whose changes create work (actions queued, campaign status).
 */
Datum
campaigns_wake_trigger(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("campaigns._wake_trigger() must be called as a trigger")));
	WakeOnCommit();
	return PointerGetDatum(NULL);
}

/*
 * campaigns_worker_status: the row behind the campaigns.worker_status view.
 */
Datum
campaigns_worker_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[14];
	bool		nulls[14];
	WorkerShared copy;
	const char *state;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	memset(nulls, 0, sizeof(nulls));
	memset(&copy, 0, sizeof(copy));

	if (worker_shared == NULL)
		state = "not_preloaded";
	else
	{
		SpinLockAcquire(&worker_shared->mutex);
		memcpy(&copy, worker_shared, sizeof(copy));
		SpinLockRelease(&worker_shared->mutex);
		state = worker_state_names[copy.state];
	}

	if (copy.pid != 0)
		values[0] = Int32GetDatum(copy.pid);
	else
		nulls[0] = true;
	values[1] = CStringGetTextDatum(state);
	values[2] = CStringGetTextDatum(campaigns_database_name ? campaigns_database_name : "");
	if (copy.started_at != 0)
		values[3] = TimestampTzGetDatum(copy.started_at);
	else
		nulls[3] = true;
	if (copy.last_pass_at != 0)
		values[4] = TimestampTzGetDatum(copy.last_pass_at);
	else
		nulls[4] = true;
	if (copy.last_tick_at != 0)
		values[5] = TimestampTzGetDatum(copy.last_tick_at);
	else
		nulls[5] = true;
	values[6] = Int32GetDatum(copy.in_flight);
	values[7] = Int64GetDatum(copy.counters[WC_CLAIMED]);
	values[8] = Int64GetDatum(copy.counters[WC_SENT]);
	values[9] = Int64GetDatum(copy.counters[WC_RETRIED]);
	values[10] = Int64GetDatum(copy.counters[WC_FAILED]);
	values[11] = Int64GetDatum(copy.counters[WC_BATCHES]);
	values[12] = Int64GetDatum(copy.counters[WC_TICKS]);
	values[13] = Int64GetDatum(copy.counters[WC_ERRORS]);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * WorkerDetach clears the worker's pid and latch when it exits, so nobody
 * sets a latch that another process may reuse.
 */
static void
WorkerDetach(int code, Datum arg)
{
	DispatchStop();
	if (worker_shared == NULL)
		return;
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->pid = 0;
	worker_shared->latch = NULL;
	worker_shared->state = WORKER_STOPPED;
	worker_shared->in_flight = 0;
	SpinLockRelease(&worker_shared->mutex);
}

/*
 * DatabaseIsWanted says whether someone holds or awaits a conflicting lock
 * on the worker's database: DROP DATABASE (and RENAME, SET TABLESPACE) take
 * it before waiting for other sessions to leave, so the worker leaves.
 */
static bool
DatabaseIsWanted(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_OBJECT(tag, InvalidOid, DatabaseRelationId, MyDatabaseId, 0);
	if (LockAcquire(&tag, AccessShareLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		return true;
	LockRelease(&tag, AccessShareLock, false);
	return false;
}

/*
 * WorkerBegin and WorkerEnd open and close one transaction with SPI, as
 * worker_spi does.
 */
static void
WorkerBegin(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

static void
WorkerEnd(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * WorkerRecover cleans up after an error in a pass: the error is logged,
 * the transaction rolled back, and whatever it claimed is forgotten (the
 * rows stay queued).  Outcomes it failed to record are dropped too; their
 * leases expire and the actions are sent again under the same key.
 */
static void
WorkerRecover(MemoryContext cxt)
{
	HOLD_INTERRUPTS();
	MemoryContextSwitchTo(cxt);
	EmitErrorReport();
	FlushErrorState();
	AbortCurrentTransaction();
	DispatchForgetClaimed();
	DispatchForgetOutcomes();
	WorkerCount(WC_ERRORS, 1);
	pgstat_report_activity(STATE_IDLE, NULL);
	RESUME_INTERRUPTS();
}

/*
 * WorkerTick runs campaigns.tick(now()) in its own transaction, when the
 * scheduler is installed, and returns when it wants to run next.
 */
static TimestampTz
WorkerTick(MemoryContext cxt)
{
	TimestampTz now = GetCurrentTimestamp();
	volatile TimestampTz next = TimestampTzPlusMilliseconds(now, WORKER_TICK_MAX_MS);
	Oid			argtypes[1] = {TIMESTAMPTZOID};

	PG_TRY();
	{
		WorkerBegin("campaigns tick");
		if (OidIsValid(get_extension_oid("campaigns", true)) &&
			OidIsValid(LookupFuncName(list_make2(makeString("campaigns"), makeString("tick")),
									  1, argtypes, true)))
		{
			int			rc;

			rc = SPI_execute("SELECT (campaigns.tick(now()) ->> 'next_due')::timestamptz", false, 1);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "campaigns.tick failed: %s", SPI_result_code_string(rc));
			if (SPI_processed == 1)
			{
				bool		isnull;
				Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

				if (!isnull && DatumGetTimestampTz(d) < next)
					next = DatumGetTimestampTz(d);
			}
			WorkerCount(WC_TICKS, 1);
			WorkerSetTime(&worker_shared->last_tick_at, now);
		}
		WorkerEnd();
		MemoryContextSwitchTo(cxt);
	}
	PG_CATCH();
	{
		WorkerRecover(cxt);
		next = TimestampTzPlusMilliseconds(now, WORKER_HEARTBEAT_MS);
	}
	PG_END_TRY();

	/*
	 * A next_due already past (more launch batches to enrol, say) means "run
	 * again soon", never "spin".
	 */
	return Max(next, TimestampTzPlusMilliseconds(now, WORKER_MIN_SLEEP_MS));
}

/*
 * WorkerPass is one dispatch pass: a transaction that claims due actions
 * for the free request slots (the claimed requests start after commit),
 * then one that records the outcomes of finished requests, while the
 * requests just started are out: the SQL of the pass overlaps the HTTP of
 * the batch instead of waiting for it.  *more_due says whether the claim
 * filled every slot (so more may be due), *next_due when the earliest
 * other action falls due.
 */
static void
WorkerPass(MemoryContext cxt, bool *more_due, TimestampTz *next_due)
{
	TimestampTz now = GetCurrentTimestamp();
	volatile bool claimed_all = false;
	volatile TimestampTz next = TimestampTzPlusMilliseconds(now, WORKER_HEARTBEAT_MS);

	PG_TRY();
	{
		WorkerBegin("campaigns dispatch");
		if (DatabaseIsWanted())
		{
			ereport(LOG,
					(errmsg("campaigns worker leaving database \"%s\"", get_database_name(MyDatabaseId)),
					 errdetail("Another session is dropping or altering the database.")));
			proc_exit(1);
		}
		if (!OidIsValid(get_extension_oid("campaigns", true)))
		{
			WorkerSetState(WORKER_NO_EXTENSION);
			DispatchForgetOutcomes();
		}
		else
		{
			int			want;

			want = campaigns_worker_enabled ? DispatchFreeSlots() : 0;
			if (want > 0)
			{
				int			got = DispatchClaim(want);

				claimed_all = (got == want);
			}
			if (now >= next_release)
			{
				if (SPI_execute("SELECT campaigns._dispatch_release()", false, 1) != SPI_OK_SELECT)
					elog(ERROR, "campaigns._dispatch_release failed");
				next_release = TimestampTzPlusMilliseconds(now, WORKER_HEARTBEAT_MS);
			}
			if (!claimed_all)
			{
				int			rc;

				rc = SPI_execute("SELECT campaigns._dispatch_next_due()", true, 1);
				if (rc == SPI_OK_SELECT && SPI_processed == 1)
				{
					bool		isnull;
					Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

					if (!isnull && DatumGetTimestampTz(d) < next)
						next = DatumGetTimestampTz(d);
				}
			}
			WorkerSetState(!campaigns_worker_enabled ? WORKER_DISABLED :
						   DispatchInFlight() > 0 || claimed_all ? WORKER_DISPATCHING : WORKER_IDLE);
		}
		WorkerEnd();
		MemoryContextSwitchTo(cxt);
		DispatchLaunchClaimed();

		/*
		 * Outcomes (including those DispatchLaunchClaimed just added for
		 * actions without an endpoint) are recorded in a transaction of
		 * their own; a crash before it commits only sends them again.
		 */
		if (DispatchOutcomesPending() > 0)
		{
			WorkerBegin("campaigns dispatch: outcomes");
			if (OidIsValid(get_extension_oid("campaigns", true)))
				DispatchRecordOutcomes();
			else
				DispatchForgetOutcomes();
			WorkerEnd();
			MemoryContextSwitchTo(cxt);
		}
		WorkerCount(WC_BATCHES, 1);
		WorkerPublish();
		WorkerSetTime(&worker_shared->last_pass_at, now);
	}
	PG_CATCH();
	{
		WorkerRecover(cxt);
		claimed_all = false;
	}
	PG_END_TRY();
	*more_due = claimed_all;

	/*
	 * Something due but not claimable (locked by another session) must not
	 * make the loop spin.
	 */
	*next_due = Max(next, TimestampTzPlusMilliseconds(now, WORKER_MIN_SLEEP_MS));
}

/*
 * WorkerStop is the clean exit on SIGTERM: no more claims; requests in
 * flight get a short grace to finish and their outcomes are recorded, the
 * others stay in flight until their lease expires (they may have reached
 * the endpoint, so they are sent again with the same key).
 */
static void
WorkerStop(MemoryContext cxt)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   Min(WORKER_STOP_GRACE_MS, campaigns_request_timeout_ms));

	HOLD_INTERRUPTS();
	WorkerSetState(WORKER_STOPPING);
	while (DispatchInFlight() > 0 && GetCurrentTimestamp() < deadline && PostmasterIsAlive())
		DispatchPerform(WORKER_CURL_WAIT_MS);
	if (DispatchOutcomesPending() > 0 && IsTransactionState() == false)
	{
		PG_TRY();
		{
			WorkerBegin("campaigns dispatch (stopping)");
			if (OidIsValid(get_extension_oid("campaigns", true)))
				DispatchRecordOutcomes();
			WorkerEnd();
			MemoryContextSwitchTo(cxt);
		}
		PG_CATCH();
		{
			WorkerRecover(cxt);
		}
		PG_END_TRY();
	}
	WorkerPublish();
	RESUME_INTERRUPTS();
}

/*
 * CampaignsWorkerMain is the worker's entry point.
 */
void
CampaignsWorkerMain(Datum main_arg)
{
	MemoryContext worker_cxt;
	MemoryContext loop_cxt;
	bool		woken = true;
	bool		more_due = false;
	TimestampTz next_due = 0;
	TimestampTz next_tick = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (worker_shared == NULL)
		elog(ERROR, "campaigns worker started without its shared memory");

	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->pid = MyProcPid;
	worker_shared->latch = MyLatch;
	worker_shared->state = WORKER_STARTING;
	worker_shared->started_at = GetCurrentTimestamp();
	worker_shared->in_flight = 0;
	SpinLockRelease(&worker_shared->mutex);
	before_shmem_exit(WorkerDetach, (Datum) 0);
	am_worker = true;

	/*
	 * Disabled, the worker holds no database connection (so a regression
	 * run can create and drop its database freely) until a reload enables
	 * it.
	 */
	while (!campaigns_worker_enabled)
	{
		WorkerSetState(WORKER_DISABLED);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}

	BackgroundWorkerInitializeConnection(campaigns_database_name, NULL, 0);
	pgstat_report_appname("campaigns worker");

	/*
	 * Outcomes and claims may be lost in a crash without harm: the action
	 * stays claimable and goes again under the same idempotency key.
	 */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);

	worker_cxt = AllocSetContextCreate(TopMemoryContext, "campaigns worker",
									   ALLOCSET_DEFAULT_SIZES);
	loop_cxt = AllocSetContextCreate(worker_cxt, "campaigns worker loop",
									 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(worker_cxt);
	DispatchStart();
	WorkerSetState(WORKER_IDLE);
	ereport(LOG, (errmsg("campaigns worker started in database \"%s\"", campaigns_database_name)));

	for (;;)
	{
		TimestampTz now;
		bool		pass = false;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			woken = true;
		}
		if (ProcDiePending)
			WorkerStop(loop_cxt);
		CHECK_FOR_INTERRUPTS();

		MemoryContextReset(loop_cxt);
		MemoryContextSwitchTo(loop_cxt);

		now = GetCurrentTimestamp();
		if (campaigns_worker_enabled && (woken || now >= next_tick))
		{
			next_tick = WorkerTick(loop_cxt);
			more_due = true;
			pass = true;
		}
		if (woken || now >= next_due)
			pass = true;
		if (DispatchOutcomesPending() > 0 &&
			(DispatchInFlight() == 0 ||
			 DispatchOutcomesPending() >= campaigns_max_in_flight ||
			 now >= TimestampTzPlusMilliseconds(DispatchOldestOutcome(), WORKER_RECORD_DELAY_MS)))
			pass = true;
		if (more_due && campaigns_worker_enabled &&
			DispatchFreeSlots() >= Max(1, campaigns_max_in_flight / 2))
			pass = true;

		if (pass)
		{
			woken = false;
			WorkerPass(loop_cxt, &more_due, &next_due);
			if (!campaigns_worker_enabled)
				next_tick = 0;
		}

		/*
		 * Requests in flight always progress, even between back-to-back
		 * passes; otherwise sleep until the latch, the next due time or the
		 * heartbeat.
		 */
		if (DispatchInFlight() > 0)
		{
			DispatchPerform(pass && more_due ? 0 : WORKER_CURL_WAIT_MS);
			WorkerPublish();
			if (!PostmasterIsAlive())
				proc_exit(1);
			if (MyLatch->is_set)
			{
				ResetLatch(MyLatch);
				woken = true;
			}
		}
		else if (!pass && DispatchOutcomesPending() == 0)
		{
			long		timeout;
			TimestampTz wake_at = next_due;
			int			rc;

			if (campaigns_worker_enabled && next_tick < wake_at)
				wake_at = next_tick;
			timeout = (long) ((wake_at - now) / 1000);
			timeout = Max(timeout, 0);
			timeout = Min(timeout, WORKER_HEARTBEAT_MS);
			rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						   timeout, PG_WAIT_EXTENSION);
			if (rc & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				woken = true;
			}
		}
	}
}
