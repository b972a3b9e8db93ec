/* spool_impl.h — the spool's state, shared by spool.c (open, recovery, append) and
 * spool_read.c (the sender's side). */
#ifndef RUDDER_SPOOL_IMPL_H
#define RUDDER_SPOOL_IMPL_H
#include <pthread.h>
#include "base/base.h"
#include "spool.h"

struct spool {
    spool_opts_t o;
    char *dir;
    int lock_fd, ack_fd, dl_fd;     /* dl_fd opened on the first dead letter */
    pthread_mutex_t mu;             /* producers' append lock; never the queue lock */

    /* writer (under mu) */
    int wfd;
    uint64_t wseg, wsize;
    uint64_t pending_bytes;         /* record bytes not yet acked (also under mu) */
    int64_t last_sync_mono;

    /* reader (sender thread only) */
    int rfd;
    uint64_t rseg;                  /* segment rfd reads */
    spool_pos_t rpos;               /* next record to read */
    rbuf_t rbuf;                    /* buffered bytes of rseg from rbuf_off */
    uint64_t rbuf_off;
    uint64_t first_seg;             /* oldest segment file still on disk */

    uint64_t recovered;
    char note[512];                 /* what recovery repaired, for the client to log */
};

/* "DIR/name" into out; -1 if it does not fit. */
int spool_path(const spool_t *s, char *out, size_t cap, const char *name);
int spool_seg_path(const char *dir, uint64_t seg, char *out, size_t cap);
#endif

/* One record as read: text points into the reader's buffer until its next read. */
typedef struct spool_rec {
    char msgid[37];
    size_t len;           /* envelope text bytes */
    int64_t wall_ms;      /* accepted at (epoch ms) */
    const char *text;
    uint64_t size;        /* whole record on disk */
} spool_rec_t;

/* Reads the record at off of fd through buf (whose first byte is at *buf_off).
 * 1 ok, 0 clean end of file, -1 torn or corrupt (bad header, crc, terminator). */
int spool_rec_at(int fd, rbuf_t *buf, uint64_t *buf_off, uint64_t off, spool_rec_t *r);
/* Segment ids present in dir, ascending (malloc'd; *n gets the count); NULL when none. */
uint64_t *spool_list_segments(const char *dir, size_t *n);
/* Reads DIR/ACK; {0,0} when absent or malformed. */
spool_pos_t spool_read_ack(const char *dir);
