/* conf_table.c — the property table: every setting, its type, range, default and doc.
 * CONFIGURATION.md is generated from this table (tools/cli: `ruddercore config-doc`). */
#include "ruddercore.h"

#define I64MAX 9223372036854775807LL

static const rudder_property_t PROPS[] = {
    /* ---- connection ---- */
    {"writeKey", "write_key", RUDDER_PROP_STRING, 0, 0, NULL, NULL, "client",
     "Source write key; sent as the HTTP Basic user name. Required; never logged or stored."},
    {"dataPlaneUrl", "data_plane_url", RUDDER_PROP_STRING, 0, 0, NULL, NULL, "client",
     "Data plane base URL with scheme, e.g. https://example.dataplane.rudderstack.com. Required."},
    {"path", "path", RUDDER_PROP_STRING, 0, 0, "/v1/batch", NULL, "client",
     "Request path appended to dataPlaneUrl (trailing slashes of the URL are removed)."},
    /* ---- batching (walkerOS / Node SDK names and defaults) ---- */
    {"flushAt", "flush_at", RUDDER_PROP_INT, 1, 20000, "20", NULL, "client",
     "Queued events that trigger a send. A trigger, not a cap: a send takes all queued events up to maxQueueSize bytes."},
    {"flushInterval", "flush_interval", RUDDER_PROP_INT, 10, 86400000, "10000", NULL, "client",
     "Longest time in ms an accepted event waits before a send starts."},
    {"batchLinger", "batch_linger", RUDDER_PROP_INT, 0, 60000, "5", NULL, "client",
     "After a send starts, ms before flushAt alone starts the next one (the batch keeps filling meanwhile); a full batch or a half-full queue (with persistence off), flush(), close() and flushInterval do not wait. 0: send whenever flushAt events are queued."},
    {"maxQueueSize", "max_queue_size", RUDDER_PROP_INT, 1024, 4000000, "460800", NULL, "client",
     "Largest request body in bytes before gzip (the data plane rejects more than 4096000)."},
    {"maxInternalQueueSize", "max_internal_queue_size", RUDDER_PROP_INT, 1, 100000000, "20000", NULL, "client",
     "Most events held in memory; a call beyond it fails with RUDDER_ERR_QUEUE_FULL."},
    {"maxInternalQueueBytes", "max_internal_queue_bytes", RUDDER_PROP_INT, 65536, I64MAX, "67108864", NULL, "client",
     "Most bytes of events held in memory; a call beyond it fails with RUDDER_ERR_QUEUE_FULL."},
    {"maxEventBytes", "max_event_bytes", RUDDER_PROP_INT, 256, 4000000, "32768", NULL, "client",
     "Largest single event in bytes (with envelope); a bigger one fails with RUDDER_ERR_TOO_LARGE."},
    /* ---- retries ---- */
    {"retryCount", "retry_count", RUDDER_PROP_INT, 0, 100, "3", NULL, "client",
     "Retries of a batch after network errors, 408, 429 and 5xx, before it is reported failed."},
    {"retryBaseDelay", "retry_base_delay", RUDDER_PROP_INT, 1, 600000, "200", NULL, "client",
     "First retry delay in ms; doubles each retry, plus 0-20% jitter."},
    {"retryMaxDelay", "retry_max_delay", RUDDER_PROP_INT, 1, 3600000, "30000", NULL, "client",
     "Cap in ms on one retry delay (Retry-After may raise a delay up to 300000 ms)."},
    /* ---- HTTP ---- */
    {"gzip", "gzip", RUDDER_PROP_BOOL, 0, 1, "true", NULL, "client",
     "Compress request bodies with gzip (Content-Encoding: gzip)."},
    {"gzipLevel", "gzip_level", RUDDER_PROP_INT, 1, 9, "1", NULL, "client",
     "zlib level: 1 is fastest and still shrinks event JSON about 8x; 6 is zlib's default."},
    {"requestTimeout", "request_timeout", RUDDER_PROP_INT, 100, 600000, "10000", NULL, "client",
     "Whole-request timeout in ms (connect + send + response); a timeout is retried."},
    {"connectTimeout", "connect_timeout", RUDDER_PROP_INT, 100, 600000, "5000", NULL, "client",
     "TCP/TLS connect timeout in ms."},
    {"caBundle", "ca_bundle", RUDDER_PROP_STRING, 0, 0, "", NULL, "client",
     "Path of a PEM CA bundle for TLS verification (empty: the system store)."},
    {"tlsVerify", "tls_verify", RUDDER_PROP_BOOL, 0, 1, "true", NULL, "client",
     "Verify the data plane's TLS certificate and host name. Turning it off logs a warning."},
    {"proxy", "proxy", RUDDER_PROP_STRING, 0, 0, "", NULL, "client",
     "HTTP(S) proxy URL (empty: none; the environment's proxy variables are ignored)."},
    /* ---- lifecycle, reports ---- */
    {"enable", "enable", RUDDER_PROP_BOOL, 0, 1, "true", NULL, "client",
     "false makes every call a successful no-op that sends nothing."},
    {"logLevel", "log_level", RUDDER_PROP_ENUM, 0, 0, "info", "silly|debug|info|warn|error|off", "client",
     "Lowest level of log lines reported (silly is the same as debug)."},
    {"closeTimeout", "close_timeout", RUDDER_PROP_INT, 0, 3600000, "5000", NULL, "client",
     "How long destroy (and the bindings' exit hooks) wait to deliver queued events, in ms."},
    {"maxReports", "max_reports", RUDDER_PROP_INT, 16, 10000000, "10000", NULL, "client",
     "Most reports held for poll(); beyond it reports are counted as lost (stats: reportsLost)."},
    /* ---- persistence (durable spool; docs/RELIABILITY.md; or Redis: docs/REDIS.md) ---- */
    {"persistence", "persistence", RUDDER_PROP_STRING, 0, 0, "", NULL, "client",
     "Directory of the durable spool (created if needed; one process at a time). Or Redis, shared by processes: a redis:// URL, or the object {\"type\":\"redis\", host, port, db, password, queueName, prefix, isMultiProcessor, maxAttempts} as text (docs/REDIS.md). Empty: events are held in memory only."},
    {"persistenceFsync", "persistence_fsync", RUDDER_PROP_ENUM, 0, 0, "batch", "always|batch|interval|never", "client",
     "When the spool is fsynced: before each batch is sent (batch), every persistenceFsyncInterval ms, every event (always), or never. Every policy survives a process crash; fsync matters for power loss."},
    {"persistenceFsyncInterval", "persistence_fsync_interval", RUDDER_PROP_INT, 1, 3600000, "1000", NULL, "client",
     "Milliseconds between fsyncs with persistenceFsync interval."},
    {"persistenceMaxBytes", "persistence_max_bytes", RUDDER_PROP_INT, 65536, I64MAX, "1073741824", NULL, "client",
     "Most bytes of undelivered events in the spool; a call beyond it fails with RUDDER_ERR_QUEUE_FULL."},
    {"persistenceMaxAge", "persistence_max_age", RUDDER_PROP_INT, 1000, I64MAX, "604800000", NULL, "client",
     "Events older than this (ms since accepted) are evicted from the spool unsent and reported as dropped."},
    {"persistenceSegmentBytes", "persistence_segment_bytes", RUDDER_PROP_INT, 4096, 1073741824, "16777216", NULL, "client",
     "Size in bytes at which the spool starts a new segment file; a segment is deleted once all its events are final."},
    /* ---- walkerOS destination ---- */
    {"userId", "user_id", RUDDER_PROP_JSON, 0, 0, "\"user.id\"", NULL, "destination",
     "walkerOS mapping value resolving the userId per event; \"\" switches it off."},
    {"anonymousId", "anonymous_id", RUDDER_PROP_JSON, 0, 0, "\"user.session\"", NULL, "destination",
     "walkerOS mapping value resolving the anonymousId per event; \"\" switches it off."},
    {"identify", "identify", RUDDER_PROP_JSON, 0, 0, "", NULL, "destination",
     "walkerOS mapping value resolving {userId?, traits?} for identify calls."},
    {"group", "group", RUDDER_PROP_JSON, 0, 0, "", NULL, "destination",
     "walkerOS mapping value resolving {groupId, traits?} for group calls."},
    {"integrations", "integrations", RUDDER_PROP_JSON, 0, 0, "", NULL, "destination",
     "Integrations object added to every call, e.g. {\"All\": true, \"Mixpanel\": false}."},
    {"dedup", "dedup", RUDDER_PROP_ENUM, 0, 0, "identity", "identity|walkeros", "destination",
     "identify/group dedup: per identity in an LRU (identity), or walkerOS's single slot (walkeros, exact walkerOS calls)."},
    {"identityCacheSize", "identity_cache_size", RUDDER_PROP_INT, 1, 100000000, "10000", NULL, "destination",
     "Identities remembered for identify/group dedup (least recently used are forgotten)."},
};

const rudder_property_t *rudder_properties(size_t *count) {
    if (count) *count = sizeof PROPS / sizeof PROPS[0];
    return PROPS;
}
