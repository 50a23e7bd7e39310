/*-------------------------------------------------------------------------
 *
 * src/identity.c
 *		Who is calling: campaigns.current_user_id() and role bindings.
 *
 * current_user_id() is called by every API function and by every
 * row-level security policy, so it is C and reads no SQL.  The caller is
 *
 *	 - for a session whose session_user is bound to a tenant
 *	   (campaigns.role_bind, table role_binding): that tenant, always.  The
 *	   identity GUCs may repeat it but not name anyone else: campaigns.user_id
 *	   or request.jwt.claims ->> 'sub' naming another user, or not a uuid, or
 *	   claims that are not JSON, raise 28000.  session_user, not
 *	   current_user: a bound login role may SET ROLE campaigns_user (or into
 *	   a SECURITY DEFINER function) and stays bound;
 *	 - for any other session (a trusted application role, PostgREST's
 *	   authenticator, the gateway): the GUC campaigns.user_id if set, else
 *	   request.jwt.claims ->> 'sub', else 28000 "no authenticated user".
 *
 * The binding of the session user is cached per backend.  A change to
 * role_binding fires the statement trigger role_binding_changed, which sends
 * a relcache invalidation of the table at commit; every backend marks its
 * cache stale when it reads that (at the start of its next transaction at
 * the latest) and looks the binding up again on its next call.  The lookup
 * is an index scan of role_binding's primary key, without SPI and without
 * permission checks (tenants cannot read the table; this function is the
 * one reader), so it is safe in parallel workers and under any search_path.
 *
 *-------------------------------------------------------------------------
 */
#include "campaigns.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/uuid.h"

char	   *campaigns_user_id = NULL;

/* Deeper JSON than this in request.jwt.claims is not a JWT's claims. */
#define CLAIMS_MAX_DEPTH 64

/* The per-backend binding cache (see the header comment). */
static Oid	cached_nsp = InvalidOid;	/* schema the table was found in */
static Oid	binding_rel = InvalidOid;	/* campaigns.role_binding */
static Oid	cached_role = InvalidOid;	/* session user the entry is for */
static bool cache_valid = false;
static bool cached_bound = false;
static pg_uuid_t cached_user;
static bool inval_registered = false;

/*
 * IdentityInit defines campaigns.user_id, the session's acting user: an
 * ordinary user-settable GUC, so that a trusted application role (and
 * http_handle, which sets it transaction-locally after authenticating a
 * key) can name the tenant.  A bound role cannot use it to name anyone
 * else (current_user_id).
 */
void
IdentityInit(void)
{
	DefineCustomStringVariable("campaigns.user_id",
							   "The user (tenant) this session acts as.",
							   "current_user_id() reads this first, then request.jwt.claims ->> 'sub'; "
							   "a role bound with campaigns.role_bind may only name its own user.",
							   &campaigns_user_id,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
}

/*
 * binding_inval is the relcache callback: a change to role_binding (or to
 * every relation) makes the cached binding stale.
 */
static void
binding_inval(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == binding_rel)
	{
		/* also looked up again by name: the table may have been re-created */
		cache_valid = false;
		binding_rel = InvalidOid;
	}
}

/* The value of a hex digit, or -1. */
static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * parse_uuid reads a uuid in every form uuid_in accepts (optional braces,
 * an optional hyphen after any group of four digits) without raising:
 * false when s is not one.
 */
static bool
parse_uuid(const char *s, pg_uuid_t *out)
{
	bool		braces = false;
	int			i;

	if (*s == '{')
	{
		braces = true;
		s++;
	}
	for (i = 0; i < UUID_LEN; i++)
	{
		int			hi,
					lo;

		hi = hex_digit(s[0]);
		if (hi < 0)
			return false;
		lo = hex_digit(s[1]);
		if (lo < 0)
			return false;
		out->data[i] = (unsigned char) (hi << 4 | lo);
		s += 2;
		if (s[0] == '-' && (i % 2) == 1 && i < UUID_LEN - 1)
			s++;
	}
	if (braces)
	{
		if (*s != '}')
			return false;
		s++;
	}
	return *s == '\0';
}

/* State of the claims parse: the value of the top-level "sub". */
typedef struct ClaimsState
{
	JsonLexContext *lex;
	bool		in_sub;			/* inside the value of a top-level "sub" */
	bool		has_sub;		/* a non-null "sub" was seen (the last wins) */
	bool		sub_scalar;		/* ... and it was a scalar */
	char	   *sub;			/* ... its text, as ->> gives it */
} ClaimsState;

