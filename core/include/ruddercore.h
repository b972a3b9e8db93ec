/*
 * ruddercore.h — the one public header of ruddercore.
 *
 * ruddercore sends product events to a RudderStack data plane from C, Python and
 * Lua.  It has two layers:
 *
 *   client       a RudderStack SDK: the six Segment-spec calls, message envelope,
 *                bounded queue, one sender thread, batching, gzip, HTTP keep-alive,
 *                retries, flush/close, stats.
 *   destination  the walkerOS RudderStack destination: walkerOS event -> mapping ->
 *                identity -> identify/group dedup -> Segment-spec calls on its client.
 *
 * All input and output is JSON text (UTF-8).  Everything the library returns as
 * `char *` is freed by the caller with rudder_free().  Every destroy function
 * accepts NULL.  Every public call is thread-safe.
 *
 * Threads: calls never block and never do I/O.  The sender thread never runs host
 * code: reports (delivered, failed, dropped, log lines) reach the host only inside
 * rudder_poll() / rudder_flush() / rudder_close(), on the calling thread.
 *
 * Groups in this header:
 *   1. version, errors, memory
 *   2. configuration (property table, callbacks)
 *   3. client: calls, poll, flush, close, stats
 *   4. destination (walkerOS)
 *   5. spool (persistence directory: inspect, replay dead letters)
 */
#ifndef RUDDERCORE_H
#define RUDDERCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(RUDDER_STATIC_BUILD)
#define RUDDER_API __attribute__((visibility("default")))
#else
#define RUDDER_API
#endif

/* ------------------------------------------------------------------------- */
/* 1. Version, errors, memory                                                 */
/* ------------------------------------------------------------------------- */

#define RUDDER_VERSION_MAJOR 0
#define RUDDER_VERSION_MINOR 1
#define RUDDER_VERSION_PATCH 0
#define RUDDER_VERSION "0.1.0"

/** The library's version string (semver), e.g. "0.1.0". */
RUDDER_API const char *rudder_version(void);

/** Error codes.  0 is success; every failure is negative. */
typedef enum rudder_err {
    RUDDER_OK = 0,
    /* input to a call */
    RUDDER_ERR_INVALID_ARG = -1,        /* NULL or out-of-range argument */
    RUDDER_ERR_INVALID_JSON = -2,       /* the text is not valid JSON */
    RUDDER_ERR_INVALID_UTF8 = -3,       /* a string is not valid UTF-8 */
    RUDDER_ERR_NOT_OBJECT = -4,         /* the message is not a JSON object */
    RUDDER_ERR_MISSING_IDENTITY = -5,   /* neither userId nor anonymousId */
    RUDDER_ERR_MISSING_EVENT = -6,      /* track without a non-empty event name */
    RUDDER_ERR_MISSING_GROUP_ID = -7,   /* group without groupId */
    RUDDER_ERR_MISSING_USER_ID = -8,    /* alias without userId */
    RUDDER_ERR_MISSING_PREVIOUS_ID = -9,/* alias without previousId */
    RUDDER_ERR_FIELD_NOT_OBJECT = -10,  /* properties/traits/context/integrations not an object */
    RUDDER_ERR_FIELD_TYPE = -11,        /* another field has the wrong type */
    RUDDER_ERR_TOO_LARGE = -12,         /* message over maxEventBytes */
    RUDDER_ERR_TOO_DEEP = -13,          /* nesting deeper than the limit */
    /* state */
    RUDDER_ERR_QUEUE_FULL = -20,        /* maxInternalQueueSize or the byte bound reached */
    RUDDER_ERR_CLOSED = -21,            /* the client was closed */
    RUDDER_ERR_TIMEOUT = -22,           /* flush/close deadline passed with events left */
    RUDDER_ERR_IN_CALLBACK = -23,       /* flush/close called from inside a report callback */
    RUDDER_ERR_NO_MEMORY = -24,
    /* configuration */
    RUDDER_ERR_CONFIG = -30,            /* a setting is unknown, of the wrong type or out of range */
    RUDDER_ERR_UNKNOWN_FN = -31,        /* mapping names a callback nobody registered */
    /* delivery (seen in reports) */
    RUDDER_ERR_HTTP = -40,              /* the data plane rejected the batch for good (4xx) */
    RUDDER_ERR_TRANSPORT = -41,         /* network/5xx failures outlasted retryCount */
    RUDDER_ERR_SHUTDOWN = -42,          /* still queued when close() gave up */
    /* destination */
    RUDDER_ERR_EVENT = -50,             /* a walkerOS event is malformed (not an object, bad name, ...) */
    RUDDER_ERR_MAPPING = -51,           /* a mapping value has the wrong type */
    RUDDER_ERR_NO_IDENTITY = -52,       /* event skipped: neither id resolved */
    RUDDER_ERR_CALLBACK = -53,          /* a host fn/condition/validate callback failed */
    RUDDER_ERR_IGNORED = -54            /* not an error: rule said ignore, or consent queued it */
} rudder_err_t;

