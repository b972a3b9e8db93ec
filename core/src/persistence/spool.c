/* spool.c — opening a spool directory (lock, recovery of what an earlier process left),
 * appending records for producers, the record codec, close and fork. */
#include "spool_impl.h"
#include "base/base.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK (256 * 1024)

int spool_fsync_from_name(const char *n) {
    if (!strcmp(n, "always")) return SPOOL_FSYNC_ALWAYS;
    if (!strcmp(n, "batch")) return SPOOL_FSYNC_BATCH;
    if (!strcmp(n, "interval")) return SPOOL_FSYNC_INTERVAL;
    if (!strcmp(n, "never")) return SPOOL_FSYNC_NEVER;
    return -1;
}

int spool_path(const spool_t *s, char *out, size_t cap, const char *name) {
    int n = snprintf(out, cap, "%s/%s", s->dir, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int spool_seg_path(const char *dir, uint64_t seg, char *out, size_t cap) {
    int n = snprintf(out, cap, "%s/seg-%020" PRIu64 ".log", dir, seg);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ---- record codec ------------------------------------------------------------------ */

void spool_format_header(char out[SPOOL_HEADER_LEN + 1], const char *msgid, size_t len, uint32_t crc, int64_t wall_ms) {
    snprintf(out, SPOOL_HEADER_LEN + 1, "RS1 %-36.36s %08zx %08" PRIx32 " %012" PRIx64 "\n", msgid, len, crc,
             (uint64_t)((wall_ms < 0 ? 0 : wall_ms) & 0xffffffffffffLL));
}

static int hexfield(const char *p, int n, uint64_t *out) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        char ch = p[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0) return -1;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return 0;
}

int spool_parse_header(const char *h, size_t avail, char msgid[37], size_t *len, uint32_t *crc, int64_t *wall_ms) {
    if (avail < SPOOL_HEADER_LEN || memcmp(h, "RS1 ", 4) != 0) return -1;
    if (h[40] != ' ' || h[49] != ' ' || h[58] != ' ' || h[71] != '\n') return -1;
    uint64_t l, c, w;
    if (hexfield(h + 41, 8, &l) || hexfield(h + 50, 8, &c) || hexfield(h + 59, 12, &w)) return -1;
    for (int i = 4; i < 40; i++)
        if (h[i] == '\n' || h[i] == '\0') return -1;
    memcpy(msgid, h + 4, 36);
    msgid[36] = '\0';
    for (int i = 35; i >= 0 && msgid[i] == ' '; i--) msgid[i] = '\0'; /* shorter ids are space-padded */
    *len = (size_t)l;
    *crc = (uint32_t)c;
    *wall_ms = (int64_t)w;
    return 0;
}

/* Makes buf hold at least need bytes from off (fewer at end of file). Returns bytes available. */
static size_t fill(int fd, rbuf_t *buf, uint64_t *buf_off, uint64_t off, size_t need) {
    if (off >= *buf_off && off + need <= *buf_off + buf->len) return (size_t)(*buf_off + buf->len - off);
    size_t want = need > READ_CHUNK ? need : READ_CHUNK;
    rbuf_reset(buf);
    *buf_off = off;
    if (rbuf_reserve(buf, want + 1) != 0) return 0;
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(fd, buf->data + got, want - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    buf->len = got;
    buf->data[got] = '\0';
    return got;
}

int spool_rec_at(int fd, rbuf_t *buf, uint64_t *buf_off, uint64_t off, spool_rec_t *r) {
    size_t avail = fill(fd, buf, buf_off, off, SPOOL_HEADER_LEN);
    if (avail == 0) return 0;
    const char *h = buf->data + (off - *buf_off);
    uint32_t crc;
    if (spool_parse_header(h, avail, r->msgid, &r->len, &crc, &r->wall_ms) != 0) return -1;
    size_t need = SPOOL_HEADER_LEN + r->len + 1;
    if (r->len > 64u * 1024 * 1024) return -1;
    avail = fill(fd, buf, buf_off, off, need);
    if (avail < need) return -1;
    h = buf->data + (off - *buf_off);
    if (h[need - 1] != '\n') return -1;
    r->text = h + SPOOL_HEADER_LEN;
    if ((uint32_t)crc32(0L, (const Bytef *)r->text, (uInt)r->len) != crc) return -1;
    r->size = need;
    return 1;
}

/* ---- directory listing, ACK ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t *spool_list_segments(const char *dir, size_t *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    uint64_t *ids = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        unsigned long long id;
        char tail[8];
        if (strlen(de->d_name) != 28 || sscanf(de->d_name, "seg-%20llu%4s", &id, tail) != 2 || strcmp(tail, ".log")) continue;
        if (*n == cap) {
            uint64_t *m = realloc(ids, (cap = cap ? cap * 2 : 16) * sizeof *ids);
            if (!m) break;
            ids = m;
        }
        ids[(*n)++] = id;
    }
    closedir(d);
    if (ids) qsort(ids, *n, sizeof *ids, cmp_u64);
    return ids;
}

spool_pos_t spool_read_ack(const char *dir) {
    spool_pos_t p = {0, 0};
    char path[4096];
    snprintf(path, sizeof path, "%s/ACK", dir);
    FILE *f = fopen(path, "re");
    if (!f) return p;
    unsigned long long seg, off;
    if (fscanf(f, "%llu %llu", &seg, &off) == 2) { p.seg = seg; p.off = off; }
    fclose(f);
    return p;
}

/* ---- open / recover ------------------------------------------------------------------ */

static int mkdir_p(const char *dir) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static void set_err(char *errstr, size_t size, const char *fmt, const char *dir, const char *what) {
    if (errstr && size) snprintf(errstr, size, fmt, dir, what);
}

static int take_lock(spool_t *s, char *errstr, size_t size) {
    char path[4096];
    if (spool_path(s, path, sizeof path, "LOCK") != 0) return -1;
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        set_err(errstr, size, "persistence directory '%s': cannot open its LOCK file: %s", s->dir, strerror(errno));
        return -1;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char owner[32] = "";
        ssize_t r = pread(s->lock_fd, owner, sizeof owner - 1, 0);
        owner[r > 0 ? r : 0] = '\0';
        owner[strcspn(owner, "\n")] = '\0';
        if (errstr && size)
            snprintf(errstr, size,
                     "persistence directory '%s' is in use by another client (process %s); one process owns a spool "
                     "directory at a time: give each process its own directory",
                     s->dir, *owner ? owner : "unknown");
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pid, (size_t)n, 0) != n) { /* informative only */ }
    return 0;
}

/* Counts the valid records of one segment from off; cuts a torn or corrupt tail. */
static uint64_t recover_segment(spool_t *s, uint64_t seg, uint64_t off) {
    char path[4096];
    spool_seg_path(s->dir, seg, path, sizeof path);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return 0;
    rbuf_t buf = RBUF_INIT;
    uint64_t buf_off = 0, count = 0;
    spool_rec_t r;
    int rc;
    while ((rc = spool_rec_at(fd, &buf, &buf_off, off, &r)) == 1) {
        off += r.size;
        s->pending_bytes += r.size;
        count++;
    }
    if (rc < 0) {
        struct stat st;
        if (fstat(fd, &st) == 0)
            snprintf(s->note, sizeof s->note, "spool segment %.300s: cut %lld damaged bytes at offset %llu (a write cut short by a crash)",
                     path, (long long)st.st_size - (long long)off, (unsigned long long)off);
        if (ftruncate(fd, (off_t)off) != 0) { /* the reader stops at the same place anyway */ }
    }
    rbuf_free(&buf);
    close(fd);
    return count;
}

static int open_write_segment(spool_t *s, uint64_t seg) {
    char path[4096];
    if (spool_seg_path(s->dir, seg, path, sizeof path) != 0) return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    s->wfd = fd;
    s->wseg = seg;
    s->wsize = 0;
    return 0;
}

spool_t *spool_open(const spool_opts_t *o, char *errstr, size_t size) {
    spool_t *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(o->dir))) {
        free(s);
        if (errstr && size) snprintf(errstr, size, "out of memory");
        return NULL;
    }
    s->o = *o;
    s->o.dir = s->dir;
    s->lock_fd = s->ack_fd = s->dl_fd = s->wfd = s->rfd = -1;
    pthread_mutex_init(&s->mu, NULL);
    rbuf_init(&s->rbuf);
    char path[4096];
    if (mkdir_p(s->dir) != 0) {
        set_err(errstr, size, "persistence directory '%s' cannot be created: %s", s->dir, strerror(errno));
        goto fail;
    }
    char *abs = realpath(s->dir, NULL); /* a later chdir must not move the spool */
    if (abs) { free(s->dir); s->dir = abs; s->o.dir = abs; }
    if (take_lock(s, errstr, size) != 0) goto fail;
    spool_pos_t ack = spool_read_ack(s->dir);
    size_t nseg;
    uint64_t *segs = spool_list_segments(s->dir, &nseg);
    uint64_t max_seg = 0;
    if (nseg && ack.seg < segs[0]) ack = (spool_pos_t){segs[0], 0}; /* ACK lost or older than the files */
    for (size_t i = 0; i < nseg; i++) {
        if (segs[i] < ack.seg) { /* fully acked: a crash came between the ack and the unlink */
            spool_seg_path(s->dir, segs[i], path, sizeof path);
            unlink(path);
            continue;
        }
        s->recovered += recover_segment(s, segs[i], segs[i] == ack.seg ? ack.off : 0);
        max_seg = segs[i];
    }
    free(segs);
    if (!nseg || max_seg < ack.seg) max_seg = ack.seg;
    s->first_seg = s->rseg = ack.seg;
    s->rpos = ack;
    if (spool_path(s, path, sizeof path, "ACK") != 0 ||
        (s->ack_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        set_err(errstr, size, "persistence directory '%s': cannot write its ACK file: %s", s->dir, strerror(errno));
        goto fail;
    }
    /* New appends go to a fresh segment: never after a tail an earlier process left. */
    if (open_write_segment(s, max_seg + 1) != 0) {
        set_err(errstr, size, "persistence directory '%s': cannot create a segment: %s", s->dir, strerror(errno));
        goto fail;
    }
    s->last_sync_mono = clock_mono_ms();
    return s;
fail:
    spool_close(s);
    return NULL;
}