static void
claims_field_start(void *state, char *fname, bool isnull)
{
	ClaimsState *cs = (ClaimsState *) state;

	if (cs->lex->lex_level == 1 && strcmp(fname, "sub") == 0)
	{
		cs->in_sub = true;
		/* a later "sub" replaces an earlier one, as in jsonb */
		cs->has_sub = false;
		cs->sub = NULL;
	}
}

static void
claims_field_end(void *state, char *fname, bool isnull)
{
	ClaimsState *cs = (ClaimsState *) state;

	if (cs->lex->lex_level == 1)
		cs->in_sub = false;
}

static void
claims_nested_start(void *state)
{
	ClaimsState *cs = (ClaimsState *) state;

	/* "sub" is an object or an array: ->> gives its JSON text, not a uuid */
	if (cs->in_sub && cs->lex->lex_level == 1)
	{
		cs->has_sub = true;
		cs->sub_scalar = false;
	}
}

static void
claims_scalar(void *state, char *token, JsonTokenType tokentype)
{
	ClaimsState *cs = (ClaimsState *) state;

	if (cs->in_sub && cs->lex->lex_level == 1 && tokentype != JSON_TOKEN_NULL)
	{
		cs->has_sub = true;
		cs->sub_scalar = true;
		cs->sub = token;
	}
}

/*
 * claims_depth_ok is false when the JSON text nests deeper than
 * CLAIMS_MAX_DEPTH (the parser would recurse that deep and could exhaust
 * the stack, an error rather than "not claims").
 */
static bool
claims_depth_ok(const char *s)
{
	int			depth = 0;
	bool		in_string = false;

	for (; *s; s++)
	{
		if (in_string)
		{
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '"')
				in_string = false;
		}
		else if (*s == '"')
			in_string = true;
		else if (*s == '{' || *s == '[')
		{
			if (++depth > CLAIMS_MAX_DEPTH)
				return false;
		}
		else if (*s == '}' || *s == ']')
			depth--;
	}
	return true;
}

/*
 * claims_sub finds claims ->> 'sub' as PostgREST's convention reads it.
 * Returns false when claims is not JSON; otherwise *sub is the value's
 * text, or NULL when there is no (non-null) "sub", and *scalar says
 * whether it was a scalar.
 */
static bool
claims_sub(char *claims, char **sub, bool *scalar)
{
	ClaimsState cs = {0};
	JsonSemAction sem = {0};

	*sub = NULL;
	*scalar = true;
	if (!claims_depth_ok(claims))
		return false;
	cs.lex = makeJsonLexContextCstringLen(claims, strlen(claims), GetDatabaseEncoding(), true);
	sem.semstate = &cs;
	sem.object_field_start = claims_field_start;
	sem.object_field_end = claims_field_end;
	sem.object_start = claims_nested_start;
	sem.array_start = claims_nested_start;
	sem.scalar = claims_scalar;
	if (pg_parse_json(cs.lex, &sem) != JSON_SUCCESS)
		return false;
	if (cs.has_sub)
	{
		*scalar = cs.sub_scalar;
		*sub = cs.sub_scalar ? cs.sub : "";
	}
	return true;
}

/*
 * binding_schema is the schema of the extension whose current_user_id is
 * running (its own schema, or the extension's when called without one).
 */
static Oid
binding_schema(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo != NULL && OidIsValid(fcinfo->flinfo->fn_oid))
		return get_func_namespace(fcinfo->flinfo->fn_oid);
	return get_namespace_oid("campaigns", false);	/* not relocatable */
}

/*
 * lookup_binding reads the binding of role from role_binding in nspid:
 * true and *user_id when it is bound.
 */