/** A short, static, English description of an error code. */
RUDDER_API const char *rudder_err2str(rudder_err_t err);

/** The code's name, e.g. "RUDDER_ERR_QUEUE_FULL" (static). */
RUDDER_API const char *rudder_err_name(rudder_err_t err);

/** Frees memory the library returned (JSON texts). NULL is fine. */
RUDDER_API void rudder_free(void *ptr);

/* ------------------------------------------------------------------------- */
/* 2. Configuration                                                           */
/* ------------------------------------------------------------------------- */

/*
 * Settings use the walkerOS RudderStack destination's camelCase names
 * (writeKey, dataPlaneUrl, flushAt, ...).  All of them live in one property table;
 * CONFIGURATION.md is generated from it.  A rudder_conf_t collects settings and host
 * callbacks before a client or destination is created; creation copies it.
 */

typedef enum rudder_prop_type {
    RUDDER_PROP_STRING,
    RUDDER_PROP_INT,
    RUDDER_PROP_BOOL,
    RUDDER_PROP_ENUM,   /* a string from a fixed list */
    RUDDER_PROP_JSON    /* any JSON value (used by destination settings) */
} rudder_prop_type_t;

/** One row of the property table. */
typedef struct rudder_property {
    const char *name;          /* camelCase, e.g. "flushAt" */
    const char *snake_name;    /* snake_case for Python, e.g. "flush_at" */
    rudder_prop_type_t type;
    int64_t min, max;          /* INT range, inclusive */
    const char *def;           /* default as text ("" when none, NULL when required) */
    const char *choices;       /* ENUM: "a|b|c" */
    const char *scope;         /* "client" or "destination" */
    const char *doc;           /* one line */
} rudder_property_t;

/** The property table; *count receives its length. */
RUDDER_API const rudder_property_t *rudder_properties(size_t *count);

typedef struct rudder_conf rudder_conf_t;

RUDDER_API rudder_conf_t *rudder_conf_new(void);
RUDDER_API rudder_conf_t *rudder_conf_dup(const rudder_conf_t *conf);
RUDDER_API void rudder_conf_destroy(rudder_conf_t *conf);

/**
 * Sets one setting from text ("50", "true", "https://..."); the name may be
 * camelCase or snake_case.  On error, errstr names the setting and the allowed
 * range.  Never echoes the writeKey's value.
 */
RUDDER_API rudder_err_t rudder_conf_set(rudder_conf_t *conf, const char *name,
                                        const char *value, char *errstr, size_t errstr_size);

/** Sets every member of a JSON object of settings ({"writeKey": ..., "flushAt": 50}). */
RUDDER_API rudder_err_t rudder_conf_set_json(rudder_conf_t *conf, const char *json, size_t len,
                                             char *errstr, size_t errstr_size);

/** The current value of a setting as text (caller frees), or NULL if unknown. writeKey reads as "***". */
RUDDER_API char *rudder_conf_get(const rudder_conf_t *conf, const char *name);

