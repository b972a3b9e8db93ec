/* Tests of the local data plane stand-in (tools/dataplane) through the C test harness: what a
 * client of it sees on the wire, and what its control and inspection API reports. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "dataplane.h"

#define KEY_AUTH "Authorization: Basic V0s6" /* base64("WK:") */

static dp_t *dp; /* the shared stand-in, started with --write-key WK --write-key OTHER */

/* POSTs body to path with the WK key; gzip-compresses it when gz. */
static dp_response_t post(const char *path, const char *body, int gz) {
  dp_response_t r;
  size_t n = strlen(body), zn = 0;
  unsigned char *z = gz ? dp_gzip(body, n, &zn) : NULL;
  const char *hdr_plain[] = {KEY_AUTH, "Content-Type: application/json", "User-Agent: dp-test/1",
                             NULL};
  const char *hdr_gzip[] = {KEY_AUTH, "Content-Type: application/json", "Content-Encoding: gzip",
                            "User-Agent: dp-test/1", NULL};
  dp_request(dp, "POST", path, gz ? hdr_gzip : hdr_plain, gz ? (void *)z : body, gz ? zn : n, &r);
  free(z);
  return r;
}

static void expect_answer(const char *path, const char *body, int gz, long status,
                          const char *text, int line) {
  dp_response_t r = post(path, body, gz);
  if (r.status != status || (text && strcmp(r.body, text) != 0))
    check_fail_(__FILE__, line, "POST %s %.60s -> %ld \"%s\", expected %ld \"%s\"", path, body,
                r.status, r.body ? r.body : "", status, text ? text : "");
  dp_response_free(&r);
}
#define EXPECT(path, body, gz, status, text) expect_answer(path, body, gz, status, text, __LINE__)

/* A batch body with n track events whose messageIds are prefix-0..n-1. */
static char *make_batch(int n, const char *prefix) {
  size_t cap = (size_t)n * 200 + 64, len = 0;
  char *b = malloc(cap);
  len += (size_t)snprintf(b, cap, "{\"batch\":[");
  for (int i = 0; i < n; i++)
    len += (size_t)snprintf(b + len, cap - len,
                            "%s{\"type\":\"track\",\"event\":\"E\",\"userId\":\"u%d\","
                            "\"messageId\":\"%s-%d\"}",
                            i ? "," : "", i, prefix, i);
  snprintf(b + len, cap - len, "],\"sentAt\":\"2026-11-24T05:40:00.000Z\"}");
  return b;
}

static void reset(void) { CHECK(dp_reset(dp) == 0, "POST /_reset failed"); }

/* ---------------------------------------------------------------------------------------- */

static void test_health_and_routing(void) {
  reset();
  cJSON *h = dp_get(dp, "/health");
  CHECK(h && cJSON_IsTrue(cJSON_GetObjectItem(h, "ok")), "GET /health is not {\"ok\":true}");
  cJSON_Delete(h);
  dp_response_t r;
  dp_request(dp, "GET", "/nowhere", NULL, NULL, 0, &r);
  CHECK_EQ_INT(r.status, 404);
  dp_response_free(&r);
  dp_request(dp, "GET", "/v1/batch", NULL, NULL, 0, &r);
  CHECK_EQ_INT(r.status, 405);
  dp_response_free(&r);
  dp_request(dp, "POST", "/health", NULL, "", 0, &r);
  CHECK_EQ_INT(r.status, 405);
  dp_response_free(&r);
}

