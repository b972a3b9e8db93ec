/* member_log.h — the top-level members of a message a binding writes as JSON text,
 * recorded while it writes them, so the core can build the envelope without scanning the
 * text again (client_call_members): the scan would only re-check what the binding's
 * encoder just produced (valid JSON, UTF-8 checked, depth bounded) and find the members it
 * already knew.  Spans are kept as offsets while the buffer may still move, then turned
 * into rj_member_t pointers once the text is complete. */
#ifndef RUDDER_MEMBER_LOG_H
#define RUDDER_MEMBER_LOG_H
#include <string.h>
#include "json.h"

#define RJM_MAX 64 /* more members than this: the binding falls back to rudder_call */

typedef struct rj_member_log {
    size_t key_off[RJM_MAX], key_len[RJM_MAX], val_off[RJM_MAX], val_len[RJM_MAX];
    int n;
    int unusable; /* too many members, or a member the encoder wrote unusually */
} rj_member_log_t;

/* The member whose key (between its quotes, as written) is out[key_off..+key_len) and
 * whose value is out[val_off..out->len). */
static inline void rjm_add(rj_member_log_t *l, const rbuf_t *out, size_t key_off, size_t key_len,
                           size_t val_off) {
    if (l->n == RJM_MAX) {
        l->unusable = 1;
        return;
    }
    l->key_off[l->n] = key_off;
    l->key_len[l->n] = key_len;
    l->val_off[l->n] = val_off;
    l->val_len[l->n] = out->len - val_off;
    l->n++;
}

/* The members as spans into text (the finished buffer); -1 when the log is unusable. */
static inline int rjm_members(const rj_member_log_t *l, const char *text, rj_member_t *m) {
    if (l->unusable) return -1;
    for (int i = 0; i < l->n; i++) {
        const char *key = text + l->key_off[i], *val = text + l->val_off[i];
        m[i] = (rj_member_t){
            .key = key,
            .key_len = l->key_len[i],
            .key_escaped = memchr(key, '\\', l->key_len[i]) != NULL,
            .val = val,
            .val_len = l->val_len[i],
            .kind = rj_value_kind(l->val_len[i] ? val[0] : 0),
        };
    }
    return l->n;
}

#endif
