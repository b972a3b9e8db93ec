/* queue.c — intrusive singly linked FIFO; O(1) push, batch detach by bytes. */
#include "queue.h"
#include "base/base.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

qevent_t *qevent_new(const char *text, size_t len, const char *msgid) {
    qevent_t *e = malloc(sizeof *e + len + 1);
    if (!e) return NULL;
    e->next = NULL;
    e->seq = 0;
    e->enq_mono_ms = 0;
    e->len = len;
    text_copy(e->msgid, sizeof e->msgid, msgid ? msgid : "");
    memcpy(e->text, text, len);
    e->text[len] = '\0';
    return e;
}

void qevent_free_list(qevent_t *e) {
    while (e) {
        qevent_t *n = e->next;
        free(e);
        e = n;
    }
}

size_t qevent_list_count(const qevent_t *e) {
    size_t n = 0;
    for (; e; e = e->next) n++;
    return n;
}

void queue_push(queue_t *q, qevent_t *e) {
    e->next = NULL;
    if (q->tail) q->tail->next = e;
    else q->head = e;
    q->tail = e;
    q->count++;
    q->bytes += e->len;
}

qevent_t *queue_take_batch(queue_t *q, size_t max_body, size_t *n) {
    qevent_t *first = q->head, *last = NULL, *e = q->head;
    size_t body = BATCH_OVERHEAD, count = 0, bytes = 0;
    while (e) {
        size_t add = e->len + EVENT_SUFFIX + (count ? 1 : 0);
        if (count && body + add > max_body) break;
        body += add;
        bytes += e->len;
        count++;
        last = e;
        e = e->next;
    }
    *n = count;
    if (!count) return NULL;
    q->head = last->next;
    if (!q->head) q->tail = NULL;
    last->next = NULL;
    q->count -= count;
    q->bytes -= bytes;
    return first;
}

void queue_push_front(queue_t *q, qevent_t *list) {
    if (!list) return;
    qevent_t *last = list;
    size_t count = 1, bytes = list->len;
    while (last->next) { last = last->next; count++; bytes += last->len; }
    last->next = q->head;
    q->head = list;
    if (!q->tail) q->tail = last;
    q->count += count;
    q->bytes += bytes;
}

qevent_t *queue_take_all(queue_t *q) {
    qevent_t *all = q->head;
    q->head = q->tail = NULL;
    q->count = q->bytes = 0;
    return all;
}
