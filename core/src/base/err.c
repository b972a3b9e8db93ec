/* err.c — error codes to text. */
#include "ruddercore.h"
#include <stdlib.h>

typedef struct { rudder_err_t code; const char *name; const char *text; } err_row_t;

static const err_row_t ERRS[] = {
    {RUDDER_OK, "RUDDER_OK", "success"},
    {RUDDER_ERR_INVALID_ARG, "RUDDER_ERR_INVALID_ARG", "invalid argument"},
    {RUDDER_ERR_INVALID_JSON, "RUDDER_ERR_INVALID_JSON", "invalid JSON"},
    {RUDDER_ERR_INVALID_UTF8, "RUDDER_ERR_INVALID_UTF8", "invalid UTF-8"},
    {RUDDER_ERR_NOT_OBJECT, "RUDDER_ERR_NOT_OBJECT", "message is not a JSON object"},
    {RUDDER_ERR_MISSING_IDENTITY, "RUDDER_ERR_MISSING_IDENTITY", "neither userId nor anonymousId"},
    {RUDDER_ERR_MISSING_EVENT, "RUDDER_ERR_MISSING_EVENT", "track needs a non-empty event name"},
    {RUDDER_ERR_MISSING_GROUP_ID, "RUDDER_ERR_MISSING_GROUP_ID", "group needs a groupId"},
    {RUDDER_ERR_MISSING_USER_ID, "RUDDER_ERR_MISSING_USER_ID", "alias needs a userId"},
    {RUDDER_ERR_MISSING_PREVIOUS_ID, "RUDDER_ERR_MISSING_PREVIOUS_ID", "alias needs a previousId"},
    {RUDDER_ERR_FIELD_NOT_OBJECT, "RUDDER_ERR_FIELD_NOT_OBJECT", "field must be a JSON object"},
    {RUDDER_ERR_FIELD_TYPE, "RUDDER_ERR_FIELD_TYPE", "field has the wrong type"},
    {RUDDER_ERR_TOO_LARGE, "RUDDER_ERR_TOO_LARGE", "message larger than maxEventBytes"},
    {RUDDER_ERR_TOO_DEEP, "RUDDER_ERR_TOO_DEEP", "nesting deeper than the limit"},
    {RUDDER_ERR_QUEUE_FULL, "RUDDER_ERR_QUEUE_FULL", "queue full"},
    {RUDDER_ERR_CLOSED, "RUDDER_ERR_CLOSED", "client is closed"},
    {RUDDER_ERR_TIMEOUT, "RUDDER_ERR_TIMEOUT", "timed out with events pending"},
    {RUDDER_ERR_IN_CALLBACK, "RUDDER_ERR_IN_CALLBACK", "not allowed inside a report callback"},
    {RUDDER_ERR_NO_MEMORY, "RUDDER_ERR_NO_MEMORY", "out of memory"},
    {RUDDER_ERR_CONFIG, "RUDDER_ERR_CONFIG", "invalid configuration"},
    {RUDDER_ERR_UNKNOWN_FN, "RUDDER_ERR_UNKNOWN_FN", "mapping names an unregistered callback"},
    {RUDDER_ERR_HTTP, "RUDDER_ERR_HTTP", "data plane rejected the batch"},
    {RUDDER_ERR_TRANSPORT, "RUDDER_ERR_TRANSPORT", "delivery failed after retries"},
    {RUDDER_ERR_SHUTDOWN, "RUDDER_ERR_SHUTDOWN", "not sent before close"},
    {RUDDER_ERR_EVENT, "RUDDER_ERR_EVENT", "malformed walkerOS event"},
    {RUDDER_ERR_MAPPING, "RUDDER_ERR_MAPPING", "invalid mapping"},
    {RUDDER_ERR_NO_IDENTITY, "RUDDER_ERR_NO_IDENTITY", "event skipped: no userId or anonymousId resolved"},
    {RUDDER_ERR_CALLBACK, "RUDDER_ERR_CALLBACK", "a mapping callback failed"},
    {RUDDER_ERR_IGNORED, "RUDDER_ERR_IGNORED", "event ignored by mapping or consent"},
};

static const err_row_t *find(rudder_err_t e) {
    for (size_t i = 0; i < sizeof ERRS / sizeof ERRS[0]; i++)
        if (ERRS[i].code == e) return &ERRS[i];
    return NULL;
}

const char *rudder_err2str(rudder_err_t err) {
    const err_row_t *r = find(err);
    return r ? r->text : "unknown error";
}

const char *rudder_err_name(rudder_err_t err) {
    const err_row_t *r = find(err);
    return r ? r->name : "RUDDER_ERR_UNKNOWN";
}

const char *rudder_version(void) { return RUDDER_VERSION; }

void rudder_free(void *ptr) { free(ptr); }
