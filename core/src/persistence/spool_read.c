/* spool_read.c — the sender's side of the spool: read batches back in order, ack what
 * reached a final state (deleting finished segments), fsync per policy, dead letters. */
#include "spool_impl.h"
#include "base/base.h"
#include "json/json.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EXPIRED_PER_READ 10000

static int open_reader(spool_t *s) {
    if (s->rfd >= 0 && s->rseg == s->rpos.seg) return 0;
    if (s->rfd >= 0) close(s->rfd);
    s->rfd = -1;
    rbuf_reset(&s->rbuf);
    s->rbuf_off = 0;
    char path[4096];
    spool_seg_path(s->dir, s->rpos.seg, path, sizeof path);
    s->rfd = open(path, O_RDONLY | O_CLOEXEC);
    s->rseg = s->rpos.seg;
    return s->rfd >= 0 ? 0 : -1;
}

static uint64_t write_segment(spool_t *s) {
    pthread_mutex_lock(&s->mu);
    uint64_t w = s->wseg;
    pthread_mutex_unlock(&s->mu);
    return w;
}

static void append(qevent_t **head, qevent_t **tail, qevent_t *e) {
    if (*tail) (*tail)->next = e;
    else *head = e;
    *tail = e;
}

size_t spool_read_batch(spool_t *s, size_t max_count, size_t max_body, spool_batch_t *b) {
    memset(b, 0, sizeof *b);
    qevent_t *tail = NULL, *etail = NULL;
    size_t consumed = 0, body = BATCH_OVERHEAD;
    int64_t cutoff = s->o.max_age_ms > 0 ? clock_wall_ms() - s->o.max_age_ms : INT64_MIN;
    while (consumed < max_count) {
        spool_rec_t r;
        int rc = open_reader(s) == 0 ? spool_rec_at(s->rfd, &s->rbuf, &s->rbuf_off, s->rpos.off, &r) : -1;
        if (rc != 1) {
            /* end of this segment (or a damaged one): the next record is in the next segment */
            if (s->rpos.seg >= write_segment(s)) {
                b->n_lost = max_count - consumed; /* expected records that are not there */
                consumed = max_count;
                break;
            }
            s->rpos = (spool_pos_t){s->rpos.seg + 1, 0};
            continue;
        }
        if (r.wall_ms < cutoff) {
            if (b->n_expired >= MAX_EXPIRED_PER_READ) break;
            qevent_t *e = qevent_new(r.text, r.len, r.msgid);
            if (!e) break;
            append(&b->expired, &etail, e);
            b->n_expired++;
        } else {
            size_t add = r.len + EVENT_SUFFIX + (b->n ? 1 : 0);
            if (b->n && body + add > max_body) break;
            qevent_t *e = qevent_new(r.text, r.len, r.msgid);
            if (!e) break;
            body += add;
            append(&b->events, &tail, e);
            b->n++;
        }
        s->rpos.off += r.size;
        b->bytes += r.size;
        consumed++;
    }
    b->end = s->rpos;
    return consumed;
}

void spool_ack(spool_t *s, const spool_batch_t *b) {
    char line[64];
    int n = snprintf(line, sizeof line, "%020" PRIu64 " %020" PRIu64 "\n", b->end.seg, b->end.off);
    /* one small in-place write: a crash leaves the old or the new position (at worst duplicates) */
    if (pwrite(s->ack_fd, line, (size_t)n, 0) != n) { /* next ack retries; duplicates only */ }
    pthread_mutex_lock(&s->mu);
    s->pending_bytes = s->pending_bytes > b->bytes ? s->pending_bytes - b->bytes : 0;
    uint64_t wseg = s->wseg;
    pthread_mutex_unlock(&s->mu);
    while (s->first_seg < b->end.seg && s->first_seg < wseg) {
        char path[4096];
        spool_seg_path(s->dir, s->first_seg, path, sizeof path);
        if (s->rfd >= 0 && s->rseg == s->first_seg) { close(s->rfd); s->rfd = -1; }
        unlink(path);
        s->first_seg++;
    }
}

void spool_sync_for_batch(spool_t *s) {
    if (s->o.fsync != SPOOL_FSYNC_BATCH) return;
    pthread_mutex_lock(&s->mu);
    int fd = s->wfd >= 0 ? dup(s->wfd) : -1; /* the producer may rotate meanwhile */
    pthread_mutex_unlock(&s->mu);
    if (fd < 0) return;
    fdatasync(fd);
    close(fd);
}

int spool_dead_letter(spool_t *s, const qevent_t *list, int status, const char *why) {
    if (s->dl_fd < 0) {
        char path[4096];
        if (spool_path(s, path, sizeof path, SPOOL_DEADLETTER) != 0) return -1;
        s->dl_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (s->dl_fd < 0) return -1;
    }
    char now[RUDDER_ISO_LEN + 1];
    clock_iso(clock_wall_ms(), now);
    rbuf_t out = RBUF_INIT, ev = RBUF_INIT;
    for (const qevent_t *e = list; e; e = e->next) {
        rbuf_reset(&ev);
        rbuf_append(&ev, e->text, e->len);
        rbuf_putc(&ev, '}');
        rudder_err_t perr;
        cJSON *tree = rj_parse(ev.data, ev.len, 0, &perr, NULL, 0);
        rbuf_printf(&out, "{\"failedAt\":\"%s\",\"status\":%d,\"error\":", now, status);
        rbuf_json_string(&out, why, strlen(why));
        rbuf_puts(&out, ",\"messageId\":");
        rbuf_json_string(&out, e->msgid, strlen(e->msgid));
        rbuf_puts(&out, ",\"event\":");
        if (tree) rj_print_to(tree, &out); /* compact: one line even if the caller's JSON had newlines */
        else rbuf_json_string(&out, ev.data, ev.len);
        rbuf_puts(&out, "}\n");
        rj_delete(tree);
    }
    int rc = 0;
    for (size_t off = 0; off < out.len && !out.oom;) {
        ssize_t w = write(s->dl_fd, out.data + off, out.len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { rc = -1; break; }
        off += (size_t)w;
    }
    if (out.oom) rc = -1;
    if (s->o.fsync != SPOOL_FSYNC_NEVER) fdatasync(s->dl_fd);
    rbuf_free(&out);
    rbuf_free(&ev);
    return rc;
}
