#include "dataplane.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#ifndef RUDDER_DATAPLANE_BIN
#error "RUDDER_DATAPLANE_BIN must be defined (tests/CMakeLists.txt sets it)"
#endif

#define START_TIMEOUT_MS 10000

struct dp {
  pid_t pid;
  int port;
  char url[64];
  char **extra;       /* copy of the extra arguments */
  size_t n_extra;
  int extra_has_port;
  CURL *control;      /* keep-alive handle for control/inspection calls */
  CURL *client;       /* keep-alive handle for dp_request */
};

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void global_init(void) {
  static int done;
  if (!done) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    done = 1;
  }
}

/* Spawns the binary with --port port (when port >= 0 and the extras have none) and reads its
 * listening line. Returns 0 and fills dp->pid/port, or -1. */
static int spawn(dp_t *dp, int port) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC)) {
    fprintf(stderr, "dataplane: pipe: %s\n", strerror(errno));
    return -1;
  }
  const char **argv = calloc(dp->n_extra + 8, sizeof *argv);
  if (!argv) return -1;
  size_t n = 0;
  char portbuf[16];
  argv[n++] = RUDDER_DATAPLANE_BIN;
  const char *verbose = getenv("RUDDER_DP_VERBOSE");
  if (!verbose || !*verbose || strcmp(verbose, "0") == 0) argv[n++] = "--quiet";
  if (!dp->extra_has_port || port > 0) {
    snprintf(portbuf, sizeof portbuf, "%d", port > 0 ? port : 0);
    argv[n++] = "--port";
    argv[n++] = portbuf;
  }
  for (size_t i = 0; i < dp->n_extra; i++) {
    /* on a restart the explicit port wins over one in the extras */
    if (port > 0 && strcmp(dp->extra[i], "--port") == 0 && i + 1 < dp->n_extra) {
      i++;
      continue;
    }
    argv[n++] = dp->extra[i];
  }
  argv[n] = NULL;

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "dataplane: fork: %s\n", strerror(errno));
    free(argv);
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127); /* the test died before prctl */
    dup2(fds[1], STDOUT_FILENO);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "dataplane: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  free(argv);
  close(fds[1]);

  /* read "listening http://HOST:PORT\n" */
  char line[256];
  size_t len = 0;
  long deadline = now_ms() + START_TIMEOUT_MS;
  int ok = 0;
  while (len < sizeof line - 1) {
    long left = deadline - now_ms();
    if (left <= 0) break;
    struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
    int pr = poll(&pfd, 1, (int)left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) break;
    ssize_t r = read(fds[0], line + len, sizeof line - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
    line[len] = 0;
    if (strchr(line, '\n')) {
      ok = 1;
      break;
    }
  }
  close(fds[0]);
  line[len] = 0;
  const char *p = ok ? strrchr(line, ':') : NULL;
  int got = p ? atoi(p + 1) : 0;
  if (!ok || strncmp(line, "listening http://", 17) != 0 || got <= 0) {
    fprintf(stderr, "dataplane: %s did not report listening (got '%.*s')\n", RUDDER_DATAPLANE_BIN,
            (int)strcspn(line, "\n"), line);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
  }
  dp->pid = pid;
  dp->port = got;
  /* the URL is what the stand-in printed after "listening " */
  snprintf(dp->url, sizeof dp->url, "%.*s", (int)strcspn(line + 10, "\r\n"), line + 10);
  return 0;
}

dp_t *dp_start(const char *const *extra_args) {
  global_init();
  dp_t *dp = calloc(1, sizeof *dp);
  if (!dp) return NULL;
  dp->pid = -1;
  size_t n = 0;
  while (extra_args && extra_args[n]) n++;
  dp->extra = calloc(n + 1, sizeof *dp->extra);
  for (size_t i = 0; i < n; i++) {
    dp->extra[i] = strdup(extra_args[i]);
    if (strcmp(extra_args[i], "--port") == 0) dp->extra_has_port = 1;
  }
  dp->n_extra = n;
  if (spawn(dp, -1)) {
    dp_stop(dp);
    return NULL;
  }
  return dp;
}

