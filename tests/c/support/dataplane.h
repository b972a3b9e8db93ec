/* Drives the local data plane stand-in (tools/dataplane, rudder-dataplane) from C tests:
 * start it on a free loopback port, steer its faults, read its counters, stop it by pid.
 *
 *   dp_t *dp = dp_start(NULL);                 // or (const char *[]){"--write-key", "K", NULL}
 *   ... point the client at dp_url(dp) ...
 *   dp_wait_stat(dp, "events", 10, 10000);     // wait for a condition, never sleep-and-hope
 *   dp_stop(dp);
 *
 * The child gets SIGTERM if the test process dies (PR_SET_PDEATHSIG; start it from the main
 * thread). Set RUDDER_DP_VERBOSE=1 to see its per-request log on stderr. */
#ifndef RUDDER_TEST_DATAPLANE_H
#define RUDDER_TEST_DATAPLANE_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

typedef struct dp dp_t;

/* Starts the stand-in. extra_args: NULL-terminated extra command-line arguments, or NULL.
 * "--port 0" is added unless extra_args has --port. Returns NULL (with a message on stderr)
 * when it cannot be started. */
dp_t *dp_start(const char *const *extra_args);
const char *dp_url(const dp_t *dp); /* "http://127.0.0.1:PORT", no trailing slash */
int dp_port(const dp_t *dp);
pid_t dp_pid(const dp_t *dp);       /* -1 while stopped */

/* POST /_control with a JSON object (e.g. "{\"status\":503,\"count\":2}"; "{}" clears).
 * Returns 0 when accepted. */
int dp_control(dp_t *dp, const char *json);
/* GET a JSON route ("/_stats", "/_events", "/_requests"); NULL on failure. cJSON_Delete it. */
cJSON *dp_get(dp_t *dp, const char *path);
/* One number from /_stats; a dotted key reaches inside ("status.503"). -1 on failure; 0 when
 * the key is absent (a status never seen). */
long dp_stat(dp_t *dp, const char *key);
/* Polls /_stats every few ms until key >= at_least. Returns 0 when reached, -1 on timeout. */
int dp_wait_stat(dp_t *dp, const char *key, long at_least, int timeout_ms);
/* POST /_reset. Returns 0 on success. */
int dp_reset(dp_t *dp);

/* Stops the process (SIGTERM, waitpid) but keeps the port, for outage tests. Returns the
 * exit status of the stand-in (0 = clean), -1 when it was not running. */
int dp_stop_keep_port(dp_t *dp);
/* Starts a new process on the same port and arguments. Returns 0 when it is listening. */
int dp_restart(dp_t *dp);
/* Stops and frees. NULL is fine. */
void dp_stop(dp_t *dp);

/* ---- raw HTTP for tests that play the client themselves --------------------------------- */

typedef struct {
  long status;    /* 0 when no answer came (connection dropped, refused...) */
  char *body;     /* NUL-terminated */
  size_t body_len;
  char *headers;  /* raw response header block */
  char error[256];/* libcurl's message when status == 0 */
} dp_response_t;

/* Sends a request to the stand-in. headers: NULL-terminated "Name: value" strings, or NULL.
 * method NULL = POST. dp_request reuses one keep-alive connection per dp_t (not thread-safe);
 * dp_request_fresh opens its own connection and may be called from any thread.
 * Returns 0 when an answer came, -1 otherwise. Free the response with dp_response_free. */
int dp_request(dp_t *dp, const char *method, const char *path, const char *const *headers,
               const void *body, size_t body_len, dp_response_t *out);
int dp_request_fresh(const dp_t *dp, const char *method, const char *path,
                     const char *const *headers, const void *body, size_t body_len,
                     dp_response_t *out);
void dp_response_free(dp_response_t *r);
/* The value of a response header (case-insensitive name) copied into buf; NULL if absent. */
const char *dp_response_header(const dp_response_t *r, const char *name, char *buf, size_t cap);

/* gzip-compresses data; returns a malloc'd buffer (free it) and its size in *out_len. */
unsigned char *dp_gzip(const void *data, size_t len, size_t *out_len);

#endif