static void test_auth(void) {
  reset();
  const char *batch = "{\"batch\":[{\"userId\":\"u\",\"messageId\":\"a1\"}]}";
  dp_response_t r;
  const char *none[] = {NULL};
  dp_request(dp, "POST", "/v1/batch", none, batch, strlen(batch), &r);
  CHECK_EQ_INT(r.status, 401);
  CHECK_EQ_STR(r.body, "failed to read writekey from header\n");
  dp_response_free(&r);

  const char *garbage[] = {"Authorization: Basic !!notbase64", NULL};
  dp_request(dp, "POST", "/v1/batch", garbage, batch, strlen(batch), &r);
  CHECK_EQ_INT(r.status, 401);
  CHECK_EQ_STR(r.body, "failed to read writekey from header\n");
  dp_response_free(&r);

  const char *empty_user[] = {"Authorization: Basic Og==", NULL}; /* ":" */
  dp_request(dp, "POST", "/v1/batch", empty_user, batch, strlen(batch), &r);
  CHECK_EQ_INT(r.status, 401);
  CHECK_EQ_STR(r.body, "failed to read writekey from header\n");
  dp_response_free(&r);

  const char *wrong[] = {"Authorization: Basic V1JPTkc6", NULL}; /* "WRONG:" */
  dp_request(dp, "POST", "/v1/batch", wrong, batch, strlen(batch), &r);
  CHECK_EQ_INT(r.status, 401);
  CHECK_EQ_STR(r.body, "invalid write key\n");
  dp_response_free(&r);

  const char *other[] = {"Authorization: Basic T1RIRVI6", NULL}; /* "OTHER:" */
  dp_request(dp, "POST", "/v1/batch", other, batch, strlen(batch), &r);
  CHECK_EQ_INT(r.status, 200);
  CHECK_EQ_STR(r.body, "ok");
  dp_response_free(&r);

  EXPECT("/v1/batch", batch, 0, 200, "ok");
  CHECK_EQ_INT(dp_stat(dp, "events"), 2);
  CHECK_EQ_INT(dp_stat(dp, "status.401"), 4);
  CHECK_EQ_INT(dp_stat(dp, "rejected"), 4);
}

static void test_plain_and_gzip_bodies(void) {
  reset();
  char *b = make_batch(3, "plain");
  EXPECT("/v1/batch", b, 0, 200, "ok");
  free(b);
  b = make_batch(5, "gz");
  EXPECT("/v1/batch", b, 1, 200, "ok");
  CHECK_EQ_INT(dp_stat(dp, "events"), 8);
  CHECK_EQ_INT(dp_stat(dp, "batches"), 2);

  cJSON *reqs = dp_get(dp, "/_requests");
  CHECK(cJSON_GetArraySize(reqs) == 2, "expected 2 requests logged");
  cJSON *second = cJSON_GetArrayItem(reqs, 1);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(second, "gzip")), "gzip request not marked gzip");
  CHECK_EQ_INT(cJSON_GetObjectItem(second, "bytesRaw")->valuedouble, strlen(b));
  CHECK(cJSON_GetObjectItem(second, "bytesWire")->valuedouble !=
            cJSON_GetObjectItem(second, "bytesRaw")->valuedouble,
        "gzip request has bytesWire == bytesRaw");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(second, "contentEncoding")), "gzip");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(second, "authorization")), "Basic V0s6");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(second, "contentType")),
               "application/json");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(second, "batchSentAt")),
               "2026-11-24T05:40:00.000Z");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(second, "userAgent")), "dp-test/1");
  cJSON_Delete(reqs);

  /* only the exact value "gzip" switches decompression on */
  size_t zn;
  unsigned char *z = dp_gzip(b, strlen(b), &zn);
  const char *upper[] = {KEY_AUTH, "Content-Encoding: GZIP", NULL};
  dp_response_t r;
  dp_request(dp, "POST", "/v1/batch", upper, z, zn, &r);
  CHECK_EQ_INT(r.status, 400);
  CHECK_EQ_STR(r.body, "invalid json\n");
  dp_response_free(&r);
  free(z);
  /* a body that is not gzip under Content-Encoding: gzip */
  const char *gz[] = {KEY_AUTH, "Content-Encoding: gzip", NULL};
  dp_request(dp, "POST", "/v1/batch", gz, b, strlen(b), &r);
  CHECK_EQ_INT(r.status, 500);
  CHECK_EQ_STR(r.body, "failed to read body from request\n");
  dp_response_free(&r);
  free(b);
  CHECK_EQ_INT(dp_stat(dp, "events"), 8);
}

