/* spool_tools.c — rudder_spool_inspect and rudder_spool_replay: what an operator does with
 * a spool directory from the command line (`ruddercore spool inspect|replay DIR`). */
#include "spool_impl.h"
#include "base/base.h"
#include "conf/conf.h"
#include "json/json.h"
#include "wire/wire.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void fail(rudder_err_t *err, rudder_err_t code, char *errstr, size_t size, const char *fmt, const char *a,
                 const char *b) {
    if (err) *err = code;
    if (errstr && size) snprintf(errstr, size, fmt, a, b);
}

static int is_dir(const char *dir) {
    struct stat st;
    return dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads a whole file (NUL-terminated); NULL when absent. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "re");
    if (!f) return NULL;
    rbuf_t b = RBUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) rbuf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    if (b.oom) { rbuf_free(&b); return NULL; }
    rbuf_cstr(&b);
    return rbuf_detach(&b);
}

/* The pid holding DIR/LOCK, 0 when nobody does. */
static long lock_owner(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/LOCK", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    long owner = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        char buf[32];
        ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
        buf[r > 0 ? r : 0] = '\0';
        owner = strtol(buf, NULL, 10);
        if (owner <= 0) owner = -1;
    }
    close(fd);
    return owner;
}

static void put_iso_or_null(rbuf_t *b, int64_t ms) {
    if (ms < 0) { rbuf_puts(b, "null"); return; }
    char iso[RUDDER_ISO_LEN + 1];
    clock_iso(ms, iso);
    rbuf_printf(b, "\"%s\"", iso);
}

char *rudder_spool_inspect(const char *dir, rudder_err_t *err, char *errstr, size_t size) {
    if (err) *err = RUDDER_OK;
    if (errstr && size) errstr[0] = '\0';
    if (!is_dir(dir)) {
        fail(err, RUDDER_ERR_INVALID_ARG, errstr, size, "spool directory '%s' does not exist%s", dir ? dir : "(null)", "");
        return NULL;
    }
    spool_pos_t ack = spool_read_ack(dir);
    size_t nseg;
    uint64_t *segs = spool_list_segments(dir, &nseg);
    uint64_t events = 0, bytes = 0, damaged = 0;
    int64_t oldest = -1, newest = -1;
    rbuf_t buf = RBUF_INIT;
    for (size_t i = 0; i < nseg; i++) {
        if (segs[i] < ack.seg) continue;
        char path[4096];
        spool_seg_path(dir, segs[i], path, sizeof path);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        uint64_t off = segs[i] == ack.seg ? ack.off : 0, buf_off = 0;
        rbuf_reset(&buf);
        spool_rec_t r;
        int rc;
        while ((rc = spool_rec_at(fd, &buf, &buf_off, off, &r)) == 1) {
            off += r.size;
            events++;
            bytes += r.size;
            if (oldest < 0) oldest = r.wall_ms;
            newest = r.wall_ms;
        }
        if (rc < 0) damaged++;
        close(fd);
    }
    rbuf_free(&buf);
    rbuf_t out = RBUF_INIT;
    rbuf_puts(&out, "{\"dir\":");
    rbuf_json_string(&out, dir, strlen(dir));
    long owner = lock_owner(dir);
    if (owner > 0) rbuf_printf(&out, ",\"owner\":%ld", owner);
    else rbuf_puts(&out, owner < 0 ? ",\"owner\":\"unknown\"" : ",\"owner\":null");
    rbuf_printf(&out, ",\"pending\":{\"events\":%llu,\"bytes\":%llu,\"oldest\":", (unsigned long long)events,
                (unsigned long long)bytes);
    put_iso_or_null(&out, oldest);
    rbuf_puts(&out, ",\"newest\":");
    put_iso_or_null(&out, newest);
    rbuf_printf(&out, "},\"segments\":%zu,\"damagedSegments\":%llu,\"ack\":{\"segment\":%llu,\"offset\":%llu}", nseg,
                (unsigned long long)damaged, (unsigned long long)ack.seg, (unsigned long long)ack.off);
    free(segs);

    char path[4096];
    snprintf(path, sizeof path, "%s/" SPOOL_DEADLETTER, dir);
    size_t len = 0;
    char *dl = slurp(path, &len);
    size_t count = 0;
    rbuf_t list = RBUF_INIT;
    for (char *line = dl, *end; line && line < dl + len; line = end + 1) {
        end = memchr(line, '\n', (size_t)(dl + len - line));
        if (!end) end = dl + len;
        if (end == line) continue;
        rudder_err_t perr;
        cJSON *v = rj_parse(line, (size_t)(end - line), 0, &perr, NULL, 0);
        if (count++) rbuf_putc(&list, ',');
        if (v) rj_print_to(v, &list);
        else { /* keep a damaged line visible rather than hide it */
            rbuf_puts(&list, "{\"damagedLine\":");
            rbuf_json_string(&list, line, (size_t)(end - line));
            rbuf_putc(&list, '}');
        }
        rj_delete(v);
    }
    free(dl);
    rbuf_printf(&out, ",\"deadLetters\":{\"count\":%zu,\"events\":[", count);
    if (list.len) rbuf_append(&out, list.data, list.len);
    rbuf_puts(&out, "]}}");
    rbuf_free(&list);
    if (out.oom) {
        rbuf_free(&out);
        fail(err, RUDDER_ERR_NO_MEMORY, errstr, size, "out of memory%s%s", "", "");
        return NULL;
    }
    return rbuf_detach(&out);
}

