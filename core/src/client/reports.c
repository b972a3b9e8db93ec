/* reports.c — the report queue between the sender and poll(). */
#include "reports.h"
#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* Which report queue this thread is dispatching right now (flush inside a callback would deadlock). */
static __thread reports_t *tls_dispatching;

/* A fresh lock, a monotonic-clock condition and an empty list (also in a forked child, whose
 * copies of the parent's lock and list must not be used). */
static void reports_reset(reports_t *r) {
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->ready, &ca);
    pthread_condattr_destroy(&ca);
    r->head = r->tail = NULL;
    r->count = 0;
}

void reports_init(reports_t *r, rudder_report_cb cb, void *opaque, size_t max) {
    reports_reset(r);
    r->max = max;
    r->cb = cb;
    r->opaque = opaque;
}

static void node_free(report_node_t *n) {
    free(n->message);
    free(n->message_ids);
    free(n->events);
    free(n);
}

static void free_list(report_node_t *n) {
    while (n) { report_node_t *next = n->next; node_free(n); n = next; }
}

void reports_destroy(reports_t *r) {
    free_list(r->head);
    r->head = r->tail = NULL;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->ready);
}

int reports_push(reports_t *r, rudder_report_kind_t kind, rudder_err_t err, int http_status,
                 size_t count, rudder_log_level_t level, char *message, char *message_ids, char *events) {
    report_node_t *n = r->cb ? calloc(1, sizeof *n) : NULL;
    if (!n) { free(message); free(message_ids); free(events); return -1; }
    n->message = message;
    n->message_ids = message_ids;
    n->events = events;
    n->r.kind = kind;
    n->r.err = err;
    n->r.http_status = http_status;
    n->r.count = count;
    n->r.level = level;
    pthread_mutex_lock(&r->mu);
    if (r->count >= r->max) {
        pthread_mutex_unlock(&r->mu);
        node_free(n);
        return -1;
    }
    if (r->tail) r->tail->next = n;
    else r->head = n;
    r->tail = n;
    r->count++;
    pthread_cond_broadcast(&r->ready);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

int reports_wait(reports_t *r, int timeout_ms) {
    pthread_mutex_lock(&r->mu);
    if (!r->head && timeout_ms != 0) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        if (timeout_ms > 0) {
            until.tv_sec += timeout_ms / 1000;
            until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        }
        while (!r->head) {
            int rc = timeout_ms < 0 ? pthread_cond_wait(&r->ready, &r->mu)
                                    : pthread_cond_timedwait(&r->ready, &r->mu, &until);
            if (rc == ETIMEDOUT) break;
        }
    }
    int ready = r->head != NULL;
    pthread_mutex_unlock(&r->mu);
    return ready;
}

int reports_dispatch(reports_t *r) {
    pthread_mutex_lock(&r->mu);
    report_node_t *list = r->head;
    r->head = r->tail = NULL;
    r->count = 0;
    pthread_mutex_unlock(&r->mu);
    int served = 0;
    while (list) {
        report_node_t *n = list;
        list = n->next;
        n->r.message = n->message ? n->message : "";
        n->r.message_ids = n->message_ids ? n->message_ids : "[]";
        n->r.events = n->events;
        reports_t *outer = tls_dispatching;
        tls_dispatching = r;
        r->cb(&n->r, r->opaque);
        tls_dispatching = outer;
        node_free(n);
        served++;
    }
    return served;
}

int reports_in_callback(reports_t *r) {
    return tls_dispatching == r;
}

void reports_after_fork(reports_t *r) {
    report_node_t *old = r->head;
    reports_reset(r);
    free_list(old); /* the parent keeps serving its own copies */
}