static void test_single_event_routes(void) {
  reset();
  const char *routes[] = {"track", "identify", "page", "screen", "group", "alias"};
  for (int i = 0; i < 6; i++) {
    char path[32];
    snprintf(path, sizeof path, "/v1/%s", routes[i]);
    EXPECT(path, "{\"type\":\"wrong\",\"userId\":\"u1\",\"event\":\"E\"}", 0, 200, "ok");
  }
  EXPECT("/v1/track", "{\"anonymousId\":\"a1\"}", 1, 200, "ok"); /* no type: one is added */
  EXPECT("/v1/track", "[{\"userId\":\"u1\"}]", 0, 400, "event is not a valid rudder event\n");
  EXPECT("/v1/track", "{\"event\":\"E\"}", 0, 400, "request neither has anonymousId nor userId\n");
  cJSON *ev = dp_get(dp, "/_events");
  CHECK(cJSON_GetArraySize(ev) == 7, "expected 7 events, got %d", cJSON_GetArraySize(ev));
  for (int i = 0; i < 6 && i < cJSON_GetArraySize(ev); i++)
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, i), "type")),
                 routes[i]);
  cJSON *last = cJSON_GetArrayItem(ev, 6);
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(last, "type")), "track");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(last, "anonymousId")), "a1");
  cJSON_Delete(ev);
}

static void test_identity_check(void) {
  reset();
  EXPECT("/v1/batch",
         "{\"batch\":[{\"userId\":\"u\",\"messageId\":\"i1\"},{\"event\":\"no ids\"}]}", 0, 400,
         "request neither has anonymousId nor userId\n");
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":\"  \",\"anonymousId\":null}]}", 0, 400,
         "request neither has anonymousId nor userId\n");
  EXPECT("/v1/batch", "{\"batch\":[{\"anonymousId\":\"anon\"}]}", 0, 200, "ok");
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":42}]}", 0, 200, "ok");
  EXPECT("/v1/batch", "{\"batch\":[{\"type\":\"extract\",\"event\":\"x\"}]}", 0, 200, "ok");
  CHECK_EQ_INT(dp_stat(dp, "events"), 3);
}

static void test_invalid_bodies(void) {
  reset();
  EXPECT("/v1/batch", "{\"batch\":[", 0, 400, "invalid json\n");
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":\"u\"}]} trailing", 0, 400, "invalid json\n");
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":\"u\\x\"}]}", 0, 400, "invalid json\n");
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":01}]}", 0, 400, "invalid json\n");
  EXPECT("/v1/batch", "", 0, 400, "invalid json\n");
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":\"u\"}, 3]}", 0, 400,
         "event is not a valid rudder event\n");
  EXPECT("/v1/batch", "{\"batch\":[]}", 0, 400, "empty batch payload\n");
  EXPECT("/v1/batch", "{\"sentAt\":\"x\"}", 0, 400, "empty batch payload\n");
  EXPECT("/v1/batch", "[]", 0, 400, "empty batch payload\n");
  CHECK_EQ_INT(dp_stat(dp, "events"), 0);
  CHECK_EQ_INT(dp_stat(dp, "rejected"), 9);
}

static void test_size_limit(void) {
  reset();
  /* 4096000 bytes of decompressed body is the gateway's limit, checked on the inflated size */
  int n = 4096000 / 70 + 10;
  char *b = make_batch(n, "big");
  CHECK(strlen(b) > 4096000, "test batch too small (%zu)", strlen(b));
  EXPECT("/v1/batch", b, 1, 413, "request size exceeds max limit\n");
  EXPECT("/v1/batch", b, 0, 413, "request size exceeds max limit\n");
  free(b);
  b = make_batch(n / 2, "half");
  EXPECT("/v1/batch", b, 1, 200, "ok");
  free(b);
  CHECK_EQ_INT(dp_stat(dp, "events"), n / 2);
}

