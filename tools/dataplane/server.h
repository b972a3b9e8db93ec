/* The event loop: one thread, epoll, non-blocking sockets, keep-alive, timers for delayed
 * answers. Routing lives in routes.c. */
#ifndef DP_SERVER_H
#define DP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "gateway.h"
#include "http.h"
#include "obuf.h"
#include "state.h"

/* What a delayed /v1 request will do when its timer fires. */
typedef struct {
  gw_result_t res;
  int final_status; /* 0 = drop the connection */
  const char *final_body;
  int accept;       /* count and store the events */
  char retry_after[64];  /* Retry-After header value; "" = none */
  char fault_body[256];  /* body of an injected status set with "body"; "" = default */
} v1_decision_t;

typedef struct conn {
  int fd;            /* -1 once the socket is closed */
  int dead;          /* in the graveyard */
  char *in;
  size_t in_len, in_cap;
  obuf_t out;
  size_t out_off;
  int head_parsed;
  http_req_t req;
  int sent_continue;
  int close_after_write;
  size_t body_off, body_len, req_total; /* of the request being answered */
  int pending;       /* a delayed answer is waiting for its timer */
  uint64_t deadline_ms;
  v1_decision_t decision;
  gw_scratch_t scratch;
  uint64_t counted_generation; /* 0 = never counted as a /v1 connection */
  struct conn *prev, *next;    /* all connections */
} conn_t;

typedef struct server server_t;

/* Runs until SIGTERM/SIGINT. Prints the listening line. Returns the exit status. */
int server_run(dp_state_t *st);

/* Used by routes.c */
void conn_respond(server_t *srv, conn_t *c, int status, const char *content_type,
                  const char *body, size_t body_len, const char *extra_headers);
void conn_drop(server_t *srv, conn_t *c);
void conn_start_delay(server_t *srv, conn_t *c, long delay_ms);
dp_state_t *server_state(server_t *srv);
size_t server_pending(server_t *srv);

/* routes.c: answers the request whose head is c->req and whose body is complete. */
void route_request(server_t *srv, conn_t *c);
/* routes.c: finishes a delayed /v1 request when its timer fires (c->fd may be -1). */
void route_finish_delayed(server_t *srv, conn_t *c);

#endif