const char *dp_url(const dp_t *dp) { return dp->url; }
int dp_port(const dp_t *dp) { return dp->port; }
pid_t dp_pid(const dp_t *dp) { return dp->pid; }

/* ---- HTTP ------------------------------------------------------------------------------ */

typedef struct {
  char *p;
  size_t len;
} grow_t;

static size_t collect(char *data, size_t size, size_t nmemb, void *userp) {
  grow_t *g = userp;
  size_t n = size * nmemb;
  char *p = realloc(g->p, g->len + n + 1);
  if (!p) return 0;
  memcpy(p + g->len, data, n);
  g->p = p;
  g->len += n;
  g->p[g->len] = 0;
  return n;
}

static int perform(CURL *h, const char *url, const char *method, const char *const *headers,
                   const void *body, size_t body_len, dp_response_t *out) {
  memset(out, 0, sizeof *out);
  grow_t b = {0}, hd = {0};
  struct curl_slist *list = NULL;
  for (size_t i = 0; headers && headers[i]; i++) list = curl_slist_append(list, headers[i]);
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
  if (list) curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  if (!method) method = "POST";
  if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    if (strcmp(method, "POST") != 0) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
  }
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(list);
  out->body = b.p ? b.p : strdup("");
  out->body_len = b.len;
  out->headers = hd.p ? hd.p : strdup("");
  if (rc != CURLE_OK) {
    snprintf(out->error, sizeof out->error, "%s", curl_easy_strerror(rc));
    return -1;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
  return 0;
}

int dp_request(dp_t *dp, const char *method, const char *path, const char *const *headers,
               const void *body, size_t body_len, dp_response_t *out) {
  if (!dp->client) dp->client = curl_easy_init();
  char url[512];
  snprintf(url, sizeof url, "%s%s", dp->url, path);
  return perform(dp->client, url, method, headers, body, body_len, out);
}

int dp_request_fresh(const dp_t *dp, const char *method, const char *path,
                     const char *const *headers, const void *body, size_t body_len,
                     dp_response_t *out) {
  CURL *h = curl_easy_init();
  if (!h) {
    memset(out, 0, sizeof *out);
    snprintf(out->error, sizeof out->error, "curl_easy_init failed");
    return -1;
  }
  char url[512];
  snprintf(url, sizeof url, "%s%s", dp->url, path);
  int rc = perform(h, url, method, headers, body, body_len, out);
  curl_easy_cleanup(h);
  return rc;
}

void dp_response_free(dp_response_t *r) {
  if (!r) return;
  free(r->body);
  free(r->headers);
  r->body = r->headers = NULL;
}

const char *dp_response_header(const dp_response_t *r, const char *name, char *buf, size_t cap) {
  size_t nn = strlen(name);
  const char *p = r->headers;
  while (p && *p) {
    const char *eol = strchr(p, '\n');
    size_t ll = eol ? (size_t)(eol - p) : strlen(p);
    if (ll > nn && strncasecmp(p, name, nn) == 0 && p[nn] == ':') {
      const char *v = p + nn + 1;
      while (*v == ' ' || *v == '\t') v++;
      size_t vn = (size_t)(p + ll - v);
      while (vn && (v[vn - 1] == '\r' || v[vn - 1] == ' ')) vn--;
      snprintf(buf, cap, "%.*s", (int)vn, v);
      return buf;
    }
    p = eol ? eol + 1 : NULL;
  }
  return NULL;
}

static dp_response_t control_call(dp_t *dp, const char *method, const char *path,
                                  const char *body) {
  if (!dp->control) dp->control = curl_easy_init();
  char url[512];
  snprintf(url, sizeof url, "%s%s", dp->url, path);
  dp_response_t r;
  const char *const hdr[] = {"Content-Type: application/json", NULL};
  perform(dp->control, url, method, hdr, body, body ? strlen(body) : 0, &r);
  return r;
}

int dp_control(dp_t *dp, const char *json) {
  dp_response_t r = control_call(dp, "POST", "/_control", json);
  int ok = r.status == 200;
  if (!ok)
    fprintf(stderr, "dataplane: /_control %s -> %ld %s%s\n", json, r.status, r.body ? r.body : "",
            r.error);
  dp_response_free(&r);
  return ok ? 0 : -1;
}

