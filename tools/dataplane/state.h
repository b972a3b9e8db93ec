/* What the stand-in remembers: its settings, the fault to inject, counters, the accepted events
 * and a log of /v1 requests. One instance, used from the single event-loop thread only. */
#ifndef DP_STATE_H
#define DP_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "idset.h"
#include "jscan.h"

#define REQLOG_CAP 100000
#define STATUS_SLOTS 600

typedef struct {
  const char *host;
  int port;
  const char **write_keys; /* NULL-terminated; NULL or empty = any non-empty user accepted */
  size_t n_write_keys;
  int store;
  const char *record_path;
  int quiet;
} dp_config_t;

/* The fault set by POST /_control; active == 0 means none. */
typedef struct {
  int active;
  int status;      /* 0 = none */
  double rate;     /* share of requests hit */
  long count;      /* hits left; -1 = unlimited */
  long delay_ms;   /* 0 = none */
  int drop;
  char retry_after[64]; /* "" = no header */
  long max_events;      /* 0 = none */
  char body[256];       /* body of an injected status; "" = the reason phrase */
} dp_fault_t;

typedef struct {
  char path[16];
  int status; /* 0 = dropped */
  size_t events;
  int gzip;
  size_t bytes_wire, bytes_raw;
  char *authorization, *content_encoding, *content_type, *user_agent;
  char *batch_sent_at; /* raw JSON, NULL = absent */
  uint64_t ms_after_start;
} dp_reqlog_t;

typedef struct {
  uint64_t requests, batches, events, unique, duplicates, rejected, dropped;
  uint64_t bytes_wire, bytes_raw, connections;
  uint64_t status[STATUS_SLOTS];
} dp_stats_t;

typedef struct {
  dp_config_t cfg;
  dp_fault_t fault;
  dp_stats_t stats;
  idset_t ids;
  /* accepted events joined with commas: "e1,e2,..." (store mode) */
  char *events;
  size_t events_len, events_cap;
  /* request log: a ring of the last REQLOG_CAP */
  dp_reqlog_t *reqlog;
  size_t reqlog_head, reqlog_n;
  FILE *record;
  uint64_t start_ms;
  uint64_t rng;
  uint64_t connections_total; /* every TCP connection accepted, never reset */
  uint64_t generation;        /* bumped by /_reset so live connections count again */
} dp_state_t;

uint64_t dp_now_ms(void);
int dp_state_init(dp_state_t *st);
void dp_state_free(dp_state_t *st);
/* POST /_reset: events, request log, counters (except connections, which are about the TCP
 * layer and keep counting) and the fault. */
void dp_state_reset(dp_state_t *st);

/* Accepts the events of a successful request: counts, dedups, stores, records.
 * route_type: for a single-event route, the type to write into the event. Returns 0, -1 on
 * out of memory. */
int dp_state_accept(dp_state_t *st, const jbatch_t *scan, const char *route_type);

/* Appends one request to the log and the counters. */
void dp_state_log_request(dp_state_t *st, const dp_reqlog_t *rec);

/* A uniform double in [0,1). */
double dp_state_random(dp_state_t *st);

#endif
