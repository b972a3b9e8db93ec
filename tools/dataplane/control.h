/* The control and inspection API: POST /_control (fault injection), GET /_stats, /_events,
 * /_requests. */
#ifndef DP_CONTROL_H
#define DP_CONTROL_H

#include "obuf.h"
#include "state.h"

/* Parses a /_control body into st->fault. Returns 0, or -1 with a message naming the bad
 * field in err. The previous fault is kept when the body is bad. */
int dp_control_set(dp_state_t *st, const char *body, size_t n, char *err, size_t errlen);

void dp_render_stats(const dp_state_t *st, obuf_t *out);
void dp_render_events(const dp_state_t *st, obuf_t *out);
void dp_render_requests(const dp_state_t *st, obuf_t *out);
void dp_render_fault(const dp_state_t *st, obuf_t *out);

#endif