/** Report kinds delivered through the report callback. */
typedef enum rudder_report_kind {
    RUDDER_REPORT_DELIVERED = 1,  /* the data plane accepted these events */
    RUDDER_REPORT_FAILED = 2,     /* rejected for good or retries exhausted */
    RUDDER_REPORT_DROPPED = 3,    /* never sent: close() deadline, fork child */
    RUDDER_REPORT_LOG = 4         /* a log line at or above logLevel */
} rudder_report_kind_t;

typedef enum rudder_log_level {
    RUDDER_LOG_DEBUG = 10,
    RUDDER_LOG_INFO = 20,
    RUDDER_LOG_WARN = 30,
    RUDDER_LOG_ERROR = 40
} rudder_log_level_t;

/** One report.  Valid only during the callback. */
typedef struct rudder_report {
    rudder_report_kind_t kind;
    rudder_err_t err;          /* RUDDER_OK for DELIVERED and LOG */
    int http_status;           /* last HTTP status, 0 if none */
    size_t count;              /* events concerned (0 for LOG) */
    const char *message;       /* why it failed, or the log line; never NULL */
    const char *message_ids;   /* JSON array of the events' messageIds, "[]" for LOG */
    const char *events;        /* FAILED/DROPPED: JSON array of the full events; else NULL */
    rudder_log_level_t level;  /* LOG: the line's level */
} rudder_report_t;

typedef void (*rudder_report_cb)(const rudder_report_t *report, void *opaque);

/**
 * The report callback, run only inside rudder_poll/rudder_flush/rudder_close on the
 * caller's thread.  Without one, reports are only counted in stats.
 */
RUDDER_API void rudder_conf_set_report_cb(rudder_conf_t *conf, rudder_report_cb cb, void *opaque);

/**
 * Opt-in raw log callback, called on whatever thread logs (including the sender).
 * For C programs that want logs without polling; it must not call back into the library.
 */
typedef void (*rudder_log_cb)(rudder_log_level_t level, const char *line, void *opaque);
RUDDER_API void rudder_conf_set_log_cb(rudder_conf_t *conf, rudder_log_cb cb, void *opaque);

/**
 * A named mapping callback for walkerOS fn, condition and validate.
 * value_json is the value (NULL when undefined); context_json is
 * {"event":..., "mapping":..., "consent":...}.  Return a JSON text allocated with
 * malloc (the library frees it) or NULL for undefined.  For condition/validate the
 * result's truthiness decides.  Set *failed (and optionally return NULL) to report
 * an error; the mapping treats it as walkerOS treats a throwing function.
 */
typedef char *(*rudder_fn_cb)(const char *value_json, const char *context_json,
                              void *opaque, int *failed);

/** Registers a mapping callback under name (referenced as "$fn:name" or "name"). */
RUDDER_API rudder_err_t rudder_conf_set_fn(rudder_conf_t *conf, const char *name,
                                           rudder_fn_cb fn, void *opaque);

/* ------------------------------------------------------------------------- */
/* 3. Client                                                                  */
/* ------------------------------------------------------------------------- */

typedef struct rudder_client rudder_client_t;

/** Creates a client and starts its sender thread lazily.  conf is copied. */
RUDDER_API rudder_client_t *rudder_client_new(const rudder_conf_t *conf, char *errstr,
                                              size_t errstr_size);

/** Shorthand: a client from a JSON object of settings. */
RUDDER_API rudder_client_t *rudder_client_new_json(const char *settings_json, size_t len,
                                                   char *errstr, size_t errstr_size);

typedef enum rudder_call_type {
    RUDDER_TRACK = 0,
    RUDDER_IDENTIFY,
    RUDDER_GROUP,
    RUDDER_PAGE,
    RUDDER_SCREEN,
    RUDDER_ALIAS
} rudder_call_type_t;

/** "track", "identify", ... (static). */
RUDDER_API const char *rudder_call_name(rudder_call_type_t type);

/**
 * Validates a Segment-spec message (JSON object text: userId, anonymousId, event,
 * properties, traits, context, integrations, timestamp, messageId, groupId, name,
 * category, previousId, ...), adds the envelope and queues it.  Never blocks.
 * On error nothing is queued and errstr names the field.  message_id_out, when not
 * NULL and size >= 37, receives the event's messageId.
 */
