/* bench_redis — events per second through the Redis persistence queue on loopback.
 *
 *   bench_redis [--events N] [--batch B] [--port P] [--url http://127.0.0.1:PORT --write-key K]
 *
 * Starts its own redis-server on a free 127.0.0.1 port unless --port names a running one
 * (the queue "bench" under {rudder} is emptied first).  Measures, with real envelopes
 * (~300 bytes each):
 *   push        the mover alone: batches stored and queued (SET + LPUSH in one MULTI)
 *   through     mover and processor side by side: push, BLMOVE, GET, decode, ack (DEL)
 *   http        with --url: the processor posting each batch to that data plane
 *   client      with --url: rudder_track -> memory queue -> Redis -> processor -> HTTP
 *               ("calls": the calls alone; "in-redis": until flush() returned)
 * The issue asks for >= 100,000 events/s through Redis on loopback. */
#include "base/base.h"
#include "persistence/persistence.h"
#include "ruddercore.h"
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RUDDERCORE_HAVE_HIREDIS
int main(void) {
    fprintf(stderr, "%s\n", REDISQ_MISSING_HIREDIS);
    return 1;
}
#else
static int events_total = 200000, batch_size = 1000;
static qevent_t *batch_tpl; /* one batch of real envelopes, pushed again and again */

static qevent_t *make_batch(int n) {
    qevent_t *head = NULL, *tail = NULL;
    for (int i = 0; i < n; i++) {
        char json[400], err[200];
        snprintf(json, sizeof json,
                 "{\"userId\":\"user-%d\",\"event\":\"Order Completed\",\"properties\":{\"i\":%d,\"revenue\":42.5,"
                 "\"currency\":\"USD\",\"items\":[{\"sku\":\"a\"},{\"sku\":\"b\"}]}}",
                 i % 97, i);
        rudder_err_t e;
        char *text = rudder_build_message(RUDDER_TRACK, json, strlen(json), NULL, 32768, &e, err, sizeof err);
        cJSON *m = cJSON_Parse(text);
        qevent_t *ev = qevent_new(text, strlen(text) - 1, cJSON_GetObjectItem(m, "messageId")->valuestring);
        cJSON_Delete(m);
        rudder_free(text);
        if (tail) tail->next = ev;
        else head = ev;
        tail = ev;
    }
    return head;
}

