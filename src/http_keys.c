/*-------------------------------------------------------------------------
 *
 * src/http_keys.c
 *		API keys of the HTTP surface: lookup, per-backend cache, rate count.
 *
 * http_handle (http_handle.c) authenticates every request here: the token's
 * SHA-256 is looked up among live keys, as the owner of api_key (the one
 * place that reads keys across users), through a per-backend cache that a
 * trigger on api_key invalidates; the key's use is recorded once a minute,
 * and the request is counted in its key's one-minute window (shared memory,
 * http_rate.c, or the table http_rate_window).
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "http_api.h"
#include "http_keys.h"
#include "plans.h"

/*
 * The key cache: what api_key says about a token, by its SHA-256, so that
 * a request does not look its key up in the table each time.  A change to
 * api_key that matters (a new, revoked or deleted key, a new limit) fires
 * the statement trigger api_key_changed, which sends a relcache
 * invalidation of api_key at commit; every backend marks its cache stale
 * when it reads that (at the start of its next transaction at the latest)
 * and empties it before its next lookup.  Only keys found are cached.
 */
typedef struct HttpKeyEntry
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];	/* hash key */
	pg_uuid_t	user_id;
	pg_uuid_t	api_key_id;
	char	   *name;
	char	   *token_prefix;
	bool		rate_limit_null;
	int32		rate_limit;
	TimestampTz last_used;		/* 0: never (as cached) */
} HttpKeyEntry;

#define HTTP_KEY_CACHE_MAX 10000

/* What this module keeps per backend (see HttpKeysPrepare). */
static Oid	key_rel = InvalidOid;	/* api_key */
static Oid	key_owner = InvalidOid; /* its owner */
static MemoryContext keys_cxt = NULL;	/* the key cache, reset when stale */
static HTAB *keys = NULL;		/* SHA-256 -> HttpKeyEntry */
static bool keys_stale = true;
static bool inval_registered = false;
static SPIPlanPtr auth_plan;
static SPIPlanPtr touch_plan;
static SPIPlanPtr rate_insert_plan;
static SPIPlanPtr rate_forget_plan;
static SPIPlanPtr rate_sum_plan;

/*
 * http_key_inval is the relcache callback: a change to api_key (or to every
 * relation) makes the key cache stale.
 */
static void
http_key_inval(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == key_rel)
		keys_stale = true;
}

/*
 * HttpKeysPrepare finds api_key in the extension's schema (nspid, quoted
 * name qnsp) and prepares the key lookup, the use record and the table
 * counters; it empties the key cache.  Called by http_handle's first request
 * in a backend (and after the extension is re-created), connected to SPI.
 */
void
HttpKeysPrepare(Oid nspid, const char *qnsp)
{
	HeapTuple	tup;
	StringInfoData sql;
	Oid			types[2];

	key_rel = get_relname_relid("api_key", nspid);
	if (!OidIsValid(key_rel))
		elog(ERROR, "campaigns http_handle: table api_key not found");
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(key_rel));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", key_rel);
	key_owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	if (keys_cxt == NULL)
		keys_cxt = AllocSetContextCreate(TopMemoryContext, "campaigns http keys", ALLOCSET_DEFAULT_SIZES);
	keys_stale = true;
	if (!inval_registered)
	{
		CacheRegisterRelcacheCallback(http_key_inval, (Datum) 0);
		inval_registered = true;
	}

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT user_id, api_key_id, name, token_prefix, rate_limit_per_minute, last_used_at"
					 " FROM %s.api_key WHERE token_hash = $1 AND revoked_at IS NULL", qnsp);
	types[0] = BYTEAOID;
	auth_plan = KeepPlan(sql.data, 1, types, 0);

	/* A write to a logged table costs a WAL flush: record use once a minute. */
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "UPDATE %s.api_key SET last_used_at = now() WHERE api_key_id = $1"
					 " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", qnsp);
	types[0] = UUIDOID;
	touch_plan = KeepPlan(sql.data, 1, types, 0);

	/* The table's counters: one row per backend, summed per window. */
	types[0] = UUIDOID;
	types[1] = TIMESTAMPTZOID;
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "INSERT INTO %s.http_rate_window AS r (api_key_id, window_start, backend, hits)"
					 " VALUES ($1, $2, pg_backend_pid(), 1)"
					 " ON CONFLICT (api_key_id, window_start, backend) DO UPDATE SET hits = r.hits + 1"
					 " RETURNING r.hits", qnsp);
	rate_insert_plan = KeepPlan(sql.data, 2, types, 0);
	resetStringInfo(&sql);
	appendStringInfo(&sql, "DELETE FROM %s.http_rate_window WHERE api_key_id = $1 AND window_start < $2", qnsp);
	rate_forget_plan = KeepPlan(sql.data, 2, types, 0);
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT sum(hits)::integer FROM %s.http_rate_window WHERE api_key_id = $1 AND window_start = $2",
					 qnsp);
	rate_sum_plan = KeepPlan(sql.data, 2, types, 0);
}

/*
 * lookup_key finds the key of a token digest in the table, as the owner of
 * api_key, and caches it.  NULL for an unknown or revoked token.
 */
