/* spool.h — the durable spool behind the `persistence` setting: accepted events are
 * appended to segment files in a directory before the call returns, the sender reads
 * them back in order, and delivered (or dead-lettered, or expired) events are acked and
 * their segments deleted.  Layout of DIR:
 *
 *   LOCK                  flock'd by the one owning process; holds its pid (text)
 *   ACK                   "<segment> <offset>\n": everything before it is final
 *   seg-<20 digits>.log   records, oldest segment first
 *   deadletter.ndjson     events the data plane rejected for good, one JSON line each
 *
 * A record is a 72-byte text header, the envelope text (no closing brace, no sentAt),
 * and '\n':  "RS1 <msgid 36> <len 8 hex> <crc32 8 hex> <accepted epoch ms 12 hex>\n".
 * The write key is never written.  Threads: spool_lock/append from producers (own lock,
 * never the queue lock); read/ack/dead-letter/sync from the sender thread only. */
#ifndef RUDDER_SPOOL_H
#define RUDDER_SPOOL_H
#include <stddef.h>
#include <stdint.h>
#include "wire/wire.h"
#include "ruddercore.h"

#define SPOOL_HEADER_LEN 72
#define SPOOL_DEADLETTER "deadletter.ndjson"

typedef enum spool_fsync { SPOOL_FSYNC_ALWAYS, SPOOL_FSYNC_BATCH, SPOOL_FSYNC_INTERVAL, SPOOL_FSYNC_NEVER } spool_fsync_t;

typedef struct spool_opts {
    const char *dir;
    spool_fsync_t fsync;
    int64_t fsync_interval_ms;
    uint64_t max_bytes;      /* pending record bytes; beyond it appends are refused */
    int64_t max_age_ms;      /* older records are evicted when read */
    uint64_t segment_bytes;  /* rotate the write segment past this size */
} spool_opts_t;

typedef struct spool_pos { uint64_t seg, off; } spool_pos_t;

typedef struct spool spool_t;

/* Parses a persistenceFsync value; -1 when unknown. */
int spool_fsync_from_name(const char *name);
/* Creates DIR if needed, takes its lock, recovers pending records (a torn tail is cut).
 * NULL with errstr naming the problem (e.g. the directory is owned by another process). */
spool_t *spool_open(const spool_opts_t *opts, char *errstr, size_t errstr_size);
/* Records pending at open (accepted by an earlier process, not yet final). */
uint64_t spool_recovered(const spool_t *s);
/* Bytes of records not yet final. */
uint64_t spool_pending_bytes(spool_t *s);
const char *spool_dir(const spool_t *s);
/* What recovery repaired at open ("" when nothing), for the owner's log. */
const char *spool_note(const spool_t *s);
/* Closes files and releases the lock; the directory keeps what is pending. NULL ok. */
void spool_close(spool_t *s);
/* Forked child: forget the parent's spool without touching its files or its lock. */
void spool_abandon_after_fork(spool_t *s);

/* Producer side: lock, append (I/O under the spool's own lock), unlock.  Append order is
 * sequence order, so callers give out sequence numbers while still holding the lock. */
void spool_lock(spool_t *s);
void spool_unlock(spool_t *s);
rudder_err_t spool_append_locked(spool_t *s, const char *text, size_t len, const char *msgid,
                                 char *errstr, size_t errstr_size);

/* Sender side: one batch read back from the spool. */
typedef struct spool_batch {
    qevent_t *events;        /* live events, oldest first (free with qevent_free_list) */
    size_t n;
    qevent_t *expired;       /* older than max_age: evicted (report them, then ack) */
    size_t n_expired;
    size_t n_lost;           /* records expected but unreadable (disk damaged) */
    spool_pos_t end;         /* position after the last record taken */
    uint64_t bytes;          /* record bytes taken (for the size bound) */
} spool_batch_t;

/* Reads up to max_count records, the live ones fitting a body of max_body bytes (at
 * least one).  Every record among the first max_count is complete (appended before its
 * sequence number was given out).  Returns the number of records consumed. */
size_t spool_read_batch(spool_t *s, size_t max_count, size_t max_body, spool_batch_t *b);
/* Marks everything up to b->end final: updates ACK, deletes finished segments. */
void spool_ack(spool_t *s, const spool_batch_t *b);
/* fsync before sending (policy "batch"). */
void spool_sync_for_batch(spool_t *s);
/* Appends events rejected for good to the dead-letter file; 0 ok. */
int spool_dead_letter(spool_t *s, const qevent_t *list, int http_status, const char *why);

/* Record codec (shared with inspect/replay and the fuzz target). */
void spool_format_header(char out[SPOOL_HEADER_LEN + 1], const char *msgid, size_t len, uint32_t crc, int64_t wall_ms);
/* Parses a header; 0 ok with fields filled, -1 malformed. */
int spool_parse_header(const char *h, size_t avail, char msgid[37], size_t *len, uint32_t *crc, int64_t *wall_ms);
#endif
