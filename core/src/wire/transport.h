/* transport.h — one libcurl easy handle per client: POST a body, keep the connection. */
#ifndef RUDDER_TRANSPORT_H
#define RUDDER_TRANSPORT_H
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include "ruddercore.h"

typedef struct transport transport_t;

typedef struct http_result {
    int status;               /* HTTP status, 0 when no response */
    int aborted;              /* stopped by the abort flag (close deadline) */
    int64_t retry_after_ms;   /* from Retry-After, -1 if none */
    char error[256];          /* transport error text (never holds the write key) */
    char body[512];           /* start of the response body */
} http_result_t;

/* Worth retrying: no answer (network error, timeout, reset), 408, 429 or 5xx. Every other
 * status is final. The one rule for the sender, the Redis processor and spool replay. */
int http_result_transient(const http_result_t *r);
/* "HTTP <status>: <start of body>" or the transport error, without trailing newlines. */
void http_result_why(const http_result_t *r, char *why, size_t size);

/* abort_flag: when it becomes non-zero the request in progress is abandoned. */
transport_t *transport_new(const rudder_conf_t *conf, const atomic_int *abort_flag,
                           char *errstr, size_t errstr_size);
void transport_post(transport_t *t, const char *body, size_t len, int gzipped, http_result_t *res);
void transport_free(transport_t *t);
/* Forked child: drop the handle without touching the parent's connection. */
void transport_abandon(transport_t *t);
#endif
