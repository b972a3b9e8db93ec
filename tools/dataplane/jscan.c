#include "jscan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deeper nesting than this is refused (Go's encoding/json stops at 10000 too). */
#define MAX_DEPTH 10000

enum role { ROLE_PLAIN, ROLE_BATCH_TOP, ROLE_BATCH_ARRAY, ROLE_EVENT };

typedef struct {
  const char *s, *end, *p;
  jbatch_t *out;
  int depth;
} scan_t;

/* 1 for bytes that end the fast path inside a string: quote, backslash, control characters. */
static const uint8_t string_stop[256] = {
  [0] = 1, [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1,
  [8] = 1, [9] = 1, [10] = 1, [11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1,
  [16] = 1, [17] = 1, [18] = 1, [19] = 1, [20] = 1, [21] = 1, [22] = 1, [23] = 1,
  [24] = 1, [25] = 1, [26] = 1, [27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1,
  ['"'] = 1, ['\\'] = 1,
};

static int scan_value(scan_t *sc, enum role role);

static inline void skip_ws(scan_t *sc) {
  const char *p = sc->p;
  while (p < sc->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  sc->p = p;
}

static inline int is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* At an opening quote; leaves p after the closing quote. */
static int scan_string(scan_t *sc) {
  const unsigned char *p = (const unsigned char *)sc->p + 1;
  const unsigned char *end = (const unsigned char *)sc->end;
  for (;;) {
    while (end - p >= 4 && !string_stop[p[0]] && !string_stop[p[1]] && !string_stop[p[2]] &&
           !string_stop[p[3]])
      p += 4;
    while (p < end && !string_stop[*p]) p++;
    if (p >= end) return -1;
    if (*p == '"') {
      sc->p = (const char *)p + 1;
      return 0;
    }
    if (*p < 0x20) {
      sc->p = (const char *)p;
      return -1;
    }
    /* backslash */
    if (end - p < 2) return -1;
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      p += 2;
      break;
    case 'u':
      if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5])) {
        sc->p = (const char *)p;
        return -1;
      }
      p += 6;
      break;
    default:
      sc->p = (const char *)p;
      return -1;
    }
  }
}

static int scan_number(scan_t *sc) {
  const char *p = sc->p, *end = sc->end;
  if (p < end && *p == '-') p++;
  if (p >= end) return -1;
  if (*p == '0') {
    p++;
  } else if (*p >= '1' && *p <= '9') {
    while (p < end && *p >= '0' && *p <= '9') p++;
  } else {
    sc->p = p;
    return -1;
  }
  if (p < end && *p == '.') {
    p++;
    if (p >= end || *p < '0' || *p > '9') { sc->p = p; return -1; }
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p >= end || *p < '0' || *p > '9') { sc->p = p; return -1; }
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  sc->p = p;
  return 0;
}

static int scan_literal(scan_t *sc, const char *lit, size_t n) {
  if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, lit, n) != 0) return -1;
  sc->p += n;
  return 0;
}

static jevent_t *new_event(jbatch_t *b) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 1024;
    jevent_t *e = realloc(b->events, cap * sizeof *e);
    if (!e) return NULL;
    b->events = e;
    b->cap = cap;
  }
  jevent_t *e = &b->events[b->n++];
  memset(e, 0, sizeof *e);
  return e;
}

static inline int key_is(const char *k, size_t kn, const char *lit, size_t ln) {
  return kn == ln + 2 && memcmp(k + 1, lit, ln) == 0;
}

static int scan_object(scan_t *sc, enum role role, jevent_t *ev) {
  sc->p++; /* '{' */
  skip_ws(sc);
  if (sc->p < sc->end && *sc->p == '}') {
    sc->p++;
    return 0;
  }
  for (;;) {
    skip_ws(sc);
    if (sc->p >= sc->end || *sc->p != '"') return -1;
    const char *k = sc->p;
    if (scan_string(sc)) return -1;
    size_t kn = (size_t)(sc->p - k);
    skip_ws(sc);
    if (sc->p >= sc->end || *sc->p != ':') return -1;
    sc->p++;
    skip_ws(sc);
    enum role child = ROLE_PLAIN;
    jspan_t *field = NULL;
    if (role == ROLE_BATCH_TOP) {
      if (key_is(k, kn, "batch", 5)) child = ROLE_BATCH_ARRAY;
      else if (key_is(k, kn, "sentAt", 6)) field = &sc->out->sent_at;
    } else if (role == ROLE_EVENT && ev) {
      if (key_is(k, kn, "messageId", 9)) field = &ev->message_id;
      else if (key_is(k, kn, "userId", 6)) field = &ev->user_id;
      else if (key_is(k, kn, "anonymousId", 11)) field = &ev->anonymous_id;
      else if (key_is(k, kn, "type", 4)) field = &ev->type;
    }
    const char *v = sc->p;
    if (scan_value(sc, child)) return -1;
    if (field) { /* the last duplicate key wins, as in Go */
      field->p = v;
      field->n = (size_t)(sc->p - v);
    }
    skip_ws(sc);
    if (sc->p >= sc->end) return -1;
    if (*sc->p == ',') { sc->p++; continue; }
    if (*sc->p == '}') { sc->p++; return 0; }
    return -1;
  }
}

