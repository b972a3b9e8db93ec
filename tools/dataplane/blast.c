/* dataplane-blast: posts pre-built gzipped batches to a data plane over one keep-alive
 * connection and prints the events/s it sustains. Everything is built before the clock starts,
 * so the figure is the server's, not this program's.
 *
 *   dataplane-blast [--url http://127.0.0.1:PORT] [--batches 400] [--events 800] [--key KEY]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define DISTINCT_BATCHES 16

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Varying bytes so the batches compress like real traffic, not 50:1. */
static unsigned long long noise(void) {
  static unsigned long long x = 0x9e3779b97f4a7c15ULL;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

/* One ~580-byte event shaped like what the Node SDK sends for a track call. */
static int make_event(char *dst, size_t cap, long seq) {
  return snprintf(dst, cap,
                  "{\"type\":\"track\",\"event\":\"Product Viewed\",\"userId\":\"user-%ld\","
                  "\"properties\":{\"product_id\":\"507f1f77bcf86cd7994390%02ld\",\"sku\":"
                  "\"G-32\",\"category\":\"Games\",\"name\":\"Monopoly: 3rd Edition\","
                  "\"brand\":\"Hasbro\",\"variant\":\"200 pieces\",\"price\":18.99,"
                  "\"quantity\":1,\"position\":3},\"context\":{\"library\":{\"name\":"
                  "\"ruddercore\",\"version\":\"0.1.0\"},\"ip\":\"203.0.113.7\"},"
                  "\"integrations\":{\"All\":true},\"originalTimestamp\":"
                  "\"2026-11-24T05:40:00.000Z\",\"timestamp\":\"2026-11-24T05:40:00.000Z\","
                  "\"sentAt\":\"2026-11-24T05:40:00.123Z\",\"messageId\":"
                  "\"b7c4e1f2-9a3d-4c5e-8f60-%012ld\",\"channel\":\"server\","
                  "\"anonymousId\":\"%016llx%016llx\"}",
                  seq % 1000, seq % 100, seq, noise(), noise());
}

static unsigned char *gzip_buf(const char *in, size_t n, size_t *out_n) {
  z_stream zs = {0};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return NULL;
  size_t cap = deflateBound(&zs, n);
  unsigned char *out = malloc(cap);
  zs.next_in = (unsigned char *)in;
  zs.avail_in = (uInt)n;
  zs.next_out = out;
  zs.avail_out = (uInt)cap;
  deflate(&zs, Z_FINISH);
  *out_n = cap - zs.avail_out;
  deflateEnd(&zs);
  return out;
}

static int read_response(int fd, char *buf, size_t cap, int *status) {
  size_t len = 0;
  for (;;) {
    ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
    if (r <= 0) return -1;
    len += (size_t)r;
    buf[len] = 0;
    char *eoh = strstr(buf, "\r\n\r\n");
    if (!eoh) continue;
    char *cl = strcasestr(buf, "Content-Length:");
    size_t body = cl ? strtoul(cl + 15, NULL, 10) : 0;
    if (len < (size_t)(eoh + 4 - buf) + body) continue;
    *status = atoi(buf + 9);
    return 0;
  }
}

int main(int argc, char **argv) {
  const char *url = "http://127.0.0.1:8080", *key = "blast-key";
  long batches = 400, per_batch = 800;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--url") == 0) url = argv[i + 1];
    else if (strcmp(argv[i], "--batches") == 0) batches = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--events") == 0) per_batch = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--key") == 0) key = argv[i + 1];
    else {
      fprintf(stderr, "usage: dataplane-blast [--url URL] [--batches N] [--events N] [--key K]\n");
      return 2;
    }
  }
  int port = 0;
  char host[64] = "127.0.0.1";
  if (sscanf(url, "http://%63[^:]:%d", host, &port) != 2 || port <= 0) {
    fprintf(stderr, "dataplane-blast: --url must look like http://127.0.0.1:PORT\n");
    return 2;
  }

  /* Basic base64(key + ":") */
  char cred[256], auth[400];
  snprintf(cred, sizeof cred, "%s:", key);
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t cn = strlen(cred), o = 0;
  for (size_t i = 0; i < cn; i += 3) {
    unsigned v = (unsigned char)cred[i] << 16;
    if (i + 1 < cn) v |= (unsigned char)cred[i + 1] << 8;
    if (i + 2 < cn) v |= (unsigned char)cred[i + 2];
    auth[o++] = b64[(v >> 18) & 63];
    auth[o++] = b64[(v >> 12) & 63];
    auth[o++] = i + 1 < cn ? b64[(v >> 6) & 63] : '=';
    auth[o++] = i + 2 < cn ? b64[v & 63] : '=';
  }
  auth[o] = 0;

  /* Pre-build distinct gzipped batches; each request reuses one (messageIds repeat across
   * rounds, which the server counts as duplicates: that is fine for a throughput figure). */
  unsigned char *bodies[DISTINCT_BATCHES];
  size_t body_n[DISTINCT_BATCHES], raw_total = 0, wire_total = 0;
  char *req_heads[DISTINCT_BATCHES];
  size_t head_n[DISTINCT_BATCHES];
  long seq = 0;
  for (int b = 0; b < DISTINCT_BATCHES; b++) {
    size_t cap = (size_t)per_batch * 700 + 256, len = 0;
    char *raw = malloc(cap);
    len += (size_t)snprintf(raw, cap, "{\"batch\":[");
    for (long e = 0; e < per_batch; e++) {
      if (e) raw[len++] = ',';
      len += (size_t)make_event(raw + len, cap - len, seq++);
    }
    len += (size_t)snprintf(raw + len, cap - len, "],\"sentAt\":\"2026-11-24T05:40:00.123Z\"}");
    raw_total += len;
    bodies[b] = gzip_buf(raw, len, &body_n[b]);
    wire_total += body_n[b];
    free(raw);
    req_heads[b] = malloc(1024);
    head_n[b] = (size_t)snprintf(req_heads[b], 1024,
                                 "POST /v1/batch HTTP/1.1\r\nHost: %s:%d\r\n"
                                 "Authorization: Basic %s\r\nContent-Type: application/json\r\n"
                                 "Content-Encoding: gzip\r\nContent-Length: %zu\r\n"
                                 "User-Agent: dataplane-blast\r\n\r\n",
                                 host, port, auth, body_n[b]);
  }
  double raw_per_batch = (double)raw_total / DISTINCT_BATCHES;
  double wire_per_batch = (double)wire_total / DISTINCT_BATCHES;

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
      connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
    fprintf(stderr, "dataplane-blast: cannot connect to %s: %s\n", url, strerror(errno));
    return 1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  char resp[4096];
  long failed = 0;
  double t0 = now_s();
  for (long i = 0; i < batches; i++) {
    int b = (int)(i % DISTINCT_BATCHES), status = 0;
    if (send(fd, req_heads[b], head_n[b], MSG_MORE) < 0 ||
        send(fd, bodies[b], body_n[b], 0) < 0 || read_response(fd, resp, sizeof resp, &status)) {
      fprintf(stderr, "dataplane-blast: connection failed after %ld requests\n", i);
      return 1;
    }
    if (status != 200) failed++;
  }
  double dt = now_s() - t0;
  double events = (double)batches * (double)per_batch;
  printf("dataplane-blast: %ld batches x %ld events (%.0f B raw, %.0f B gzip each) in %.3f s\n",
         batches, per_batch, raw_per_batch, wire_per_batch, dt);
  printf("events/s: %.0f  (raw %.1f MB/s, %.0f requests/s, %ld non-200)\n", events / dt,
         events / dt * (raw_per_batch / (double)per_batch) / 1e6, (double)batches / dt, failed);
  close(fd);
  return failed ? 1 : 0;
}
