/* queue.h — the bounded FIFO of accepted events (envelope text without sentAt).
 * Not thread-safe by itself: the client guards it with its queue lock. */
#ifndef RUDDER_QUEUE_H
#define RUDDER_QUEUE_H
#include <stddef.h>
#include <stdint.h>

typedef struct qevent {
    struct qevent *next;
    uint64_t seq;          /* acceptance order, from 1 */
    int64_t enq_mono_ms;   /* when it was accepted (for flushInterval) */
    size_t len;            /* bytes of text */
    char msgid[37];
    char text[];           /* envelope, no closing '}' */
} qevent_t;

typedef struct queue {
    qevent_t *head, *tail;
    size_t count, bytes;
} queue_t;

qevent_t *qevent_new(const char *text, size_t len, const char *msgid);
void qevent_free_list(qevent_t *e);
size_t qevent_list_count(const qevent_t *e);

void queue_push(queue_t *q, qevent_t *e);
/* Detaches events from the head while the batch body stays within max_body bytes
 * (always at least one).  Returns the list; *n gets the count. */
qevent_t *queue_take_batch(queue_t *q, size_t max_body, size_t *n);
/* Puts a list back at the head (e.g. retry aborted); keeps order. */
void queue_push_front(queue_t *q, qevent_t *list);
qevent_t *queue_take_all(queue_t *q);

/* Size of a batch body holding events of these text lengths: {"batch":[...],"sentAt":"..."} */
#define BATCH_OVERHEAD (10 + 2 + 12 + 24 + 2)     /* {"batch":[ ],"sentAt":"<24>"} */
#define EVENT_SUFFIX (11 + 24 + 2)                  /* ,"sentAt":"<24>"} */

#endif