static pid_t start_redis(int port) {
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (!freopen("/dev/null", "w", stdout)) _exit(126);
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", "/tmp", "--loglevel", "warning", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static redisq_opts_t opts;

static void push_all(redisq_t *q) {
    char err[300];
    for (int sent = 0; sent < events_total; sent += batch_size)
        if (redisq_push(q, batch_tpl, err, sizeof err) != 0) {
            fprintf(stderr, "push: %s\n", err);
            exit(1);
        }
}

static void *pusher(void *arg) {
    push_all(arg);
    return NULL;
}

static void report(const char *what, int64_t t0, long events) {
    double s = (clock_mono_ms() - t0) / 1000.0;
    printf("%-8s %9ld events in %6.3f s  %10.0f events/s\n", what, events, s, s > 0 ? events / s : 0);
}

static atomic_long http_done;
static void on_outcome(void *o, rudder_report_kind_t k, rudder_err_t e, int st, const qevent_t *l, size_t n, const char *w) {
    (void)o; (void)e; (void)st; (void)l; (void)w;
    if (k == RUDDER_REPORT_DELIVERED) atomic_fetch_add(&http_done, (long)n);
    else fprintf(stderr, "batch failed: %s\n", w);
}

static void on_report(const rudder_report_t *r, void *opaque) {
    (void)opaque;
    if (r->kind == RUDDER_REPORT_DELIVERED) atomic_fetch_add(&http_done, (long)r->count);
    else if (r->kind != RUDDER_REPORT_LOG) fprintf(stderr, "report: %s\n", r->message);
}

int main(int argc, char **argv) {
    const char *url = NULL, *write_key = "bench-key";
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--events")) events_total = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch_size = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--url")) url = argv[i + 1];
        else if (!strcmp(argv[i], "--write-key")) write_key = argv[i + 1];
    }
    pid_t rpid = 0;
    redisq_opts_default(&opts);
    snprintf(opts.queue_name, sizeof opts.queue_name, "bench");
    if (!port) {
        port = free_port();
        rpid = start_redis(port);
    }
    opts.port = port;
    char err[300];
    redisq_t *q = NULL;
    for (int i = 0; i < 300 && !(q = redisq_open(&opts, err, sizeof err)); i++) usleep(10000);
    if (!q) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    batch_tpl = make_batch(batch_size);
    size_t bytes = 0;
    for (qevent_t *e = batch_tpl; e; e = e->next) bytes += e->len;
    printf("redis 127.0.0.1:%d, %d events per batch, %zu bytes per event\n", port, batch_size, bytes / batch_size);

    /* 1. push alone */
    int64_t t0 = clock_mono_ms();
    push_all(q);
    report("push", t0, events_total);
    /* drain what was pushed (take + ack), timed too */
    t0 = clock_mono_ms();
    long taken = 0;
    redisq_batch_t b;
    while (redisq_take(q, 0, &b, err, sizeof err) == 1) {
        taken += (long)b.n;
        redisq_ack(q, &b);
        redisq_batch_free(&b);
    }
    report("take+ack", t0, taken);

    /* 2. both sides at once */
    t0 = clock_mono_ms();
    pthread_t th;
    pthread_create(&th, NULL, pusher, q);
    taken = 0;
    while (taken < events_total) {
        int got = redisq_take(q, 1000, &b, err, sizeof err);
        if (got < 0) {
            fprintf(stderr, "take: %s\n", err);
            return 1;
        }
        if (got) {
            taken += (long)b.n;
            redisq_ack(q, &b);
            redisq_batch_free(&b);
        }
    }
    pthread_join(th, NULL);
    report("through", t0, taken);

    /* 3. through to a data plane */
    if (url) {
        char json[600];
        snprintf(json, sizeof json, "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\"}", write_key, url);
        rudder_conf_t *conf = rudder_conf_new();
        if (rudder_conf_set_json(conf, json, strlen(json), err, sizeof err) != RUDDER_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        redisq_proc_hooks_t h = {.outcome = on_outcome};
        t0 = clock_mono_ms();
        pthread_create(&th, NULL, pusher, q);
        redisq_proc_t *p = redisq_proc_start(q, conf, &h, err, sizeof err);
        while (atomic_load(&http_done) < events_total) usleep(1000);
        report("http", t0, atomic_load(&http_done));
        pthread_join(th, NULL);
        redisq_proc_stop(p, INT64_MAX);
        rudder_conf_destroy(conf);

        /* 4. the whole client: rudder_track -> memory queue -> Redis -> processor -> HTTP */
        char pers[200];
        snprintf(pers, sizeof pers, "{\"type\":\"redis\",\"port\":%d,\"queueName\":\"benchClient\"}", port);
        conf = rudder_conf_new();
        rudder_conf_set_json(conf, json, strlen(json), err, sizeof err);
        rudder_conf_set(conf, "maxInternalQueueSize", "1000000", err, sizeof err);
        rudder_conf_set(conf, "persistence", pers, err, sizeof err);
        rudder_conf_set_report_cb(conf, on_report, NULL);
        rudder_client_t *c = rudder_client_new(conf, err, sizeof err);
        if (!c) {
            fprintf(stderr, "client: %s\n", err);
            return 1;
        }
        atomic_store(&http_done, 0);
        t0 = clock_mono_ms();
        char ev[300];
        for (int i = 0; i < events_total; i++) {
            snprintf(ev, sizeof ev, "{\"userId\":\"user-%d\",\"event\":\"Order Completed\",\"properties\":{\"i\":%d,"
                     "\"revenue\":42.5,\"currency\":\"USD\",\"items\":[{\"sku\":\"a\"},{\"sku\":\"b\"}]}}", i % 97, i);
            if (rudder_track(c, ev, strlen(ev), err, sizeof err) != RUDDER_OK) {
                fprintf(stderr, "track: %s\n", err);
                return 1;
            }
        }
        report("calls", t0, events_total);
        rudder_flush(c, -1, NULL);
        report("in-redis", t0, events_total);
        while (atomic_load(&http_done) < events_total) rudder_poll(c, 100);
        report("client", t0, atomic_load(&http_done));
        rudder_client_destroy(c);
        rudder_conf_destroy(conf);
    }
    redisq_close(q);
    qevent_free_list(batch_tpl);
    if (rpid > 0) {
        kill(rpid, SIGTERM);
        waitpid(rpid, NULL, 0);
    }
    return 0;
}
#endif