RUDDER_API rudder_err_t rudder_call(rudder_client_t *client, rudder_call_type_t type,
                                    const char *json, size_t len, char *errstr, size_t errstr_size,
                                    char *message_id_out, size_t message_id_size);

RUDDER_API rudder_err_t rudder_track(rudder_client_t *c, const char *json, size_t len, char *errstr, size_t errstr_size);
RUDDER_API rudder_err_t rudder_identify(rudder_client_t *c, const char *json, size_t len, char *errstr, size_t errstr_size);
RUDDER_API rudder_err_t rudder_group(rudder_client_t *c, const char *json, size_t len, char *errstr, size_t errstr_size);
RUDDER_API rudder_err_t rudder_page(rudder_client_t *c, const char *json, size_t len, char *errstr, size_t errstr_size);
RUDDER_API rudder_err_t rudder_screen(rudder_client_t *c, const char *json, size_t len, char *errstr, size_t errstr_size);
RUDDER_API rudder_err_t rudder_alias(rudder_client_t *c, const char *json, size_t len, char *errstr, size_t errstr_size);

/**
 * Builds the envelope a call would queue, without queueing it (sentAt absent).
 * Returns the JSON text (caller frees) or NULL with errstr set.
 */
RUDDER_API char *rudder_build_message(rudder_call_type_t type, const char *json, size_t len,
                                      const char *library_suffix, size_t max_event_bytes,
                                      rudder_err_t *err, char *errstr, size_t errstr_size);

/**
 * Serves pending reports through the report callback, waiting up to timeout_ms
 * (0 = don't wait, -1 = forever) for the first.  Returns how many were served.
 */
RUDDER_API int rudder_poll(rudder_client_t *client, int timeout_ms);

/**
 * Waits (pure C, runs no callbacks) up to timeout_ms for a report to be ready.
 * Returns 1 if one is ready, 0 otherwise.  Bindings release their lock around it.
 */
RUDDER_API int rudder_wait_reports(rudder_client_t *client, int timeout_ms);

/**
 * Sends everything accepted before this call and waits until each event has
 * reached a final state (delivered, failed, dropped) or timeout_ms passed
 * (-1 = no limit, 0 = trigger a send and return).  Serves reports while waiting.
 * Returns RUDDER_OK or RUDDER_ERR_TIMEOUT; *remaining (if not NULL) gets the
 * number of those events still pending.
 */
RUDDER_API rudder_err_t rudder_flush(rudder_client_t *client, int timeout_ms, size_t *remaining);

/** Bindings: starts a flush and returns its mark (pure C). */
RUDDER_API uint64_t rudder_flush_begin(rudder_client_t *client);
/** Bindings: waits (pure C, no callbacks) up to timeout_ms for a mark; returns events still pending. */
RUDDER_API size_t rudder_flush_wait(rudder_client_t *client, uint64_t mark, int timeout_ms);

/**
 * Flushes for up to timeout_ms, stops the sender, reports what could not be sent as
 * DROPPED (and logs how many).  Idempotent; calls after it return RUDDER_ERR_CLOSED.
 * Does not free: call rudder_client_destroy.  *lost receives how many were dropped.
 */
RUDDER_API rudder_err_t rudder_close(rudder_client_t *client, int timeout_ms, size_t *lost);

/** Closes (with the closeTimeout setting) if needed and frees. NULL is fine. */
RUDDER_API void rudder_client_destroy(rudder_client_t *client);

/** Events accepted and not yet final (queued or in flight). */
RUDDER_API size_t rudder_queue_length(rudder_client_t *client);

/**
 * Counters as a JSON object (caller frees): accepted, rejected (by reason),
 * queueDepth, queueBytes, sentEvents, sentBatches, sentBytesRaw, sentBytesGzip,
 * retries, failedEvents, droppedEvents, lastHttpStatus, lastError, ...
 */
RUDDER_API char *rudder_stats(rudder_client_t *client);

/* ------------------------------------------------------------------------- */
/* 4. Destination (walkerOS)                                                  */
/* ------------------------------------------------------------------------- */

typedef struct rudder_dest rudder_dest_t;

