/* batch.c — request bodies and report payloads built from a list of queued events.
 * Each event's text lacks its closing brace, so sentAt is appended here per attempt. */
#include "batch.h"
#include "base/base.h"
#include <string.h>

void batch_build_body(rbuf_t *b, const qevent_t *list, const char *now) {
    rbuf_reset(b);
    rbuf_puts(b, "{\"batch\":[");
    for (const qevent_t *e = list; e; e = e->next) {
        if (e != list) rbuf_putc(b, ',');
        rbuf_append(b, e->text, e->len);
        rbuf_puts(b, ",\"sentAt\":\"");
        rbuf_append(b, now, RUDDER_ISO_LEN);
        rbuf_puts(b, "\"}");
    }
    rbuf_puts(b, "],\"sentAt\":\"");
    rbuf_append(b, now, RUDDER_ISO_LEN);
    rbuf_puts(b, "\"}");
}

char *batch_ids_json(const qevent_t *list) {
    rbuf_t b = RBUF_INIT;
    rbuf_putc(&b, '[');
    for (const qevent_t *e = list; e; e = e->next) {
        if (e != list) rbuf_putc(&b, ',');
        rbuf_json_string(&b, e->msgid, strlen(e->msgid));
    }
    rbuf_putc(&b, ']');
    return rbuf_detach(&b);
}

char *batch_events_json(const qevent_t *list) {
    rbuf_t b = RBUF_INIT;
    rbuf_putc(&b, '[');
    for (const qevent_t *e = list; e; e = e->next) {
        if (e != list) rbuf_putc(&b, ',');
        rbuf_append(&b, e->text, e->len);
        rbuf_putc(&b, '}');
    }
    rbuf_putc(&b, ']');
    return rbuf_detach(&b);
}
