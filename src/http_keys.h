/*-------------------------------------------------------------------------
 *
 * src/http_keys.h
 *		API keys of the HTTP surface (http_keys.c), for http_handle.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_HTTP_KEYS_H
#define CAMPAIGNS_HTTP_KEYS_H

#include "executor/spi.h"
#include "utils/uuid.h"

/* The API key of a request, once authenticated. */
typedef struct HttpKey
{
	pg_uuid_t	user_id;
	pg_uuid_t	api_key_id;
	char	   *name;
	char	   *token_prefix;
	int			rate_limit;		/* 0: none */
	int32		hits;
	int			reset_seconds;
} HttpKey;

extern void HttpKeysPrepare(Oid nspid, const char *qnsp);
extern bool HttpAuthenticate(const char *token, HttpKey *key);

#endif							/* CAMPAIGNS_HTTP_KEYS_H */