static void test_fault_status_count_rate(void) {
  reset();
  char *b = make_batch(2, "f");
  CHECK(dp_control(dp, "{\"status\":503,\"count\":2}") == 0, "control refused");
  EXPECT("/v1/batch", b, 1, 503, NULL);
  EXPECT("/v1/batch", b, 1, 503, NULL);
  EXPECT("/v1/batch", b, 1, 200, "ok");
  CHECK_EQ_INT(dp_stat(dp, "status.503"), 2);
  CHECK_EQ_INT(dp_stat(dp, "events"), 2); /* faulted requests are not accepted */
  CHECK_EQ_INT(dp_stat(dp, "rejected"), 2);

  /* a status fault with its own body */
  CHECK(dp_control(dp, "{\"status\":400,\"body\":\"nope\",\"count\":1}") == 0, "control refused");
  EXPECT("/v1/batch", b, 0, 400, "nope\n");

  /* rate: about half of 100 requests */
  CHECK(dp_control(dp, "{\"status\":500,\"rate\":0.5}") == 0, "control refused");
  int hit = 0;
  for (int i = 0; i < 100; i++) {
    dp_response_t r = post("/v1/batch", b, 0);
    if (r.status == 500) hit++;
    else CHECK_EQ_INT(r.status, 200);
    dp_response_free(&r);
  }
  CHECK(hit > 15 && hit < 85, "rate 0.5 hit %d of 100 requests", hit);
  CHECK_EQ_INT(dp_stat(dp, "status.500"), hit);
  CHECK_EQ_INT(dp_stat(dp, "events"), 2 + 2 * (100 - hit));

  CHECK(dp_control(dp, "{\"status\":500,\"rate\":0}") == 0, "control refused");
  EXPECT("/v1/batch", b, 0, 200, "ok");
  CHECK(dp_control(dp, "{}") == 0, "control refused");
  EXPECT("/v1/batch", b, 0, 200, "ok");
  free(b);
}

typedef struct {
  const dp_t *dp;
  dp_response_t r;
} bg_post_t;

static void *bg_post(void *arg) {
  bg_post_t *p = arg;
  const char *hdr[] = {KEY_AUTH, NULL};
  const char *body = "{\"batch\":[{\"userId\":\"slow\",\"messageId\":\"slow-1\"}]}";
  dp_request_fresh(p->dp, "POST", "/v1/batch", hdr, body, strlen(body), &p->r);
  return NULL;
}

static void test_fault_delay_does_not_block_others(void) {
  reset();
  CHECK(dp_control(dp, "{\"delayMs\":4000,\"count\":1}") == 0, "control refused");
  bg_post_t slow = {.dp = dp};
  pthread_t t;
  pthread_create(&t, NULL, bg_post, &slow);
  CHECK(dp_wait_stat(dp, "pending", 1, 10000) == 0, "the delayed request never arrived");
  /* while it waits, another connection is served */
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":\"fast\",\"messageId\":\"fast-1\"}]}", 0, 200,
         "ok");
  CHECK_EQ_INT(dp_stat(dp, "events"), 1);
  CHECK_EQ_INT(dp_stat(dp, "pending"), 1);
  pthread_join(t, NULL);
  CHECK_EQ_INT(slow.r.status, 200); /* a delay alone still answers normally */
  dp_response_free(&slow.r);
  CHECK_EQ_INT(dp_stat(dp, "events"), 2);
  CHECK_EQ_INT(dp_stat(dp, "pending"), 0);
  cJSON *ev = dp_get(dp, "/_events");
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 1), "userId")),
               "slow");
  cJSON_Delete(ev);
}

static void test_fault_drop(void) {
  reset();
  CHECK(dp_control(dp, "{\"drop\":true,\"count\":1}") == 0, "control refused");
  const char *b = "{\"batch\":[{\"userId\":\"u\",\"messageId\":\"d1\"}]}";
  /* a fresh connection: on a reused one libcurl would quietly re-send the request once */
  const char *hdr[] = {KEY_AUTH, NULL};
  dp_response_t r;
  CHECK(dp_request_fresh(dp, "POST", "/v1/batch", hdr, b, strlen(b), &r) != 0,
        "a dropped request got an answer");
  CHECK_EQ_INT(r.status, 0);
  dp_response_free(&r);
  EXPECT("/v1/batch", b, 0, 200, "ok");
  CHECK_EQ_INT(dp_stat(dp, "dropped"), 1);
  CHECK_EQ_INT(dp_stat(dp, "requests"), 2);
  CHECK_EQ_INT(dp_stat(dp, "events"), 1);
}