static bool
lookup_binding(Oid nspid, Oid role, pg_uuid_t *user_id)
{
	Relation	rel;
	Oid			index;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	if (nspid != cached_nsp || !OidIsValid(binding_rel))
	{
		/* (the callback forgets binding_rel when the table changes) */
		binding_rel = get_relname_relid("role_binding", nspid);
		cached_nsp = nspid;
	}
	if (!OidIsValid(binding_rel))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("campaigns: table role_binding not found")));

	rel = table_open(binding_rel, AccessShareLock);
	index = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(index))
		elog(ERROR, "campaigns: role_binding has no primary key");
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(role));
	scan = systable_beginscan(rel, index, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		TupleDesc	desc = RelationGetDescr(rel);
		int			attnum = 0;
		bool		isnull;
		Datum		d;
		int			i;

		for (i = 0; i < desc->natts; i++)
			if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), "user_id") == 0)
				attnum = i + 1;
		if (attnum == 0)
			elog(ERROR, "campaigns: role_binding has no column user_id");
		d = heap_getattr(tup, attnum, desc, &isnull);
		if (!isnull)
		{
			memcpy(user_id, DatumGetUUIDP(d), sizeof(pg_uuid_t));
			found = true;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* What a bound session's GUC is, when it is refused. */
typedef enum RefusedAs
{
	NAMES_ANOTHER,
	NOT_A_UUID,
	NOT_JSON
} RefusedAs;

/*
 * refuse_bound raises 28000 for a bound session whose GUC (what) names
 * another user, or no user at all.
 */
static void
pg_attribute_noreturn()
refuse_bound(const char *what, RefusedAs why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("role \"%s\" is bound to one user and cannot act as another",
					GetUserNameFromId(GetSessionUserId(), false)),
			 why == NAMES_ANOTHER ? errdetail("%s names another user.", what) :
			 why == NOT_A_UUID ? errdetail("%s is not a uuid.", what) :
			 errdetail("%s is not JSON.", what)));
}

PG_FUNCTION_INFO_V1(current_user_id);

/*
 * current_user_id() returns the calling user (see the header comment).
 */
Datum
current_user_id(PG_FUNCTION_ARGS)
{
	Oid			role = GetSessionUserId();
	const char *guc = campaigns_user_id;
	const char *claims_guc = GetConfigOption("request.jwt.claims", true, false);
	char	   *claims = NULL;
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));
	char	   *sub = NULL;
	bool		sub_scalar = true;
	bool		claims_json = true;

	if (!inval_registered)
	{
		CacheRegisterRelcacheCallback(binding_inval, (Datum) 0);
		inval_registered = true;
	}
	if (!cache_valid || cached_role != role)
	{
		cached_bound = lookup_binding(binding_schema(fcinfo), role, &cached_user);
		cached_role = role;
		cache_valid = true;
	}

	if (claims_guc != NULL && claims_guc[0] != '\0')
		claims = pstrdup(claims_guc);
	if (guc != NULL && guc[0] == '\0')
		guc = NULL;

	if (cached_bound)
	{
		pg_uuid_t	named;

		if (guc != NULL)
		{
			if (!parse_uuid(guc, &named))
				refuse_bound("campaigns.user_id", NOT_A_UUID);
			if (memcmp(&named, &cached_user, sizeof(pg_uuid_t)) != 0)
				refuse_bound("campaigns.user_id", NAMES_ANOTHER);
		}
		if (claims != NULL)
		{
			if (!claims_sub(claims, &sub, &sub_scalar))
				refuse_bound("request.jwt.claims", NOT_JSON);
			if (sub != NULL)
			{
				if (!sub_scalar || !parse_uuid(sub, &named))
					refuse_bound("request.jwt.claims ->> 'sub'", NOT_A_UUID);
				if (memcmp(&named, &cached_user, sizeof(pg_uuid_t)) != 0)
					refuse_bound("request.jwt.claims ->> 'sub'", NAMES_ANOTHER);
			}
		}
		memcpy(result, &cached_user, sizeof(pg_uuid_t));
		PG_RETURN_UUID_P(result);
	}

	/* An unbound session: the GUC, else the claims' sub. */
	if (guc == NULL && claims != NULL)
	{
		claims_json = claims_sub(claims, &sub, &sub_scalar);
		if (claims_json && sub != NULL)
			guc = sub;
	}
	if (guc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("no authenticated user"),
				 errhint("Set campaigns.user_id or request.jwt.claims.")));
	if (!sub_scalar || !parse_uuid(guc, result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("no authenticated user"),
				 errdetail("The user id is not a uuid.")));
	PG_RETURN_UUID_P(result);
}

PG_FUNCTION_INFO_V1(role_binding_changed);

/*
 * role_binding_changed is the statement trigger of role_binding: every
 * backend's cached binding is stale once the change commits.
 */
Datum
role_binding_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "role_binding_changed: not called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	PG_RETURN_POINTER(NULL);
}