/* ---- replay ----------------------------------------------------------------------------- */

typedef struct dl_line {
    cJSON *obj;       /* the parsed line (NULL when damaged) */
    char *raw;        /* damaged lines are kept verbatim */
    int state;        /* 0 untried, 1 delivered, 2 rejected again */
} dl_line_t;


/* Posts lines [from, to) as one batch; returns the HTTP result. */
static void post_lines(transport_t *t, dl_line_t *lines, size_t from, size_t to, http_result_t *res) {
    char now[RUDDER_ISO_LEN + 1];
    clock_iso(clock_wall_ms(), now);
    rbuf_t body = RBUF_INIT;
    rbuf_puts(&body, "{\"batch\":[");
    for (size_t i = from; i < to; i++) {
        cJSON *ev = rj_dup(cJSON_GetObjectItemCaseSensitive(lines[i].obj, "event"));
        rj_delete(cJSON_DetachItemFromObjectCaseSensitive(ev, "sentAt"));
        cJSON_AddStringToObject(ev, "sentAt", now);
        if (i > from) rbuf_putc(&body, ',');
        rj_print_to(ev, &body);
        rj_delete(ev);
    }
    rbuf_printf(&body, "],\"sentAt\":\"%s\"}", now);
    transport_post(t, body.data, body.len, 0, res);
    rbuf_free(&body);
}

static void mark_rejected(dl_line_t *l, const http_result_t *res) {
    char now[RUDDER_ISO_LEN + 1], why[700];
    clock_iso(clock_wall_ms(), now);
    if (res->status) snprintf(why, sizeof why, "HTTP %d: %.500s", res->status, res->body);
    else snprintf(why, sizeof why, "%s", res->error);
    why[strcspn(why, "\r\n")] = '\0';
    rj_delete(cJSON_DetachItemFromObjectCaseSensitive(l->obj, "status"));
    rj_delete(cJSON_DetachItemFromObjectCaseSensitive(l->obj, "error"));
    rj_delete(cJSON_DetachItemFromObjectCaseSensitive(l->obj, "replayedAt"));
    cJSON_AddNumberToObject(l->obj, "status", res->status);
    cJSON_AddStringToObject(l->obj, "error", why);
    cJSON_AddStringToObject(l->obj, "replayedAt", now);
    l->state = 2;
}

static int rewrite_dead_letters(const char *dir, dl_line_t *lines, size_t n) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/" SPOOL_DEADLETTER, dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    rbuf_t out = RBUF_INIT;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (lines[i].state == 1) continue;
        if (lines[i].obj) rj_print_to(lines[i].obj, &out);
        else rbuf_puts(&out, lines[i].raw);
        rbuf_putc(&out, '\n');
        kept++;
    }
    int rc = 0;
    if (!kept) rc = unlink(path) == 0 || errno == ENOENT ? 0 : -1;
    else {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || out.oom || write(fd, out.data, out.len) != (ssize_t)out.len || fsync(fd) != 0) rc = -1;
        if (fd >= 0) close(fd);
        if (rc == 0 && rename(tmp, path) != 0) rc = -1;
        if (rc != 0) unlink(tmp);
    }
    rbuf_free(&out);
    return rc;
}

