/* Routing: the /v1 gateway routes, health, and the control/inspection API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "server.h"

#define TEXT "text/plain; charset=utf-8"
#define JSON "application/json"

static int path_is(const conn_t *c, const char *lit) {
  return http_span_eq(c->in, c->req.path, lit, 0);
}

static int method_is(const conn_t *c, const char *lit) {
  return http_span_eq(c->in, c->req.method, lit, 0);
}

static void respond_text(server_t *srv, conn_t *c, int status, const char *msg) {
  conn_respond(srv, c, status, TEXT, msg, strlen(msg), "X-Content-Type-Options: nosniff\r\n");
}

static void respond_json(server_t *srv, conn_t *c, int status, obuf_t *o) {
  if (o->oom) {
    respond_text(srv, c, 500, "out of memory\n");
  } else {
    conn_respond(srv, c, status, JSON, o->p, o->len, NULL);
  }
  obuf_free(o);
}

static char *dup_span(const conn_t *c, hspan_t s) {
  if (!s.len) return NULL;
  return strndup(c->in + s.off, s.len);
}

static const char *fault_body(const dp_fault_t *f) {
  if (f->body[0]) return NULL; /* the caller uses f->body */
  switch (f->status) {
  case 413: return "request size exceeds max limit\n";
  case 429: return "max requests limit reached\n";
  case 401: return "invalid write key\n";
  case 400: return "invalid json\n";
  default: return NULL;
  }
}

/* Decides what a /v1 request gets: the gateway's own answer or the injected fault. */
static void decide_v1(dp_state_t *st, const gw_result_t *res, v1_decision_t *d, long *delay_ms) {
  memset(d, 0, sizeof *d);
  d->res = *res;
  d->final_status = res->status;
  d->final_body = res->body;
  *delay_ms = 0;
  dp_fault_t *f = &st->fault;
  int hit = f->active && (f->rate >= 1.0 || dp_state_random(st) < f->rate);
  int used = 0;
  if (hit) {
    if (f->delay_ms) {
      *delay_ms = f->delay_ms;
      used = 1;
    }
    if (f->drop) {
      d->final_status = 0;
      used = 1;
    } else if (f->status) {
      d->final_status = f->status;
      d->final_body = fault_body(f);
      used = 1;
    } else if (f->max_events && res->status == 200 && res->events > (size_t)f->max_events) {
      d->final_status = 413;
      d->final_body = "batch exceeds the maximum allowed number of events\n";
      used = 1;
    }
    if (f->retry_after[0] && d->final_status) {
      snprintf(d->retry_after, sizeof d->retry_after, "%s", f->retry_after);
      used = 1;
    }
    if (f->status && !f->drop) snprintf(d->fault_body, sizeof d->fault_body, "%s", f->body);
  }
  /* a request the fault changed is not accepted, even when its injected status is 2xx */
  int faulted = hit && (f->drop || f->status || d->final_status != res->status);
  d->accept = res->status == 200 && !faulted;
  if (used && f->count > 0 && --f->count == 0) f->active = 0;
}

static void finish_v1(server_t *srv, conn_t *c) {
  dp_state_t *st = server_state(srv);
  v1_decision_t *d = &c->decision;
  if (d->accept && dp_state_accept(st, &c->scratch.scan, d->res.route_type)) {
    d->accept = 0;
    d->final_status = 500;
    d->final_body = "out of memory storing events\n";
  }

  if (c->counted_generation != st->generation + 1) {
    c->counted_generation = st->generation + 1;
    st->stats.connections++;
  }

  dp_reqlog_t rec = {0};
  snprintf(rec.path, sizeof rec.path, "%.*s", (int)c->req.path.len, c->in + c->req.path.off);
  rec.status = d->final_status;
  rec.events = d->res.events;
  rec.gzip = d->res.gzip;
  rec.bytes_wire = d->res.bytes_wire;
  rec.bytes_raw = d->res.bytes_raw;
  rec.authorization = dup_span(c, c->req.authorization);
  rec.content_encoding = dup_span(c, c->req.content_encoding);
  rec.content_type = dup_span(c, c->req.content_type);
  rec.user_agent = dup_span(c, c->req.user_agent);
  jspan_t sa = c->scratch.scan.sent_at;
  if (d->res.scanned && !d->res.route_type && sa.p && sa.n <= 1024) rec.batch_sent_at = strndup(sa.p, sa.n);
  rec.ms_after_start = dp_now_ms() - st->start_ms;
  dp_state_log_request(st, &rec);

  if (!st->cfg.quiet)
    fprintf(stderr, "POST %s %s%d events=%zu wire=%zu raw=%zu%s\n", rec.path,
            d->final_status ? "" : "dropped/", d->final_status, d->res.events,
            d->res.bytes_wire, d->res.bytes_raw, d->res.gzip ? " gzip" : "");

  if (!d->final_status) {
    conn_drop(srv, c);
    return;
  }
  char extra[160] = "X-Content-Type-Options: nosniff\r\n";
  if (d->retry_after[0])
    snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "Retry-After: %s\r\n",
             d->retry_after);
  const char *body = d->final_body;
  char fallback[300];
  if (!body) {
    snprintf(fallback, sizeof fallback, "%s\n",
             d->fault_body[0] ? d->fault_body : http_reason(d->final_status));
    body = fallback;
  }
  conn_respond(srv, c, d->final_status, TEXT, body, strlen(body), extra);
}

