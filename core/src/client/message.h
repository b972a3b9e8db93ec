/* message.h — Segment-spec validation and the envelope (spec/rudderstack.md §3.5). */
#ifndef RUDDER_MESSAGE_H
#define RUDDER_MESSAGE_H
#include <cjson/cJSON.h>
#include "ruddercore.h"
#include "base/base.h"
#include "json/json.h"

typedef struct message_opts {
    size_t max_event_bytes;        /* 0 = no limit */
    const char *library_suffix;    /* "" or "ruddercore-python" ... */
    long long now_ms;              /* enqueue time (epoch ms); 0 = read the clock */
} message_opts_t;

/* Validates the message text and writes the envelope into out as JSON text WITHOUT the
 * closing '}' (the sender appends ,"sentAt":"..."} at each attempt).  msgid_out (>= 37
 * bytes, may be NULL) receives the messageId.  Values are copied verbatim. */
rudder_err_t message_build_text(rudder_call_type_t type, const char *json, size_t len,
                                const message_opts_t *opts, rbuf_t *out, char *msgid_out,
                                char *errstr, size_t errstr_size);

/* The same from a tree the caller built (valid by construction): no text to scan, each
 * value printed straight into the envelope. */
rudder_err_t message_build_tree(rudder_call_type_t type, const cJSON *msg, const message_opts_t *opts,
                                rbuf_t *out, char *msgid_out, char *errstr, size_t errstr_size);

/* The same from members the caller already knows (member_log.h): spans of valid JSON
 * text it wrote itself, so nothing is scanned. */
rudder_err_t message_build_members(rudder_call_type_t type, const rj_member_t *members, int n,
                                   const message_opts_t *opts, rbuf_t *out, char *msgid_out,
                                   char *errstr, size_t errstr_size);

#endif