/**
 * Creates a walkerOS RudderStack destination from its config as JSON:
 * {"settings": {...}, "mapping": {...}, "data": ..., "policy": ..., "consent": ...,
 *  "include": [...]}.  Settings are the walkerOS destination's (writeKey,
 * dataPlaneUrl, userId, anonymousId, identify, group, integrations, and every client
 * setting).  base (may be NULL) supplies callbacks and defaults; its settings are
 * overridden by config.settings.  Unknown fn names are an error here.
 */
RUDDER_API rudder_dest_t *rudder_dest_new(const char *config_json, size_t len,
                                          const rudder_conf_t *base, char *errstr,
                                          size_t errstr_size);

/**
 * Maps a walkerOS event (JSON object) and queues the resulting calls on the
 * destination's client.  Returns RUDDER_OK when calls were queued or the event was
 * deliberately not sent (ignore rule, consent); an error names the JSON path.
 */
RUDDER_API rudder_err_t rudder_dest_push(rudder_dest_t *dest, const char *event_json, size_t len,
                                         char *errstr, size_t errstr_size);

/**
 * Pushes a JSON array of events (or NDJSON when the text does not start with '[').
 * One bad event does not stop the others.  Returns a JSON array with one result per
 * event: {"ok":true,"calls":N} or {"ok":false,"error":"...","code":"RUDDER_ERR_..."}.
 */
RUDDER_API char *rudder_dest_push_many(rudder_dest_t *dest, const char *events_json, size_t len);

/**
 * Offline mapping: the calls the destination would make for one event, as a JSON
 * array of [method, params] (params as in the conformance vectors, timestamp as
 * epoch ms).  Updates dedup state like push.  Sends nothing.
 */
RUDDER_API char *rudder_dest_map(rudder_dest_t *dest, const char *event_json, size_t len,
                                 rudder_err_t *err, char *errstr, size_t errstr_size);

/** A walkerOS collector command, e.g. ("consent", {"marketing": true}). */
RUDDER_API rudder_err_t rudder_dest_command(rudder_dest_t *dest, const char *command,
                                            const char *data_json, size_t len,
                                            char *errstr, size_t errstr_size);

/** The destination's client (owned by the destination; do not destroy). */
RUDDER_API rudder_client_t *rudder_dest_client(rudder_dest_t *dest);

/** Destination counters plus the client's, as JSON (caller frees). */
RUDDER_API char *rudder_dest_stats(rudder_dest_t *dest);

/** Closes the client (as rudder_close) and frees. NULL is fine. */
RUDDER_API void rudder_dest_destroy(rudder_dest_t *dest);

/* ------------------------------------------------------------------------- */
/* 5. Spool                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * With the `persistence` setting a client appends every accepted event to a spool
 * directory before the call returns, and sends undelivered events first after a crash
 * or restart.  Events the data plane rejects for good are kept in the directory's
 * dead-letter file (DIR/deadletter.ndjson).  See docs/RELIABILITY.md.
 */

/**
 * Describes a spool directory as JSON (caller frees): owner process (if a client holds
 * it), pending events (count, bytes, oldest), segments, and every dead-lettered event
 * with its status and error.  Read-only; works while a client owns the directory.
 * NULL with *err and errstr set when DIR is not a readable spool.
 */
RUDDER_API char *rudder_spool_inspect(const char *dir, rudder_err_t *err, char *errstr, size_t errstr_size);

/**
 * Re-sends the dead-lettered events of DIR to the data plane in conf (writeKey,
 * dataPlaneUrl, ...) with their original messageId and originalTimestamp.  Events the
 * data plane accepts leave the dead-letter file; the others stay, with the new answer.
 * Needs the directory's lock (no client may own it meanwhile).  Returns a JSON summary
 * {"deadLetters":N,"delivered":N,"failed":N,"kept":N} (caller frees), or NULL with *err
 * and errstr set.
 */
RUDDER_API char *rudder_spool_replay(const char *dir, const rudder_conf_t *conf, rudder_err_t *err,
                                     char *errstr, size_t errstr_size);

#ifdef __cplusplus
}
#endif
#endif /* RUDDERCORE_H */