static void test_fault_retry_after(void) {
  reset();
  CHECK(dp_control(dp, "{\"status\":429,\"retryAfter\":\"2\",\"count\":1}") == 0,
        "control refused");
  dp_response_t r = post("/v1/batch", "{\"batch\":[{\"userId\":\"u\"}]}", 0);
  CHECK_EQ_INT(r.status, 429);
  CHECK_EQ_STR(r.body, "max requests limit reached\n");
  char v[64];
  CHECK_EQ_STR(dp_response_header(&r, "Retry-After", v, sizeof v), "2");
  dp_response_free(&r);
  r = post("/v1/batch", "{\"batch\":[{\"userId\":\"u\"}]}", 0);
  CHECK_EQ_INT(r.status, 200);
  CHECK(dp_response_header(&r, "Retry-After", v, sizeof v) == NULL,
        "Retry-After sent after the fault ended");
  dp_response_free(&r);
}

static void test_fault_max_events(void) {
  reset();
  CHECK(dp_control(dp, "{\"maxEvents\":2}") == 0, "control refused");
  char *three = make_batch(3, "m3"), *two = make_batch(2, "m2");
  EXPECT("/v1/batch", three, 1, 413, "batch exceeds the maximum allowed number of events\n");
  EXPECT("/v1/batch", two, 1, 200, "ok");
  EXPECT("/v1/batch", three, 0, 413, "batch exceeds the maximum allowed number of events\n");
  CHECK_EQ_INT(dp_stat(dp, "events"), 2);
  CHECK_EQ_INT(dp_stat(dp, "status.413"), 2);
  free(three);
  free(two);
}

static void test_control_rejects_bad_input(void) {
  reset();
  dp_response_t r;
  const char *hdr[] = {"Content-Type: application/json", NULL};
  const char *bad[] = {"{\"stauts\":503}", "{\"status\":\"503\"}", "{\"rate\":2}", "[1]", "{",
                       "{\"count\":-1}", "{\"drop\":1}"};
  const char *names[] = {"stauts", "status", "rate", "object", "json", "count", "drop"};
  for (int i = 0; i < 7; i++) {
    dp_request(dp, "POST", "/_control", hdr, bad[i], strlen(bad[i]), &r);
    CHECK(r.status == 400 && strstr(r.body, names[i]),
          "/_control %s -> %ld %s (expected 400 naming %s)", bad[i], r.status, r.body, names[i]);
    dp_response_free(&r);
  }
  /* a refused control leaves no fault behind */
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":\"u\"}]}", 0, 200, "ok");

  /* the fault in force can be read back, from /_control and from /_stats */
  CHECK(dp_control(dp, "{\"status\":503,\"retryAfter\":7,\"count\":3}") == 0, "control refused");
  cJSON *f = dp_get(dp, "/_control");
  CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(f, "status")), 503);
  CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(f, "count")), 3);
  CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(f, "retryAfter")), "7");
  cJSON_Delete(f);
  CHECK_EQ_INT(dp_stat(dp, "fault.status"), 503);
  CHECK(dp_control(dp, "{}") == 0, "control refused");
  f = dp_get(dp, "/_control");
  CHECK(cJSON_IsObject(f) && cJSON_GetArraySize(f) == 0, "{} did not clear the fault");
  cJSON_Delete(f);
}

static void test_stats_and_duplicates(void) {
  reset();
  char *b = make_batch(10, "dup");
  EXPECT("/v1/batch", b, 1, 200, "ok");
  EXPECT("/v1/batch", b, 0, 200, "ok"); /* a retry: same messageIds */
  free(b);
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":\"u\"}]}", 0, 200, "ok"); /* no messageId */
  cJSON *s = dp_get(dp, "/_stats");
  CHECK(s != NULL, "no stats");
  const char *keys[] = {"requests", "batches", "events", "unique", "duplicates", "rejected"};
  long want[] = {3, 3, 21, 11, 10, 0};
  for (int i = 0; i < 6; i++) {
    cJSON *v = cJSON_GetObjectItem(s, keys[i]);
    CHECK(cJSON_IsNumber(v) && (long)v->valuedouble == want[i], "stats.%s = %g, expected %ld",
          keys[i], v ? v->valuedouble : -1, want[i]);
  }
  CHECK(cJSON_GetObjectItem(s, "bytesWire")->valuedouble > 0, "bytesWire not counted");
  CHECK(cJSON_GetObjectItem(s, "bytesRaw")->valuedouble >
            cJSON_GetObjectItem(s, "bytesWire")->valuedouble,
        "bytesRaw should exceed bytesWire with a gzip request");
  CHECK_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "status"), "200")->valuedouble, 3);
  cJSON_Delete(s);
}

