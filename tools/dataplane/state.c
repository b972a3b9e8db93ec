#include "state.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t dp_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int dp_state_init(dp_state_t *st) {
  st->reqlog = calloc(REQLOG_CAP, sizeof *st->reqlog);
  if (!st->reqlog) return -1;
  st->start_ms = dp_now_ms();
  st->rng = 0x853c49e6748fea9bULL ^ (uint64_t)time(NULL);
  return 0;
}

static void free_reqlog_entry(dp_reqlog_t *r) {
  free(r->authorization);
  free(r->content_encoding);
  free(r->content_type);
  free(r->user_agent);
  free(r->batch_sent_at);
  memset(r, 0, sizeof *r);
}

static void clear_reqlog(dp_state_t *st) {
  for (size_t i = 0; i < st->reqlog_n; i++)
    free_reqlog_entry(&st->reqlog[(st->reqlog_head + i) % REQLOG_CAP]);
  st->reqlog_head = st->reqlog_n = 0;
}

void dp_state_free(dp_state_t *st) {
  clear_reqlog(st);
  free(st->reqlog);
  free(st->events);
  idset_free(&st->ids);
  if (st->record && st->record != stdout) fclose(st->record);
  st->reqlog = NULL;
  st->events = NULL;
  st->record = NULL;
}

void dp_state_reset(dp_state_t *st) {
  clear_reqlog(st);
  st->events_len = 0;
  if (st->events_cap > (64u << 20)) { /* give big stores back */
    free(st->events);
    st->events = NULL;
    st->events_cap = 0;
  }
  idset_clear(&st->ids);
  memset(&st->stats, 0, sizeof st->stats);
  memset(&st->fault, 0, sizeof st->fault);
}

static int events_reserve(dp_state_t *st, size_t more) {
  if (st->events_len + more <= st->events_cap) return 0;
  size_t cap = st->events_cap ? st->events_cap : 1 << 20;
  while (cap < st->events_len + more) cap *= 2;
  char *b = realloc(st->events, cap);
  if (!b) return -1;
  st->events = b;
  st->events_cap = cap;
  return 0;
}

/* Writes the event text, with "type" set to route_type when given, into dst (NULL: only
 * measure). Newlines (whitespace only, in valid JSON) become spaces so a line is one event. */
static size_t render_event(const jevent_t *ev, const char *route_type, char *dst, int one_line) {
  const char *s = ev->text.p;
  size_t n = ev->text.n, out = 0;
  char typebuf[40];
  size_t tn = 0;
  if (route_type) tn = (size_t)snprintf(typebuf, sizeof typebuf, "\"%s\"", route_type);
#define EMIT(ptr, len)                                    \
  do {                                                    \
    if (dst) memcpy(dst + out, (ptr), (len));             \
    out += (len);                                         \
  } while (0)
  if (!route_type) {
    EMIT(s, n);
  } else if (ev->type.p) { /* replace the value of the existing "type" */
    size_t before = (size_t)(ev->type.p - s);
    EMIT(s, before);
    EMIT(typebuf, tn);
    EMIT(ev->type.p + ev->type.n, n - before - ev->type.n);
  } else { /* insert "type" as the first member */
    EMIT(s, 1); /* '{' */
    EMIT("\"type\":", 7);
    EMIT(typebuf, tn);
    /* an empty object needs no comma */
    size_t i = 1;
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++;
    if (s[i] != '}') EMIT(",", 1);
    EMIT(s + 1, n - 1);
  }
#undef EMIT
  if (dst && one_line)
    for (size_t i = 0; i < out; i++)
      if (dst[i] == '\n' || dst[i] == '\r') dst[i] = ' ';
  return out;
}

int dp_state_accept(dp_state_t *st, const jbatch_t *scan, const char *route_type) {
  for (size_t i = 0; i < scan->n; i++) {
    const jevent_t *ev = &scan->events[i];
    st->stats.events++;
    int fresh = 1;
    if (ev->message_id.p) {
      fresh = idset_add(&st->ids, ev->message_id.p, ev->message_id.n);
      if (fresh < 0) return -1;
    }
    if (fresh) st->stats.unique++;
    else st->stats.duplicates++;
    if (st->cfg.store || st->record) {
      size_t len = render_event(ev, route_type, NULL, 0);
      if (events_reserve(st, len + 2)) return -1;
      /* render at the end of the store buffer; in no-store mode it is only scratch space */
      size_t at = st->cfg.store ? st->events_len : 0;
      if (st->cfg.store && at) st->events[at++] = ',';
      render_event(ev, route_type, st->events + at, 1);
      if (st->record) {
        fwrite(st->events + at, 1, len, st->record);
        fputc('\n', st->record);
      }
      if (st->cfg.store) st->events_len = at + len;
    }
  }
  st->stats.batches++;
  if (st->record) fflush(st->record);
  return 0;
}

void dp_state_log_request(dp_state_t *st, const dp_reqlog_t *rec) {
  size_t slot;
  if (st->reqlog_n == REQLOG_CAP) {
    slot = st->reqlog_head;
    free_reqlog_entry(&st->reqlog[slot]);
    st->reqlog_head = (st->reqlog_head + 1) % REQLOG_CAP;
  } else {
    slot = (st->reqlog_head + st->reqlog_n) % REQLOG_CAP;
    st->reqlog_n++;
  }
  st->reqlog[slot] = *rec;
  st->stats.requests++;
  st->stats.bytes_wire += rec->bytes_wire;
  st->stats.bytes_raw += rec->bytes_raw;
  if (rec->status > 0 && rec->status < STATUS_SLOTS) st->stats.status[rec->status]++;
  if (rec->status == 0) st->stats.dropped++;
  if (rec->status < 200 || rec->status > 299) st->stats.rejected++;
}

double dp_state_random(dp_state_t *st) {
  /* xorshift64*: plenty for picking which requests a fault hits */
  uint64_t x = st->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  st->rng = x;
  return (double)((x * 0x2545F4914F6CDD2DULL) >> 11) / 9007199254740992.0;
}
