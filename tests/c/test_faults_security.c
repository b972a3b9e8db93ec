/* Credentials under faults: the Authorization header is never forwarded on a redirect to
 * another host (a local redirector in front of a second local data plane), TLS
 * verification is on unless switched off explicitly (which logs a warning), and the
 * write key appears in no log line, error text, report, stats output, spool or
 * dead-letter file, whatever goes wrong. */
#include "check.h"
#include "dataplane.h"
#include "ruddercore.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITE_KEY "wk-top-secret-9QXZ"

/* ---- everything the library says, collected ------------------------------------------ */

typedef struct said {
    pthread_mutex_t mu;
    char *text;
    size_t len;
    size_t failed, delivered;
    int last_status;
} said_t;

static void say(said_t *s, const char *a, const char *b) {
    pthread_mutex_lock(&s->mu);
    size_t n = strlen(a) + (b ? strlen(b) : 0) + 2;
    s->text = realloc(s->text, s->len + n + 1);
    s->len += (size_t)sprintf(s->text + s->len, "%s%s\n", a, b ? b : "");
    pthread_mutex_unlock(&s->mu);
}

static void on_log(rudder_log_level_t level, const char *line, void *opaque) { say(opaque, line, NULL); }

static void on_report(const rudder_report_t *r, void *opaque) {
    said_t *s = opaque;
    say(s, r->message, r->message_ids);
    if (r->events) say(s, r->events, NULL);
    if (r->kind == RUDDER_REPORT_FAILED) { s->failed += r->count; s->last_status = r->http_status; }
    if (r->kind == RUDDER_REPORT_DELIVERED) s->delivered += r->count;
}

static rudder_client_t *client(const char *url, const char *extra, said_t *s, int with_log_cb) {
    char json[2048], err[512];
    snprintf(json, sizeof json,
             "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"retryBaseDelay\":10,\"retryMaxDelay\":50,\"logLevel\":\"debug\"%s%s}",
             WRITE_KEY, url, *extra ? "," : "", extra);
    rudder_conf_t *conf = rudder_conf_new();
    CHECK_EQ_INT(rudder_conf_set_json(conf, json, strlen(json), err, sizeof err), RUDDER_OK);
    if (with_log_cb) rudder_conf_set_log_cb(conf, on_log, s);
    rudder_conf_set_report_cb(conf, on_report, s);
    char *shown = rudder_conf_get(conf, "writeKey");
    say(s, shown, NULL);
    rudder_free(shown);
    rudder_client_t *c = rudder_client_new(conf, err, sizeof err);
    CHECK(c != NULL, "client: %s", err);
    rudder_conf_destroy(conf);
    return c;
}

/* ---- a redirector: answers every request with 307 to another host --------------------- */

typedef struct redirector {
    int fd, port, requests, saw_auth;
    char location[256];
    pthread_t th;
} redirector_t;

static void *redirect_loop(void *arg) {
    redirector_t *r = arg;
    for (;;) {
        int c = accept(r->fd, NULL, NULL);
        if (c < 0) return NULL;
        char buf[65536];
        size_t got = 0;
        for (;;) { /* read the head, then the body by Content-Length */
            ssize_t n = recv(c, buf + got, sizeof buf - 1 - got, 0);
            if (n <= 0) break;
            got += (size_t)n;
            buf[got] = '\0';
            char *end = strstr(buf, "\r\n\r\n");
            if (!end) continue;
            char *cl = strcasestr(buf, "content-length:");
            size_t body = cl ? (size_t)atol(cl + 15) : 0;
            if (got >= (size_t)(end + 4 - buf) + body) break;
        }
        if (got) {
            r->requests++;
            if (strcasestr(buf, "\r\nauthorization:")) r->saw_auth = 1;
            char resp[512];
            int n = snprintf(resp, sizeof resp,
                             "HTTP/1.1 307 Temporary Redirect\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                             r->location);
            if (send(c, resp, (size_t)n, 0) < 0) { /* the client went away */ }
        }
        close(c);
    }
}

static void redirector_start(redirector_t *r, const char *location) {
    memset(r, 0, sizeof *r);
    snprintf(r->location, sizeof r->location, "%s", location);
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(r->fd, (struct sockaddr *)&a, sizeof a);
    listen(r->fd, 16);
    socklen_t l = sizeof a;
    getsockname(r->fd, (struct sockaddr *)&a, &l);
    r->port = ntohs(a.sin_port);
    pthread_create(&r->th, NULL, redirect_loop, r);
}

static void redirector_stop(redirector_t *r) {
    shutdown(r->fd, SHUT_RDWR);
    close(r->fd);
    pthread_join(r->th, NULL);
}

static void test_authorization_is_not_forwarded_on_a_redirect(void) {
    dp_t *other = dp_start(NULL);
    char location[256], url[64];
    /* "localhost" rather than 127.0.0.1: a different host name, as a hostile redirect would be */
    snprintf(location, sizeof location, "http://localhost:%d/v1/batch", dp_port(other));
    redirector_t r;
    redirector_start(&r, location);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", r.port);
    said_t s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    rudder_client_t *c = client(url, "", &s, 1);
    char err[256];
    const char *ev = "{\"userId\":\"u1\",\"event\":\"Redirected\"}";
    CHECK_EQ_INT(rudder_track(c, ev, strlen(ev), err, sizeof err), RUDDER_OK);
    CHECK_EQ_INT(rudder_flush(c, 20000, NULL), RUDDER_OK);
    CHECK_EQ_INT(r.requests, 1);
    CHECK(r.saw_auth, "the first host got the Authorization header");
    CHECK_EQ_INT(dp_stat(other, "requests"), 0);
    cJSON *reqs = dp_get(other, "/_requests");
    CHECK_EQ_INT(cJSON_GetArraySize(reqs), 0);
    cJSON_Delete(reqs);
    CHECK_EQ_INT(s.failed, 1);
    CHECK_EQ_INT(s.last_status, 307);
    rudder_client_destroy(c);
    redirector_stop(&r);
    dp_stop(other);
    CHECK(!memmem(s.text, s.len, WRITE_KEY, strlen(WRITE_KEY)), "no write key in what was said");
    free(s.text);
}

static void test_tls_verification_is_on_unless_switched_off_with_a_warning(void) {
    rudder_conf_t *conf = rudder_conf_new();
    char *v = rudder_conf_get(conf, "tlsVerify");
    CHECK_EQ_STR(v, "true");
    rudder_free(v);
    rudder_conf_destroy(conf);
    said_t s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    rudder_client_t *c = client("https://127.0.0.1:9", "\"tlsVerify\":false", &s, 1);
    CHECK(s.text && strstr(s.text, "tlsVerify is off"), "switching verification off logs a warning: %s", s.text ? s.text : "");
    rudder_client_destroy(c);
    free(s.text);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f) { return remove(p); }

/* Appends every regular file of dir to s. */
static void say_files(said_t *s, const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        FILE *f = fopen(path, "rb");
        char *buf = calloc(1, (size_t)st.st_size + 1);
        size_t n = fread(buf, 1, (size_t)st.st_size, f);
        fclose(f);
        for (size_t i = 0; i < n; i++) if (!buf[i]) buf[i] = ' ';
        say(s, buf, NULL);
        free(buf);
    }
    if (d) closedir(d);
}