char *rudder_spool_replay(const char *dir, const rudder_conf_t *conf, rudder_err_t *err, char *errstr, size_t size) {
    if (err) *err = RUDDER_OK;
    if (errstr && size) errstr[0] = '\0';
    if (!is_dir(dir)) {
        fail(err, RUDDER_ERR_INVALID_ARG, errstr, size, "spool directory '%s' does not exist%s", dir ? dir : "(null)", "");
        return NULL;
    }
    if (!conf) {
        fail(err, RUDDER_ERR_INVALID_ARG, errstr, size, "replay needs settings (writeKey, dataPlaneUrl)%s%s", "", "");
        return NULL;
    }
    rudder_err_t ce = conf_validate_for_client(conf, errstr, size);
    if (ce != RUDDER_OK) {
        if (err) *err = ce;
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/LOCK", dir);
    int lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (lock_fd >= 0) close(lock_fd);
        fail(err, RUDDER_ERR_CONFIG, errstr, size,
             "spool directory '%s' is in use by a running client; stop it (or let it finish) before replaying%s", dir, "");
        return NULL;
    }
    snprintf(path, sizeof path, "%s/" SPOOL_DEADLETTER, dir);
    size_t len = 0;
    char *text = slurp(path, &len);
    dl_line_t *lines = NULL;
    size_t n = 0, cap = 0;
    for (char *line = text, *end; line && line < text + len; line = end + 1) {
        end = memchr(line, '\n', (size_t)(text + len - line));
        if (!end) end = text + len;
        if (end == line) continue;
        *end = '\0';
        if (n == cap) {
            dl_line_t *m = realloc(lines, (cap = cap ? cap * 2 : 64) * sizeof *lines);
            if (!m) break;
            lines = m;
        }
        rudder_err_t perr;
        dl_line_t *l = &lines[n++];
        memset(l, 0, sizeof *l);
        l->obj = rj_parse(line, (size_t)(end - line), 0, &perr, NULL, 0);
        if (!l->obj || !rj_is_object(cJSON_GetObjectItemCaseSensitive(l->obj, "event"))) {
            rj_delete(l->obj);
            l->obj = NULL;
            l->raw = strdup(line);
        }
    }
    free(text);

    char terr[256];
    transport_t *t = transport_new(conf, NULL, terr, sizeof terr);
    size_t delivered = 0, failed = 0, damaged = 0;
    int stopped = 0;
    size_t max_body = (size_t)conf_int(conf, "maxQueueSize");
    for (size_t i = 0; t && i < n && !stopped;) {
        if (!lines[i].obj) { damaged++; i++; continue; }
        /* one batch: consecutive good lines up to maxQueueSize (estimated from the line) */
        size_t j = i, body = 64;
        while (j < n && lines[j].obj) {
            char *p = rj_print(cJSON_GetObjectItemCaseSensitive(lines[j].obj, "event"));
            size_t add = (p ? strlen(p) : 0) + 40;
            free(p);
            if (j > i && body + add > max_body) break;
            body += add;
            j++;
        }
        http_result_t res;
        post_lines(t, lines, i, j, &res);
        if (res.status >= 200 && res.status < 300) {
            for (size_t k = i; k < j; k++) lines[k].state = 1;
            delivered += j - i;
        } else if (http_result_transient(&res)) {
            stopped = 1; /* data plane unavailable: keep the rest as they are */
            if (errstr && size) {
                if (res.status) snprintf(errstr, size, "data plane answered HTTP %d; the remaining dead letters are kept", res.status);
                else snprintf(errstr, size, "data plane unreachable (%s); the remaining dead letters are kept", res.error);
            }
        } else {
            for (size_t k = i; k < j; k++) mark_rejected(&lines[k], &res);
            failed += j - i;
        }
        i = j;
    }
    if (!t && errstr && size) snprintf(errstr, size, "%s", terr);
    transport_free(t);
    int wrc = rewrite_dead_letters(dir, lines, n);
    for (size_t i = 0; i < n; i++) { rj_delete(lines[i].obj); free(lines[i].raw); }
    free(lines);
    close(lock_fd);
    if (wrc != 0) {
        fail(err, RUDDER_ERR_TRANSPORT, errstr, size, "spool directory '%s': could not rewrite the dead-letter file%s", dir, "");
        return NULL;
    }
    rbuf_t out = RBUF_INIT;
    rbuf_printf(&out, "{\"deadLetters\":%zu,\"delivered\":%zu,\"failed\":%zu,\"kept\":%zu,\"damaged\":%zu,\"complete\":%s}",
                n, delivered, failed, n - delivered, damaged, stopped || !t ? "false" : "true");
    if (err && (stopped || !t)) *err = RUDDER_ERR_TRANSPORT;
    return rbuf_detach(&out);
}