void route_finish_delayed(server_t *srv, conn_t *c) { finish_v1(srv, c); }

static void handle_v1(server_t *srv, conn_t *c, const char *route_type) {
  dp_state_t *st = server_state(srv);
  const http_req_t *r = &c->req;
  gw_result_t res;
  gw_evaluate(&st->cfg, route_type, r->authorization.len ? c->in + r->authorization.off : NULL,
              r->authorization.len,
              r->content_encoding.len ? c->in + r->content_encoding.off : NULL,
              r->content_encoding.len, c->in + c->body_off, c->body_len, &c->scratch, &res);
  long delay_ms = 0;
  decide_v1(st, &res, &c->decision, &delay_ms);
  if (delay_ms > 0) {
    conn_start_delay(srv, c, delay_ms);
    return;
  }
  finish_v1(srv, c);
}

void route_request(server_t *srv, conn_t *c) {
  dp_state_t *st = server_state(srv);
  const char *route_type = NULL;
  const char *path = c->in + c->req.path.off;
  size_t plen = c->req.path.len;

  if (gw_is_route(path, plen, &route_type)) {
    if (!method_is(c, "POST")) return respond_text(srv, c, 405, "method not allowed\n");
    return handle_v1(srv, c, route_type);
  }
  obuf_t o = {0};
  if (path_is(c, "/health")) {
    if (!method_is(c, "GET")) return respond_text(srv, c, 405, "method not allowed\n");
    obuf_puts(&o, "{\"ok\":true}");
    return respond_json(srv, c, 200, &o);
  }
  if (path_is(c, "/_control")) {
    if (method_is(c, "GET")) {
      dp_render_fault(st, &o);
      return respond_json(srv, c, 200, &o);
    }
    if (!method_is(c, "POST")) return respond_text(srv, c, 405, "method not allowed\n");
    char err[256];
    if (dp_control_set(st, c->in + c->body_off, c->body_len, err, sizeof err)) {
      obuf_puts(&o, "{\"ok\":false,\"error\":");
      obuf_json_str(&o, err, strlen(err));
      obuf_puts(&o, "}");
      return respond_json(srv, c, 400, &o);
    }
    obuf_puts(&o, "{\"ok\":true}");
    return respond_json(srv, c, 200, &o);
  }
  if (path_is(c, "/_reset")) {
    if (!method_is(c, "POST")) return respond_text(srv, c, 405, "method not allowed\n");
    dp_state_reset(st);
    st->generation++;
    obuf_puts(&o, "{\"ok\":true}");
    return respond_json(srv, c, 200, &o);
  }
  if (path_is(c, "/_stats") || path_is(c, "/_events") || path_is(c, "/_requests")) {
    if (!method_is(c, "GET")) return respond_text(srv, c, 405, "method not allowed\n");
    if (path_is(c, "/_stats")) {
      dp_render_stats(st, &o);
      /* requests waiting on a delayMs fault: lets a test see a delay is in progress */
      if (!o.oom && o.len) {
        o.len--; /* reopen the object */
        obuf_printf(&o, ",\"pending\":%zu}", server_pending(srv));
      }
    } else if (path_is(c, "/_events")) {
      dp_render_events(st, &o);
    } else {
      dp_render_requests(st, &o);
    }
    return respond_json(srv, c, 200, &o);
  }
  respond_text(srv, c, 404, "404 page not found\n");
}
