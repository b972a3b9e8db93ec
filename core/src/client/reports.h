/* reports.h — reports from the sender to the host, served by poll/flush on the
 * caller's thread.  Thread-safe; bounded (overflow is counted, never blocks). */
#ifndef RUDDER_REPORTS_H
#define RUDDER_REPORTS_H
#include <pthread.h>
#include <stddef.h>
#include "ruddercore.h"

typedef struct report_node {
    struct report_node *next;
    rudder_report_t r;     /* strings below are owned by the node */
    char *message, *message_ids, *events;
} report_node_t;

typedef struct reports {
    pthread_mutex_t mu;
    pthread_cond_t ready;
    report_node_t *head, *tail;
    size_t count, max;
    rudder_report_cb cb;
    void *opaque;
} reports_t;

void reports_init(reports_t *r, rudder_report_cb cb, void *opaque, size_t max);
void reports_destroy(reports_t *r);
/* Takes ownership of the strings (malloc'd; may be NULL). Returns 0, or -1 when full
 * or no callback is set (then the strings are freed). */
int reports_push(reports_t *r, rudder_report_kind_t kind, rudder_err_t err, int http_status,
                 size_t count, rudder_log_level_t level, char *message, char *message_ids, char *events);
/* Waits up to timeout_ms (-1 forever) for a report; 1 if one is ready. */
int reports_wait(reports_t *r, int timeout_ms);
/* Runs the callback for every queued report; returns how many. */
int reports_dispatch(reports_t *r);
/* 1 when the calling thread is inside a report callback. */
int reports_in_callback(reports_t *r);
/* Forked child: fresh lock and an empty list. */
void reports_after_fork(reports_t *r);
#endif
