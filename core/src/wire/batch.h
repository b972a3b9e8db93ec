/* batch.h — the request body for a batch: {"batch":[e1,...],"sentAt":"..."}. */
#ifndef RUDDER_BATCH_H
#define RUDDER_BATCH_H
#include "base/base.h"
#include "queue.h"

/* Writes the body into b (replacing it), giving every event and the batch sentAt = now_iso. */
void batch_build_body(rbuf_t *b, const qevent_t *list, const char *now_iso);
/* JSON array of the events' messageIds. */
char *batch_ids_json(const qevent_t *list);
/* JSON array of the full events as accepted (without sentAt). */
char *batch_events_json(const qevent_t *list);
#endif
