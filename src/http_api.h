/*-------------------------------------------------------------------------
 *
 * src/http_api.h
 *		Settings of the HTTP surface (campaigns.http_handle).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAMPAIGNS_HTTP_API_H
#define CAMPAIGNS_HTTP_API_H

extern int	campaigns_http_max_body_bytes;
extern int	campaigns_http_rate_limit_per_minute;

extern void HttpApiInit(void);

#endif							/* CAMPAIGNS_HTTP_API_H */
