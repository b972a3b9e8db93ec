/* The /v1 routes: the gateway's checks in rudder-server's order (spec/rudderstack.md 10.1). */
#ifndef DP_GATEWAY_H
#define DP_GATEWAY_H

#include <stddef.h>

#include "jscan.h"
#include "state.h"

/* Scratch space a connection keeps between requests so the hot path does not allocate. */
typedef struct {
  char *raw; /* inflated body */
  size_t raw_cap;
  jbatch_t scan;
} gw_scratch_t;

typedef struct {
  int status;
  const char *body;       /* static text, newline included */
  const char *route_type; /* single-event route: the type to set; NULL for /v1/batch */
  int gzip;
  size_t bytes_wire, bytes_raw;
  size_t events;          /* events in the request, when it could be read */
  int scanned;            /* scratch.scan holds the events */
} gw_result_t;

/* 1 when path is one of the /v1 routes; *route_type is set for the single-event ones. */
int gw_is_route(const char *path, size_t n, const char **route_type);

/* Evaluates one request. authorization/content_encoding: header values (NULL = absent). */
void gw_evaluate(const dp_config_t *cfg, const char *route_type, const char *authorization,
                 size_t auth_len, const char *content_encoding, size_t ce_len, const char *body,
                 size_t body_len, gw_scratch_t *scratch, gw_result_t *res);

void gw_scratch_free(gw_scratch_t *s);

#endif