static int scan_array(scan_t *sc, enum role role) {
  sc->p++; /* '[' */
  if (role == ROLE_BATCH_ARRAY) {
    sc->out->batch_is_array = 1;
    sc->out->n = 0; /* a repeated "batch" key: the last one wins */
  }
  skip_ws(sc);
  if (sc->p < sc->end && *sc->p == ']') {
    sc->p++;
    return 0;
  }
  for (;;) {
    skip_ws(sc);
    if (scan_value(sc, role == ROLE_BATCH_ARRAY ? ROLE_EVENT : ROLE_PLAIN)) return -1;
    skip_ws(sc);
    if (sc->p >= sc->end) return -1;
    if (*sc->p == ',') { sc->p++; continue; }
    if (*sc->p == ']') { sc->p++; return 0; }
    return -1;
  }
}

static int scan_value(scan_t *sc, enum role role) {
  if (sc->p >= sc->end) return -1;
  jevent_t *ev = NULL;
  size_t ev_index = 0;
  const char *start = sc->p;
  if (role == ROLE_EVENT) {
    ev = new_event(sc->out);
    if (!ev) return -1;
    ev_index = sc->out->n - 1;
  }
  if (++sc->depth > MAX_DEPTH) return -1;
  int rc;
  switch (*sc->p) {
  case '{': rc = scan_object(sc, role, ev); break;
  case '[': rc = scan_array(sc, role == ROLE_BATCH_ARRAY ? role : ROLE_PLAIN); break;
  case '"': rc = scan_string(sc); break;
  case 't': rc = scan_literal(sc, "true", 4); break;
  case 'f': rc = scan_literal(sc, "false", 5); break;
  case 'n': rc = scan_literal(sc, "null", 4); break;
  default: rc = scan_number(sc); break;
  }
  sc->depth--;
  if (rc) return rc;
  if (role == ROLE_EVENT) {
    ev = &sc->out->events[ev_index]; /* the array may have moved; events do not nest, but be safe */
    ev->text.p = start;
    ev->text.n = (size_t)(sc->p - start);
    ev->is_object = *start == '{';
    if (!ev->is_object) sc->out->bad_element = 1;
  }
  if (role == ROLE_BATCH_TOP) sc->out->top_is_object = *start == '{';
  return 0;
}

int jscan_batch(const char *text, size_t n, int single, jbatch_t *out) {
  out->n = 0;
  out->top_is_object = 0;
  out->batch_is_array = 0;
  out->bad_element = 0;
  out->sent_at.p = NULL;
  out->sent_at.n = 0;
  out->err_at = 0;
  scan_t sc = {.s = text, .end = text + n, .p = text, .out = out, .depth = 0};
  skip_ws(&sc);
  int rc = scan_value(&sc, single ? ROLE_EVENT : ROLE_BATCH_TOP);
  if (rc == 0) {
    skip_ws(&sc);
    if (sc.p != sc.end) rc = -1;
  }
  if (single && rc == 0 && out->n == 1) out->top_is_object = out->events[0].is_object;
  if (rc) out->err_at = (size_t)(sc.p - text);
  return rc;
}

void jscan_free(jbatch_t *b) {
  free(b->events);
  memset(b, 0, sizeof *b);
}

int jscan_identity_present(jspan_t v) {
  if (!v.p || v.n == 0) return 0;
  if (v.n == 4 && memcmp(v.p, "null", 4) == 0) return 0;
  if (v.p[0] != '"') return 1;
  /* a string: blank when only whitespace, written plainly or as an escape */
  for (size_t i = 1; i + 1 < v.n; i++) {
    char c = v.p[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '\\' && i + 2 < v.n) {
      char e = v.p[i + 1];
      if (e == 't' || e == 'n' || e == 'r' || e == 'f') { i++; continue; }
      if (e == 'u' && i + 6 < v.n &&
          (memcmp(v.p + i + 2, "0020", 4) == 0 || memcmp(v.p + i + 2, "000b", 4) == 0 ||
           memcmp(v.p + i + 2, "000B", 4) == 0 || memcmp(v.p + i + 2, "00a0", 4) == 0 ||
           memcmp(v.p + i + 2, "00A0", 4) == 0)) {
        i += 5;
        continue;
      }
    }
    return 1;
  }
  return 0;
}

int jscan_string_is(jspan_t v, const char *lit) {
  size_t ln = strlen(lit);
  return v.p && v.n == ln + 2 && v.p[0] == '"' && memcmp(v.p + 1, lit, ln) == 0;
}