static void test_keep_alive_and_reset(void) {
  reset();
  for (int i = 0; i < 5; i++) EXPECT("/v1/batch", "{\"batch\":[{\"userId\":\"u\"}]}", i % 2, 200, "ok");
  CHECK_EQ_INT(dp_stat(dp, "connections"), 1);
  CHECK_EQ_INT(dp_stat(dp, "requests"), 5);
  CHECK(dp_control(dp, "{\"status\":503}") == 0, "control refused");
  reset();
  /* everything cleared, fault included; the same keep-alive connection counts again */
  cJSON *ev = dp_get(dp, "/_events"), *rq = dp_get(dp, "/_requests");
  CHECK(cJSON_IsArray(ev) && cJSON_GetArraySize(ev) == 0, "events not cleared");
  CHECK(cJSON_IsArray(rq) && cJSON_GetArraySize(rq) == 0, "requests not cleared");
  cJSON_Delete(ev);
  cJSON_Delete(rq);
  CHECK_EQ_INT(dp_stat(dp, "events"), 0);
  CHECK_EQ_INT(dp_stat(dp, "connections"), 0);
  EXPECT("/v1/batch", "{\"batch\":[{\"userId\":\"u\"}]}", 0, 200, "ok");
  CHECK_EQ_INT(dp_stat(dp, "connections"), 1);
}

/* Sends raw bytes on a new connection and returns what came back until the server closed or
 * timeout_ms passed (malloc'd). */
static char *raw_exchange(const char *req, size_t n, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)dp_port(dp))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  char *out = calloc(1, 65536);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
    close(fd);
    return out;
  }
  if (write(fd, req, n) < 0) { /* the answer, if any, says the rest */ }
  size_t len = 0;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0) break;
    ssize_t r = read(fd, out + len, 65535 - len);
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  return out;
}

static void test_raw_http(void) {
  reset();
  char *out = raw_exchange("BLAH\r\n\r\n", 8, 5000);
  CHECK(strncmp(out, "HTTP/1.1 400", 12) == 0, "malformed request got '%.40s'", out);
  free(out);

  /* chunked body, then a pipelined second request on the same connection */
  const char *chunked =
      "POST /v1/batch HTTP/1.1\r\nHost: x\r\n" KEY_AUTH "\r\nTransfer-Encoding: chunked\r\n\r\n"
      "a\r\n{\"batch\":[\r\n"
      "1e\r\n{\"userId\":\"c\",\"messageId\":\"c1\"\r\n"
      "2\r\n}]\r\n"
      "1\r\n}\r\n"
      "0\r\n\r\n"
      "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  out = raw_exchange(chunked, strlen(chunked), 5000);
  CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0 && strstr(out, "\r\n\r\nok"),
        "chunked request got '%.60s'", out);
  CHECK(strstr(out, "{\"ok\":true}") != NULL, "pipelined request not answered: '%s'", out);
  free(out);
  CHECK_EQ_INT(dp_stat(dp, "events"), 1);

  /* Expect: 100-continue is answered before the body is sent */
  const char *expect =
      "POST /v1/batch HTTP/1.1\r\nHost: x\r\n" KEY_AUTH "\r\nContent-Length: 30\r\n"
      "Expect: 100-continue\r\n\r\n";
  out = raw_exchange(expect, strlen(expect), 2000);
  CHECK(strncmp(out, "HTTP/1.1 100 Continue\r\n\r\n", 25) == 0, "no 100 Continue: '%.40s'", out);
  free(out);

  /* a Content-Length over the body limit is refused from the header */
  const char *huge = "POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n";
  out = raw_exchange(huge, strlen(huge), 5000);
  CHECK(strncmp(out, "HTTP/1.1 413", 12) == 0, "huge Content-Length got '%.40s'", out);
  free(out);

  /* binary junk never takes the server down */
  char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 131 + 7);
  free(raw_exchange(junk, sizeof junk, 2000));
  cJSON *h = dp_get(dp, "/health");
  CHECK(h != NULL, "server gone after junk input");
  cJSON_Delete(h);
}

