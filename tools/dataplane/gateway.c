#include "gateway.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gunzip.h"

#define MAX_REQ_BYTES 4096000u /* maxReqSizeInKB (4000) x 1024 */
#define MAX_INFLATED ((size_t)64 * 1024 * 1024)

static const char *const single_routes[] = {"track", "identify", "page", "screen", "group",
                                            "alias"};

int gw_is_route(const char *path, size_t n, const char **route_type) {
  *route_type = NULL;
  if (n < 4 || memcmp(path, "/v1/", 4) != 0) return 0;
  path += 4;
  n -= 4;
  if (n == 5 && memcmp(path, "batch", 5) == 0) return 1;
  for (size_t i = 0; i < sizeof single_routes / sizeof *single_routes; i++) {
    if (strlen(single_routes[i]) == n && memcmp(path, single_routes[i], n) == 0) {
      *route_type = single_routes[i];
      return 1;
    }
  }
  return 0;
}

static int b64val(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Decodes standard base64 with padding, as Go's base64.StdEncoding. Returns the length or -1. */
static long b64decode(const char *in, size_t n, char *out, size_t cap) {
  if (n % 4) return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; j++) {
      unsigned char c = (unsigned char)in[i + j];
      if (c == '=' && i + 4 == n && j >= 2) {
        v[j] = 0;
        pad++;
      } else {
        if (pad) return -1;
        v[j] = b64val(c);
        if (v[j] < 0) return -1;
      }
    }
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    if (o + 3 > cap) return -1;
    out[o++] = (char)(w >> 16);
    if (pad < 2) out[o++] = (char)(w >> 8);
    if (pad < 1) out[o++] = (char)w;
  }
  return (long)o;
}

/* 0: user found (maybe empty); -1: no usable Basic credentials. */
static int basic_user(const char *h, size_t n, char *user, size_t cap, size_t *user_len) {
  if (!h || n < 6 || strncasecmp(h, "Basic ", 6) != 0) return -1;
  char dec[1024];
  long dn = b64decode(h + 6, n - 6, dec, sizeof dec);
  if (dn < 0) return -1;
  const char *colon = memchr(dec, ':', (size_t)dn);
  if (!colon) return -1;
  size_t un = (size_t)(colon - dec);
  if (un >= cap) return -1;
  memcpy(user, dec, un);
  user[un] = 0;
  *user_len = un;
  return 0;
}

static void answer(gw_result_t *res, int status, const char *body) {
  res->status = status;
  res->body = body;
}

void gw_evaluate(const dp_config_t *cfg, const char *route_type, const char *authorization,
                 size_t auth_len, const char *content_encoding, size_t ce_len, const char *body,
                 size_t body_len, gw_scratch_t *scratch, gw_result_t *res) {
  memset(res, 0, sizeof *res);
  res->route_type = route_type;
  res->bytes_wire = body_len;

  /* 3. Basic auth: the write key is the user name */
  char user[1024];
  size_t user_len = 0;
  if (basic_user(authorization, auth_len, user, sizeof user, &user_len) || user_len == 0)
    return answer(res, 401, "failed to read writekey from header\n");
  if (cfg->n_write_keys) {
    int known = 0;
    for (size_t i = 0; i < cfg->n_write_keys && !known; i++)
      known = strlen(cfg->write_keys[i]) == user_len &&
              memcmp(cfg->write_keys[i], user, user_len) == 0;
    if (!known) return answer(res, 401, "invalid write key\n");
  }

  /* 4. body, inflated only for exactly "gzip" */
  const char *raw = body;
  size_t raw_len = body_len;
  if (content_encoding && ce_len == 4 && memcmp(content_encoding, "gzip", 4) == 0) {
    res->gzip = 1;
    int rc = gunzip((const unsigned char *)body, body_len, &scratch->raw, &scratch->raw_cap,
                    &raw_len, MAX_INFLATED);
    res->bytes_raw = raw_len;
    if (rc == GUNZIP_TOO_BIG) return answer(res, 413, "request size exceeds max limit\n");
    if (rc != GUNZIP_OK) return answer(res, 500, "failed to read body from request\n");
    raw = scratch->raw;
  }
  res->bytes_raw = raw_len;

  /* 5. JSON validity */
  if (jscan_batch(raw, raw_len, route_type != NULL, &scratch->scan))
    return answer(res, 400, "invalid json\n");
  res->scanned = 1;
  jbatch_t *b = &scratch->scan;
  res->events = b->n;

  /* 6. each event must be an object */
  if (b->bad_element) return answer(res, 400, "event is not a valid rudder event\n");

  /* 7. identity, for the whole request */
  for (size_t i = 0; i < b->n; i++) {
    const jevent_t *e = &b->events[i];
    if (!route_type && (jscan_string_is(e->type, "extract") || jscan_string_is(e->type, "retl")))
      continue;
    if (!jscan_identity_present(e->user_id) && !jscan_identity_present(e->anonymous_id))
      return answer(res, 400, "request neither has anonymousId nor userId\n");
  }

  /* 10. size, measured on the decompressed body */
  if (raw_len > MAX_REQ_BYTES) return answer(res, 413, "request size exceeds max limit\n");

  /* 11. empty batch */
  if (b->n == 0) return answer(res, 400, "empty batch payload\n");

  answer(res, 200, "ok");
}

void gw_scratch_free(gw_scratch_t *s) {
  free(s->raw);
  s->raw = NULL;
  s->raw_cap = 0;
  jscan_free(&s->scan);
}
