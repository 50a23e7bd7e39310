/*-------------------------------------------------------------------------
 *
 * src/http_rate.c
 *		Per-key request counters of the HTTP surface, in shared memory.
 *
 * http_handle counts every authenticated request in its API key's current
 * one-minute window.  Counting in a table costs a heap write, a transaction
 * id and a commit record per request, which is more than a GET itself; so
 * when the library is preloaded the counters live here instead: a fixed
 * open-addressing table of campaigns.http_rate_slots slots under one
 * LWLock, each slot (database, key, window, hits).  A slot whose window has
 * passed is free for any key.  When the library is not preloaded, or no
 * slot is free within HTTP_RATE_PROBES of a key's home slot, the caller
 * counts in the unlogged table http_rate_window instead (see
 * http_handle.c); a key never moves between the two within a window, since
 * a slot frees only when its window has passed.
 *
 * Counts are not transactional: a request counts even if its transaction
 * rolls back, as a rate limit should.  A restart forgets the counters, as a
 * crash forgets the unlogged table.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "http_api.h"

/* How far from its home slot a key may live. */
#define HTTP_RATE_PROBES 64

typedef struct HttpRateSlot
{
	Oid			dbid;
	pg_uuid_t	key;
	int64		window;			/* minutes since the PostgreSQL epoch */
	int32		hits;
} HttpRateSlot;

typedef struct HttpRateShared
{
	LWLock	   *lock;
	int			nslots;
	HttpRateSlot slots[FLEXIBLE_ARRAY_MEMBER];
} HttpRateShared;

int			campaigns_http_rate_slots = 4096;

static HttpRateShared *http_rate = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
HttpRateShmemSize(void)
{
	return add_size(offsetof(HttpRateShared, slots),
					mul_size(sizeof(HttpRateSlot), campaigns_http_rate_slots));
}

/*
 * HttpRateShmemRequest asks for the counters and their lock (PG15 hook).
 */
static void
HttpRateShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(HttpRateShmemSize()));
	RequestNamedLWLockTranche("campaigns http rate", 1);
}

/*
 * HttpRateShmemStartup creates or attaches the counters.
 */
static void
HttpRateShmemStartup(void)
{
	bool		found;
	HttpRateShared *shared;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("campaigns http rate", HttpRateShmemSize(), &found);
	if (!found)
	{
		memset(shared, 0, HttpRateShmemSize());
		shared->lock = &(GetNamedLWLockTranche("campaigns http rate"))->lock;
		shared->nslots = campaigns_http_rate_slots;
	}
	LWLockRelease(AddinShmemInitLock);
	http_rate = shared;
}

/*
 * HttpRateInit defines campaigns.http_rate_slots and, when preloading,
 * reserves the shared counters.
 */
void
HttpRateInit(void)
{
	DefineCustomIntVariable("campaigns.http_rate_slots",
							"API keys whose request rate is counted in shared memory at once.",
							"Keys beyond it are counted in the table http_rate_window.  0 counts every key in the table.",
							&campaigns_http_rate_slots,
							4096, 0, 1048576,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress || IsBinaryUpgrade ||
		campaigns_http_rate_slots == 0)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = HttpRateShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = HttpRateShmemStartup;
}

/*
 * HttpRateCount counts one request of key in window (minutes since the
 * PostgreSQL epoch) and sets *hits to the window's count so far.  Returns
 * false, counting nothing, when there are no shared counters or no free
 * slot near the key's home: the caller counts in the table then.
 */
bool
HttpRateCount(const pg_uuid_t *key, int64 window, int32 *hits)
{
	uint32		h;
	int			i;
	int			probes;
	HttpRateSlot *found = NULL;
	HttpRateSlot *free_slot = NULL;

	if (http_rate == NULL || http_rate->nslots <= 0)
		return false;

	h = hash_bytes((const unsigned char *) key->data, UUID_LEN) ^ hash_bytes_uint32(MyDatabaseId);
	probes = Min(HTTP_RATE_PROBES, http_rate->nslots);

	LWLockAcquire(http_rate->lock, LW_EXCLUSIVE);
	for (i = 0; i < probes; i++)
	{
		HttpRateSlot *s = &http_rate->slots[(h + i) % http_rate->nslots];

		if (s->dbid == MyDatabaseId && memcmp(s->key.data, key->data, UUID_LEN) == 0)
		{
			found = s;
			break;
		}
		if (free_slot == NULL && (s->dbid == InvalidOid || s->window < window))
			free_slot = s;
	}
	if (found == NULL && free_slot != NULL)
	{
		found = free_slot;
		found->dbid = MyDatabaseId;
		memcpy(found->key.data, key->data, UUID_LEN);
		found->window = window;
		found->hits = 0;
	}
	if (found != NULL)
	{
		if (found->window != window)
		{
			found->window = window;
			found->hits = 0;
		}
		if (found->hits < PG_INT32_MAX)
			found->hits++;
		*hits = found->hits;
	}
	LWLockRelease(http_rate->lock);
	return found != NULL;
}

PG_FUNCTION_INFO_V1(http_rate_shared);

/*
 * http_rate_shared() lists this database's shared counters: api_key_id,
 * window_start, hits (for campaigns.http_rate_usage()).
 */
Datum
http_rate_shared(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HttpRateSlot *copy;
	int			n = 0;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (http_rate == NULL)
		PG_RETURN_VOID();

	copy = palloc(sizeof(HttpRateSlot) * http_rate->nslots);
	LWLockAcquire(http_rate->lock, LW_SHARED);
	for (i = 0; i < http_rate->nslots; i++)
		if (http_rate->slots[i].dbid == MyDatabaseId)
			copy[n++] = http_rate->slots[i];
	LWLockRelease(http_rate->lock);

	for (i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

		memcpy(u, &copy[i].key, sizeof(pg_uuid_t));
		values[0] = UUIDPGetDatum(u);
		values[1] = TimestampTzGetDatum(copy[i].window * USECS_PER_MINUTE);
		values[2] = Int32GetDatum(copy[i].hits);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}