static void test_restart_on_same_port(void) {
  dp_t *own = dp_start((const char *const[]){"--no-store", NULL});
  CHECK(own != NULL, "could not start a second stand-in");
  if (!own) return;
  int port = dp_port(own);
  CHECK_EQ_INT(dp_stop_keep_port(own), 0); /* SIGTERM: clean exit */
  dp_response_t r;
  const char *hdr[] = {KEY_AUTH, NULL};
  dp_request(own, "GET", "/health", hdr, NULL, 0, &r);
  CHECK_EQ_INT(r.status, 0); /* nobody listening */
  dp_response_free(&r);
  CHECK(dp_restart(own) == 0, "restart failed");
  CHECK_EQ_INT(dp_port(own), port);
  const char *b = "{\"batch\":[{\"userId\":\"u\",\"messageId\":\"r1\"}]}";
  dp_request(own, "POST", "/v1/batch", hdr, b, strlen(b), &r);
  CHECK_EQ_INT(r.status, 200);
  dp_response_free(&r);
  CHECK_EQ_INT(dp_stat(own, "events"), 1);
  cJSON *ev = dp_get(own, "/_events"); /* --no-store keeps counts only */
  CHECK(cJSON_IsArray(ev) && cJSON_GetArraySize(ev) == 0, "--no-store still stored events");
  cJSON_Delete(ev);
  dp_stop(own);
}

static void test_record_file(void) {
  char path[] = "/tmp/rudder-dp-record-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  dp_t *own = dp_start((const char *const[]){"--record", path, NULL});
  CHECK(own != NULL, "could not start with --record");
  if (!own) return;
  dp_response_t r;
  const char *hdr[] = {KEY_AUTH, NULL};
  const char *b = "{\"batch\":[{\"userId\":\"u\",\n\"messageId\":\"x1\"},{\"userId\":\"v\"}]}";
  dp_request(own, "POST", "/v1/batch", hdr, b, strlen(b), &r);
  CHECK_EQ_INT(r.status, 200);
  dp_response_free(&r);
  dp_stop(own);
  FILE *f = fopen(path, "r");
  char line[256];
  int lines = 0;
  while (f && fgets(line, sizeof line, f)) {
    cJSON *j = cJSON_Parse(line);
    CHECK(cJSON_IsObject(j), "record line %d is not one JSON object: %s", lines + 1, line);
    cJSON_Delete(j);
    lines++;
  }
  if (f) fclose(f);
  CHECK_EQ_INT(lines, 2);
  unlink(path);
}

int main(void) {
  dp = dp_start((const char *const[]){"--write-key", "WK", "--write-key", "OTHER", NULL});
  if (!dp) {
    fprintf(stderr, "cannot start the data plane stand-in\n");
    return 1;
  }
  RUN(test_health_and_routing);
  RUN(test_auth);
  RUN(test_plain_and_gzip_bodies);
  RUN(test_single_event_routes);
  RUN(test_identity_check);
  RUN(test_invalid_bodies);
  RUN(test_size_limit);
  RUN(test_fault_status_count_rate);
  RUN(test_fault_delay_does_not_block_others);
  RUN(test_fault_drop);
  RUN(test_fault_retry_after);
  RUN(test_fault_max_events);
  RUN(test_control_rejects_bad_input);
  RUN(test_stats_and_duplicates);
  RUN(test_keep_alive_and_reset);
  RUN(test_raw_http);
  RUN(test_restart_on_same_port);
  RUN(test_record_file);
  dp_stop(dp);
  return check_summary();
}