static HttpKeyEntry *
lookup_key(const uint8 *digest)
{
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	Datum		arg[1];
	HttpKeyEntry *e = NULL;

	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	memcpy(VARDATA(hash), digest, PG_SHA256_DIGEST_LENGTH);
	arg[0] = PointerGetDatum(hash);
	if (SPI_execute_plan(auth_plan, arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "campaigns http_handle: key lookup failed");
	if (SPI_processed == 1)
	{
		HeapTuple	row = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		found;
		bool		isnull;
		char	   *s;
		Datum		d;

		if (hash_get_num_entries(keys) >= HTTP_KEY_CACHE_MAX)
			keys_stale = true;		/* emptied before the next lookup */
		e = hash_search(keys, digest, HASH_ENTER, &found);
		memcpy(&e->user_id, DatumGetUUIDP(SPI_getbinval(row, desc, 1, &isnull)), sizeof(pg_uuid_t));
		memcpy(&e->api_key_id, DatumGetUUIDP(SPI_getbinval(row, desc, 2, &isnull)), sizeof(pg_uuid_t));
		s = SPI_getvalue(row, desc, 3);
		e->name = s ? MemoryContextStrdup(keys_cxt, s) : NULL;
		s = SPI_getvalue(row, desc, 4);
		e->token_prefix = s ? MemoryContextStrdup(keys_cxt, s) : NULL;
		e->rate_limit = DatumGetInt32(SPI_getbinval(row, desc, 5, &e->rate_limit_null));
		d = SPI_getbinval(row, desc, 6, &isnull);
		e->last_used = isnull ? 0 : DatumGetTimestampTz(d);
	}
	return e;
}

/*
 * HttpAuthenticate finds the key of a token (in the key cache, else in the
 * table), records its use once a minute, counts the request and fills
 * *key.  False for an unknown or revoked token.
 */
bool
HttpAuthenticate(const char *token, HttpKey *key)
{
	char	   *utf8 = pg_server_to_any(token, strlen(token), PG_UTF8);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	HttpKeyEntry *e;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	bool		touch;
	bool		count_in_table = false;
	int64		window = 0;
	TimestampTz wstart = 0;

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) utf8, strlen(utf8)) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "campaigns http_handle: could not compute SHA-256");
	pg_cryptohash_free(ctx);

	if (keys_stale || keys == NULL)
	{
		HASHCTL		ctl;

		MemoryContextReset(keys_cxt);
		ctl.keysize = PG_SHA256_DIGEST_LENGTH;
		ctl.entrysize = sizeof(HttpKeyEntry);
		ctl.hcxt = keys_cxt;
		keys = hash_create("campaigns http keys", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		keys_stale = false;
	}
	e = hash_search(keys, digest, HASH_FIND, NULL);
	if (e == NULL)
	{
		Oid			save_uid;
		int			save_sec;

		GetUserIdAndSecContext(&save_uid, &save_sec);
		SetUserIdAndSecContext(key_owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "campaigns http_handle: SPI_connect failed");
		e = lookup_key(digest);
		SPI_finish();
		SetUserIdAndSecContext(save_uid, save_sec);
		if (e == NULL)
			return false;
	}

	memcpy(&key->user_id, &e->user_id, sizeof(pg_uuid_t));
	memcpy(&key->api_key_id, &e->api_key_id, sizeof(pg_uuid_t));
	key->name = e->name ? pstrdup(e->name) : NULL;
	key->token_prefix = e->token_prefix ? pstrdup(e->token_prefix) : NULL;
	key->rate_limit = Max(e->rate_limit_null ? campaigns_http_rate_limit_per_minute : e->rate_limit, 0);
	/* A write to a logged table costs a WAL flush: record use once a minute. */
	touch = e->last_used == 0 || e->last_used < now - USECS_PER_MINUTE;
	if (touch)
		e->last_used = now;

	if (key->rate_limit > 0)
	{
		int64		left;

		window = now / USECS_PER_MINUTE - (now % USECS_PER_MINUTE < 0 ? 1 : 0);
		wstart = window * USECS_PER_MINUTE;
		left = wstart + USECS_PER_MINUTE - GetCurrentTimestamp();
		key->reset_seconds = Max(1, (int) ((left + USECS_PER_SEC - 1) / USECS_PER_SEC));
		count_in_table = !HttpRateCount(&key->api_key_id, window, &key->hits);
	}

	if (touch || count_in_table)
	{
		Oid			save_uid;
		int			save_sec;
		Datum		arg[2];
		bool		isnull;

		GetUserIdAndSecContext(&save_uid, &save_sec);
		SetUserIdAndSecContext(key_owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "campaigns http_handle: SPI_connect failed");
		arg[0] = UUIDPGetDatum(&key->api_key_id);
		if (touch && SPI_execute_plan(touch_plan, arg, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "campaigns http_handle: could not record the key's use");
		if (count_in_table)
		{
			arg[1] = TimestampTzGetDatum(wstart);
			if (SPI_execute_plan(rate_insert_plan, arg, NULL, false, 1) != SPI_OK_INSERT_RETURNING)
				elog(ERROR, "campaigns http_handle: could not count the request");
			/* First hit of this backend in the window: forget the key's old windows. */
			if (DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) == 1 &&
				SPI_execute_plan(rate_forget_plan, arg, NULL, false, 0) != SPI_OK_DELETE)
				elog(ERROR, "campaigns http_handle: could not forget old windows");
			if (SPI_execute_plan(rate_sum_plan, arg, NULL, false, 1) != SPI_OK_SELECT)
				elog(ERROR, "campaigns http_handle: could not read the count");
			key->hits = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		}
		SPI_finish();
		SetUserIdAndSecContext(save_uid, save_sec);
	}
	return true;
}

PG_FUNCTION_INFO_V1(api_key_changed);

/*
 * api_key_changed is the statement trigger of api_key: every backend's key
 * cache is stale once the change commits.
 */
Datum
api_key_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "api_key_changed: not called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	PG_RETURN_POINTER(NULL);
}

