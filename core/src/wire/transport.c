/* transport.c — HTTP POST through libcurl with keep-alive, timeouts and Basic auth.
 * Redirects are not followed, so the Authorization header never reaches another host. */
#include "transport.h"
#include "base/base.h"
#include "conf/conf.h"
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct transport {
    CURL *curl;
    struct curl_slist *headers_gzip, *headers_plain;
    char *url;
    const atomic_int *abort_flag;
    http_result_t *res;   /* result being filled by callbacks */
    size_t body_len;
};

int http_result_transient(const http_result_t *r) {
    return r->status == 0 || r->status == 408 || r->status == 429 || r->status >= 500;
}

void http_result_why(const http_result_t *r, char *why, size_t size) {
    if (r->status) snprintf(why, size, "HTTP %d: %.500s", r->status, r->body);
    else snprintf(why, size, "%s", r->error);
    size_t wl = strlen(why);
    while (wl && (why[wl - 1] == '\n' || why[wl - 1] == '\r')) why[--wl] = '\0';
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Where Linux distributions keep the system's CA bundle. A libcurl built on one distribution
 * (the one bundled in our manylinux wheel was built on Debian) looks only where that
 * distribution keeps it; on another the file is missing and every HTTPS send would fail. */
static const char *const SYSTEM_CA_FILES[] = {
    "/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Arch, Gentoo */
    "/etc/pki/tls/certs/ca-bundle.crt",                  /* Fedora, RHEL */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* CentOS, RHEL 7+ */
    "/etc/ssl/ca-bundle.pem",                            /* openSUSE */
    "/etc/pki/tls/cacert.pem",                           /* OpenELEC */
    "/etc/ssl/cert.pem",                                 /* Alpine */
};

/* Without a caBundle setting: keep libcurl's own CA file when it exists, else the first
 * system bundle that does (else libcurl's, which then fails naming the certificate). */
static void use_system_ca_file(CURL *h) {
#if LIBCURL_VERSION_NUM >= 0x075400 /* CURLINFO_CAINFO: 7.84 */
    char *builtin = NULL;
    if (curl_easy_getinfo(h, CURLINFO_CAINFO, &builtin) == CURLE_OK && builtin && access(builtin, R_OK) == 0)
        return;
#endif
    for (size_t i = 0; i < sizeof SYSTEM_CA_FILES / sizeof *SYSTEM_CA_FILES; i++)
        if (access(SYSTEM_CA_FILES[i], R_OK) == 0) {
            curl_easy_setopt(h, CURLOPT_CAINFO, SYSTEM_CA_FILES[i]);
            return;
        }
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
    transport_t *t = ud;
    size_t n = size * nmemb, room = sizeof t->res->body - 1 - t->body_len;
    size_t take = n < room ? n : room;
    memcpy(t->res->body + t->body_len, ptr, take);
    t->body_len += take;
    t->res->body[t->body_len] = '\0';
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud) {
    transport_t *t = ud;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(ptr, name, sizeof name - 1) == 0) {
        char val[128];
        size_t vl = n - (sizeof name - 1);
        if (vl >= sizeof val) vl = sizeof val - 1;
        memcpy(val, ptr + sizeof name - 1, vl);
        val[vl] = '\0';
        char *cr = strpbrk(val, "\r\n");
        if (cr) *cr = '\0';
        t->res->retry_after_ms = backoff_parse_retry_after(val, clock_wall_ms());
    }
    return n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    transport_t *t = ud;
    return t->abort_flag && atomic_load(t->abort_flag) ? 1 : 0;
}

transport_t *transport_new(const rudder_conf_t *conf, const atomic_int *abort_flag,
                           char *errstr, size_t size) {
    pthread_once(&curl_once, curl_init_once);
    transport_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->abort_flag = abort_flag;
    const char *base = conf_str(conf, "dataPlaneUrl");
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    const char *path = conf_str(conf, "path");
    t->url = malloc(bl + strlen(path) + 1);
    t->curl = curl_easy_init();
    if (!t->url || !t->curl) goto fail;
    memcpy(t->url, base, bl);
    strcpy(t->url + bl, path);

    /* Basic auth: write key as the user name, empty password. */
    const char *key = conf_str(conf, "writeKey");
    char *userpwd = malloc(strlen(key) + 2);
    if (!userpwd) goto fail;
    sprintf(userpwd, "%s:", key);

    CURL *h = t->curl;
    curl_easy_setopt(h, CURLOPT_URL, t->url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERPWD, userpwd); /* curl copies it */
    memset(userpwd, 0, strlen(userpwd));
    free(userpwd);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ruddercore/" RUDDER_VERSION);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)conf_int(conf, "requestTimeout"));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)conf_int(conf, "connectTimeout"));
    curl_easy_setopt(h, CURLOPT_PROXY, conf_str(conf, "proxy")); /* "" = no proxy, env ignored */
    if (*conf_str(conf, "caBundle")) curl_easy_setopt(h, CURLOPT_CAINFO, conf_str(conf, "caBundle"));
    else use_system_ca_file(h);
    if (!conf_bool(conf, "tlsVerify")) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, t);

    /* "Expect:" stops curl from waiting for 100-continue on large bodies. */
    t->headers_plain = curl_slist_append(NULL, "Content-Type: application/json");
    t->headers_plain = curl_slist_append(t->headers_plain, "Expect:");
    t->headers_gzip = curl_slist_append(NULL, "Content-Type: application/json");
    t->headers_gzip = curl_slist_append(t->headers_gzip, "Content-Encoding: gzip");
    t->headers_gzip = curl_slist_append(t->headers_gzip, "Expect:");
    if (!t->headers_plain || !t->headers_gzip) goto fail;
    return t;
fail:
    if (errstr && size) snprintf(errstr, size, "could not set up the HTTP client (out of memory)");
    transport_free(t);
    return NULL;
}

void transport_post(transport_t *t, const char *body, size_t len, int gzipped, http_result_t *res) {
    memset(res, 0, sizeof *res);
    res->retry_after_ms = -1;
    t->res = res;
    t->body_len = 0;
    CURL *h = t->curl;
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, gzipped ? t->headers_gzip : t->headers_plain);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        res->aborted = 1;
        snprintf(res->error, sizeof res->error, "request abandoned at close");
    } else if (rc != CURLE_OK) {
        /* curl_easy_strerror never includes credentials */
        snprintf(res->error, sizeof res->error, "%s", curl_easy_strerror(rc));
    } else {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        res->status = (int)status;
    }
    t->res = NULL;
}

void transport_free(transport_t *t) {
    if (!t) return;
    if (t->curl) curl_easy_cleanup(t->curl);
    curl_slist_free_all(t->headers_gzip);
    curl_slist_free_all(t->headers_plain);
    free(t->url);
    free(t);
}

void transport_abandon(transport_t *t) {
    /* Leaks the easy handle on purpose: cleaning it up could write to (TLS close) the
     * connection this child shares with its parent. One handle per fork. */
    (void)t;
}