int dp_reset(dp_t *dp) {
  dp_response_t r = control_call(dp, "POST", "/_reset", "");
  int ok = r.status == 200;
  dp_response_free(&r);
  return ok ? 0 : -1;
}

cJSON *dp_get(dp_t *dp, const char *path) {
  dp_response_t r = control_call(dp, "GET", path, NULL);
  cJSON *j = r.status == 200 ? cJSON_ParseWithLength(r.body, r.body_len) : NULL;
  if (!j) fprintf(stderr, "dataplane: GET %s -> %ld %s\n", path, r.status, r.error);
  dp_response_free(&r);
  return j;
}

static long stat_of(const cJSON *stats, const char *key) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", key);
  const cJSON *node = stats;
  for (char *save = NULL, *part = strtok_r(buf, ".", &save); part;
       part = strtok_r(NULL, ".", &save)) {
    node = cJSON_GetObjectItemCaseSensitive(node, part);
    if (!node) return 0;
  }
  return cJSON_IsNumber(node) ? (long)node->valuedouble : -1;
}

long dp_stat(dp_t *dp, const char *key) {
  cJSON *j = dp_get(dp, "/_stats");
  if (!j) return -1;
  long v = stat_of(j, key);
  cJSON_Delete(j);
  return v;
}

int dp_wait_stat(dp_t *dp, const char *key, long at_least, int timeout_ms) {
  long deadline = now_ms() + timeout_ms;
  for (;;) {
    long v = dp_stat(dp, key);
    if (v >= at_least) return 0;
    if (now_ms() >= deadline) {
      fprintf(stderr, "dataplane: %s stayed at %ld, wanted >= %ld within %d ms\n", key, v,
              at_least, timeout_ms);
      return -1;
    }
    usleep(5000);
  }
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

int dp_stop_keep_port(dp_t *dp) {
  if (!dp || dp->pid <= 0) return -1;
  /* connections to the old process are gone; do not let curl try to reuse them */
  if (dp->control) { curl_easy_cleanup(dp->control); dp->control = NULL; }
  if (dp->client) { curl_easy_cleanup(dp->client); dp->client = NULL; }
  kill(dp->pid, SIGTERM);
  int status = 0;
  long deadline = now_ms() + 10000;
  for (;;) {
    pid_t w = waitpid(dp->pid, &status, WNOHANG);
    if (w == dp->pid || (w < 0 && errno != EINTR)) break;
    if (now_ms() > deadline) {
      fprintf(stderr, "dataplane: pid %d ignored SIGTERM; killing it\n", (int)dp->pid);
      kill(dp->pid, SIGKILL);
      waitpid(dp->pid, &status, 0);
      break;
    }
    usleep(2000);
  }
  dp->pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int dp_restart(dp_t *dp) {
  if (!dp || dp->pid > 0) return -1;
  /* the port may be in a brief transition; SO_REUSEADDR makes this rare, retry anyway */
  for (int attempt = 0; attempt < 50; attempt++) {
    if (spawn(dp, dp->port) == 0) return 0;
    usleep(50000);
  }
  return -1;
}

void dp_stop(dp_t *dp) {
  if (!dp) return;
  if (dp->pid > 0) dp_stop_keep_port(dp);
  if (dp->control) curl_easy_cleanup(dp->control);
  if (dp->client) curl_easy_cleanup(dp->client);
  for (size_t i = 0; i < dp->n_extra; i++) free(dp->extra[i]);
  free(dp->extra);
  free(dp);
}

unsigned char *dp_gzip(const void *data, size_t len, size_t *out_len) {
  z_stream zs = {0};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return NULL;
  size_t cap = deflateBound(&zs, len) + 32;
  unsigned char *out = malloc(cap);
  if (!out) {
    deflateEnd(&zs);
    return NULL;
  }
  zs.next_in = (unsigned char *)data;
  zs.avail_in = (uInt)len;
  zs.next_out = out;
  zs.avail_out = (uInt)cap;
  int rc = deflate(&zs, Z_FINISH);
  *out_len = cap - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    free(out);
    return NULL;
  }
  return out;
}