static void test_write_key_appears_nowhere(void) {
    said_t s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    char dir[] = "/tmp/ruddercore-key-XXXXXX", spool[128], err[512], extra[512];
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    snprintf(spool, sizeof spool, "%s/spool", dir);

    /* a data plane that knows another key: 401 for everything we send */
    dp_t *dp = dp_start((const char *[]){"--write-key", "some-other-key", NULL});
    snprintf(extra, sizeof extra, "\"persistence\":\"%s\",\"retryCount\":1", spool);
    rudder_client_t *c = client(dp_url(dp), extra, &s, 0); /* logs through reports */
    const char *bad[] = {"{not json", "{\"event\":\"no identity\"}", "[1,2]", "{\"userId\":\"u\",\"event\":\"\"}",
                         "{\"userId\":\"u\",\"event\":\"x\",\"properties\":7}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rudder_track(c, bad[i], strlen(bad[i]), err, sizeof err);
        say(&s, err, rudder_err2str(RUDDER_ERR_INVALID_JSON));
    }
    const char *ok = "{\"userId\":\"u\",\"event\":\"Unauthorized\"}";
    CHECK_EQ_INT(rudder_track(c, ok, strlen(ok), err, sizeof err), RUDDER_OK);
    rudder_flush(c, 20000, NULL);
    CHECK_EQ_INT(s.failed, 1);
    CHECK_EQ_INT(s.last_status, 401);
    /* then 503s, dropped connections and a 400 for good measure */
    dp_stop(dp);
    dp = dp_start(NULL);
    rudder_client_destroy(c);
    c = client(dp_url(dp), extra, &s, 0);
    dp_control(dp, "{\"status\":503,\"count\":1}");
    rudder_track(c, ok, strlen(ok), err, sizeof err);
    rudder_flush(c, 20000, NULL);
    dp_control(dp, "{\"drop\":true,\"count\":2}");
    rudder_track(c, ok, strlen(ok), err, sizeof err);
    rudder_flush(c, 20000, NULL);
    dp_control(dp, "{\"status\":400,\"count\":1}");
    rudder_track(c, ok, strlen(ok), err, sizeof err);
    rudder_flush(c, 20000, NULL);
    char *stats = rudder_stats(c);
    say(&s, stats, NULL);
    rudder_free(stats);
    /* a second client on the directory: its error */
    rudder_client_t *second = rudder_client_new_json("{}", 2, err, sizeof err);
    say(&s, err, NULL);
    rudder_client_destroy(second);
    snprintf(extra, sizeof extra, "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"persistence\":\"%s\"}", WRITE_KEY, dp_url(dp), spool);
    second = rudder_client_new_json(extra, strlen(extra), err, sizeof err);
    CHECK(second == NULL, "the spool is owned");
    say(&s, err, NULL);
    rudder_client_destroy(c);
    /* a setting of the wrong type next to the key */
    snprintf(extra, sizeof extra, "{\"writeKey\":\"%s\",\"dataPlaneUrl\":7}", WRITE_KEY);
    second = rudder_client_new_json(extra, strlen(extra), err, sizeof err);
    say(&s, err, NULL);
    rudder_client_destroy(second);
    /* what the operator sees */
    rudder_err_t e;
    char *text = rudder_spool_inspect(spool, &e, err, sizeof err);
    CHECK(text && strstr(text, "\"count\":2"), "two dead letters (401 and 400): %s", text ? text : err);
    say(&s, text ? text : err, NULL);
    rudder_free(text);
    say_files(&s, spool);
    CHECK(s.len > 1000, "a lot was said (%zu bytes)", s.len);
    CHECK(!memmem(s.text, s.len, WRITE_KEY, strlen(WRITE_KEY)),
          "the write key appears in no log line, error, report, stats, spool or dead-letter file");
    dp_stop(dp);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(s.text);
}

int main(void) {
    RUN(test_authorization_is_not_forwarded_on_a_redirect);
    RUN(test_tls_verification_is_on_unless_switched_off_with_a_warning);
    RUN(test_write_key_appears_nowhere);
    return check_summary();
}