uint64_t spool_recovered(const spool_t *s) { return s->recovered; }
const char *spool_dir(const spool_t *s) { return s->dir; }
const char *spool_note(const spool_t *s) { return s->note; }

uint64_t spool_pending_bytes(spool_t *s) {
    pthread_mutex_lock(&s->mu);
    uint64_t b = s->pending_bytes;
    pthread_mutex_unlock(&s->mu);
    return b;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

void spool_close(spool_t *s) {
    if (!s) return;
    if (s->wfd >= 0 && s->o.fsync != SPOOL_FSYNC_NEVER) fdatasync(s->wfd);
    close_fd(&s->wfd);
    close_fd(&s->rfd);
    close_fd(&s->ack_fd);
    close_fd(&s->dl_fd);
    close_fd(&s->lock_fd); /* releases the flock */
    rbuf_free(&s->rbuf);
    pthread_mutex_destroy(&s->mu);
    free(s->dir);
    free(s);
}

void spool_abandon_after_fork(spool_t *s) {
    if (!s) return;
    /* Closing our copies leaves the parent's flock in place (it is shared with the parent's
     * descriptor); the mutex may have been held by a parent thread, so it is not touched. */
    close_fd(&s->wfd);
    close_fd(&s->rfd);
    close_fd(&s->ack_fd);
    close_fd(&s->dl_fd);
    close_fd(&s->lock_fd);
    rbuf_free(&s->rbuf);
    free(s->dir);
    free(s);
}

/* ---- append (producers) ------------------------------------------------------------------ */

void spool_lock(spool_t *s) { pthread_mutex_lock(&s->mu); }
void spool_unlock(spool_t *s) { pthread_mutex_unlock(&s->mu); }

static int write_all(int fd, struct iovec *iov, int n) {
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) { w -= (ssize_t)iov->iov_len; iov++; n--; }
        if (n > 0) { iov->iov_base = (char *)iov->iov_base + w; iov->iov_len -= (size_t)w; }
    }
    return 0;
}

rudder_err_t spool_append_locked(spool_t *s, const char *text, size_t len, const char *msgid, char *errstr, size_t size) {
    uint64_t rec = SPOOL_HEADER_LEN + len + 1;
    if (s->pending_bytes + rec > s->o.max_bytes) {
        if (errstr && size)
            snprintf(errstr, size, "persistence full (persistenceMaxBytes %llu bytes pending in the spool); event not accepted",
                     (unsigned long long)s->o.max_bytes);
        return RUDDER_ERR_QUEUE_FULL;
    }
    if (s->wsize > 0 && s->wsize + rec > s->o.segment_bytes) {
        /* rotate: the finished segment is made durable once, unless the policy is never */
        if (s->o.fsync != SPOOL_FSYNC_NEVER) fdatasync(s->wfd);
        int old = s->wfd;
        if (open_write_segment(s, s->wseg + 1) != 0) {
            s->wfd = old;
            if (errstr && size) snprintf(errstr, size, "persistence: cannot create a new segment: %s", strerror(errno));
            return RUDDER_ERR_QUEUE_FULL;
        }
        close(old);
    }
    char header[SPOOL_HEADER_LEN + 1];
    spool_format_header(header, msgid, len, (uint32_t)crc32(0L, (const Bytef *)text, (uInt)len), clock_wall_ms());
    struct iovec iov[3] = {{header, SPOOL_HEADER_LEN}, {(void *)text, len}, {"\n", 1}};
    if (write_all(s->wfd, iov, 3) != 0) {
        int e = errno;
        /* a partial record would be cut at recovery; drop it now so later records stay readable */
        if (ftruncate(s->wfd, (off_t)s->wsize) != 0) { /* recovery cuts it */ }
        if (errstr && size) snprintf(errstr, size, "persistence: writing the spool failed: %s; event not accepted", strerror(e));
        return RUDDER_ERR_QUEUE_FULL;
    }
    s->wsize += rec;
    s->pending_bytes += rec;
    if (s->o.fsync == SPOOL_FSYNC_ALWAYS) fdatasync(s->wfd);
    else if (s->o.fsync == SPOOL_FSYNC_INTERVAL) {
        int64_t now = clock_mono_ms();
        if (now - s->last_sync_mono >= s->o.fsync_interval_ms) {
            fdatasync(s->wfd);
            s->last_sync_mono = now;
        }
    }
    return RUDDER_OK;
}
