/* redisq.c — the reliable batch queue in Redis (layout in redisq.h and docs/REDIS.md):
 * LPUSH to queue, BLMOVE into a per-processor active list, delete on delivery, a failed
 * list for the operator, heartbeats for multi-processor crash recovery.  Without hiredis
 * every entry point says so (RUDDER_ERR_CONFIG naming libhiredis-dev). */
#include "redisq.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RUDDERCORE_HAVE_HIREDIS
#include "base/base.h"
#include <hiredis/hiredis.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define KEY_CAP 512

struct redisq {
    redisq_opts_t o;
    redisContext *push, *proc; /* producer side, processor side */
    char id[96];
    char base[260];            /* "<prefix>:<queueName>" */
    char k_wait[KEY_CAP], k_active[KEY_CAP], k_alive[KEY_CAP], k_procs[KEY_CAP], k_attempts[KEY_CAP],
        k_failed[KEY_CAP], k_failinfo[KEY_CAP];
    uint64_t counter;
    size_t recovered;
    int64_t last_beat_mono, next_reclaim_mono;
    rbuf_t enc;
};

static void set_err(char *errstr, size_t size, const char *fmt, const char *a, const char *b) {
    if (errstr && size) snprintf(errstr, size, fmt, a, b);
}

static void key_names(redisq_t *q) {
    snprintf(q->base, sizeof q->base, "%s:%s", q->o.prefix, q->o.queue_name);
    snprintf(q->k_wait, KEY_CAP, "%s:wait", q->base);
    snprintf(q->k_active, KEY_CAP, "%s:active:%s", q->base, q->id);
    snprintf(q->k_alive, KEY_CAP, "%s:alive:%s", q->base, q->id);
    snprintf(q->k_procs, KEY_CAP, "%s:procs", q->base);
    snprintf(q->k_attempts, KEY_CAP, "%s:attempts", q->base);
    snprintf(q->k_failed, KEY_CAP, "%s:failed", q->base);
    snprintf(q->k_failinfo, KEY_CAP, "%s:failinfo", q->base);
}

/* Connects, authenticates and selects the database.  NULL with errstr (never the password). */
static redisContext *connect_redis(const redisq_opts_t *o, int64_t read_timeout_ms, char *errstr, size_t size) {
    struct timeval ct = {(time_t)(o->connect_timeout_ms / 1000), (suseconds_t)(o->connect_timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(o->host, o->port, ct);
    char where[300];
    snprintf(where, sizeof where, "%s:%d", o->host, o->port);
    if (!c || c->err) {
        set_err(errstr, size, "persistence: cannot connect to Redis at %s: %s", where, c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        return NULL;
    }
    struct timeval rt = {(time_t)(read_timeout_ms / 1000), (suseconds_t)(read_timeout_ms % 1000) * 1000};
    redisSetTimeout(c, rt);
    redisReply *r = NULL;
    if (*o->password) {
        r = *o->username ? redisCommand(c, "AUTH %s %s", o->username, o->password) : redisCommand(c, "AUTH %s", o->password);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            set_err(errstr, size, "persistence: Redis at %s refused the password: %s", where,
                    r ? r->str : c->errstr);
            goto fail;
        }
        freeReplyObject(r);
    }
    if (o->db) {
        r = redisCommand(c, "SELECT %d", o->db);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            set_err(errstr, size, "persistence: Redis at %s refused SELECT of the database: %s", where,
                    r ? r->str : c->errstr);
            goto fail;
        }
        freeReplyObject(r);
    }
    r = redisCommand(c, "PING");
    if (!r || r->type == REDIS_REPLY_ERROR) {
        set_err(errstr, size, "persistence: Redis at %s does not answer: %s", where, r ? r->str : c->errstr);
        goto fail;
    }
    freeReplyObject(r);
    return c;
fail:
    if (r) freeReplyObject(r);
    redisFree(c);
    return NULL;
}

static int64_t proc_read_timeout(const redisq_t *q) { return q->o.connect_timeout_ms + 3000; }
static void destroy(redisq_t *q);

/* A side whose connection broke gets a new one on its next use. */
static redisContext *side(redisq_t *q, redisContext **slot, char *errstr, size_t size) {
    if (*slot && !(*slot)->err) return *slot;
    if (*slot) redisFree(*slot);
    *slot = connect_redis(&q->o, slot == &q->proc ? proc_read_timeout(q) : q->o.connect_timeout_ms, errstr, size);
    return *slot;
}

/* Reads n pipelined replies; keeps the last (caller frees) in *last if wanted.  0 when none
 * is an error. */
static int read_replies(redisContext *c, int n, redisReply **last) {
    int ok = 1;
    if (last) *last = NULL;
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r) return -1;
        if (r->type == REDIS_REPLY_ERROR) ok = 0;
        if (r->type == REDIS_REPLY_ARRAY)
            for (size_t j = 0; j < r->elements; j++)
                if (r->element[j]->type == REDIS_REPLY_ERROR) ok = 0;
        if (last && i == n - 1) *last = r;
        else freeReplyObject(r);
    }
    return ok ? 0 : -1;
}

static void batch_key(const redisq_t *q, const char *id, char *out) { snprintf(out, KEY_CAP, "%s:b:%s", q->base, id); }

/* Moves a processor's active batches back to the queue: to the front (taken next, oldest
 * first) or behind everything queued.  Returns how many. */
static int reclaim(redisq_t *q, redisContext *c, const char *proc_id, int to_front) {
    char active[KEY_CAP];
    snprintf(active, KEY_CAP, "%s:active:%s", q->base, proc_id);
    int n = 0;
    for (;;) {
        redisReply *r = to_front ? redisCommand(c, "LMOVE %s %s LEFT RIGHT", active, q->k_wait)
                                 : redisCommand(c, "LMOVE %s %s RIGHT LEFT", active, q->k_wait);
        int got = r && r->type == REDIS_REPLY_STRING;
        if (r) freeReplyObject(r);
        if (!got) break;
        n++;
    }
    if (strcmp(proc_id, q->id) != 0) {
        redisReply *r = redisCommand(c, "SREM %s %s", q->k_procs, proc_id);
        if (r) freeReplyObject(r);
    }
    return n;
}

/* Processors to recover: every other one (single processor: whoever was there died), or the
 * ones whose heartbeat expired (multi-processor). */
static int recover(redisq_t *q, redisContext *c, int only_dead, int to_front) {
    redisReply *m = redisCommand(c, "SMEMBERS %s", q->k_procs);
    if (!m || m->type != REDIS_REPLY_ARRAY) {
        if (m) freeReplyObject(m);
        return -1;
    }
    int n = 0;
    for (size_t i = 0; i < m->elements; i++) {
        const char *p = m->element[i]->str;
        if (!p || !strcmp(p, q->id)) continue;
        if (only_dead) {
            char alive[KEY_CAP];
            snprintf(alive, KEY_CAP, "%s:alive:%s", q->base, p);
            redisReply *e = redisCommand(c, "EXISTS %s", alive);
            int living = e && e->type == REDIS_REPLY_INTEGER && e->integer > 0;
            if (e) freeReplyObject(e);
            if (living) continue;
        }
        n += reclaim(q, c, p, to_front);
    }
    freeReplyObject(m);
    return n;
}

int redisq_heartbeat(redisq_t *q) {
    redisContext *c = side(q, &q->proc, NULL, 0);
    if (!c) return -1;
    redisAppendCommand(c, "SET %s 1 PX %lld", q->k_alive, (long long)q->o.heartbeat_ttl_ms);
    redisAppendCommand(c, "SADD %s %s", q->k_procs, q->id);
    if (read_replies(c, 2, NULL) != 0) return -1;
    q->last_beat_mono = clock_mono_ms();
    return 0;
}

redisq_t *redisq_open(const redisq_opts_t *opts, char *errstr, size_t size) {
    if (errstr && size) errstr[0] = '\0';
    redisq_t *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->o = *opts;
    rbuf_init(&q->enc);
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned rnd = (unsigned)(ts.tv_nsec ^ (long)getpid() * 2654435761u);
    snprintf(q->id, sizeof q->id, "%.40s-%d-%08x", host, (int)getpid(), rnd);
    key_names(q);
    q->push = connect_redis(&q->o, q->o.connect_timeout_ms, errstr, size);
    if (q->push) q->proc = connect_redis(&q->o, proc_read_timeout(q), errstr, size);
    if (!q->push || !q->proc || redisq_heartbeat(q) != 0) {
        if (errstr && size && !errstr[0]) snprintf(errstr, size, "persistence: Redis refused the queue's commands");
        destroy(q);
        return NULL;
    }
    /* batches a dead process was sending: first in line (keeps order) or behind newer ones */
    int n = recover(q, q->proc, q->o.multi_processor, !q->o.multi_processor);
    q->recovered = n > 0 ? (size_t)n : 0;
    q->next_reclaim_mono = clock_mono_ms() + q->o.heartbeat_ttl_ms / 2;
    return q;
}

static void destroy(redisq_t *q) {
    if (!q) return;
    if (q->push) redisFree(q->push);
    if (q->proc) redisFree(q->proc);
    rbuf_free(&q->enc);
    free(q);
}

/* The parent's threads may have been inside hiredis when it forked, so the child frees
 * nothing of theirs (a small leak per fork): it only closes its copies of the sockets. */
void redisq_abandon_after_fork(redisq_t *q) {
    if (!q) return;
    if (q->push && q->push->fd >= 0) close(q->push->fd);
    if (q->proc && q->proc->fd >= 0) close(q->proc->fd);
}

void redisq_close(redisq_t *q) {
    if (!q) return;
    redisContext *c = side(q, &q->proc, NULL, 0);
    if (c) {
        reclaim(q, c, q->id, 1); /* a batch still active goes back to the front */
        redisAppendCommand(c, "SREM %s %s", q->k_procs, q->id);
        redisAppendCommand(c, "DEL %s", q->k_alive);
        read_replies(c, 2, NULL);
    }
    destroy(q);
}

const char *redisq_proc_id(const redisq_t *q) { return q->id; }
const redisq_opts_t *redisq_options(const redisq_t *q) { return &q->o; }
size_t redisq_recovered(const redisq_t *q) { return q->recovered; }

int redisq_push(redisq_t *q, const qevent_t *list, char *errstr, size_t size) {
    redisContext *c = side(q, &q->push, errstr, size);
    if (!c) return -1;
    redisq_encode(&q->enc, list);
    if (q->enc.oom) {
        set_err(errstr, size, "persistence: out of memory encoding a batch%s%s", "", "");
        rbuf_free(&q->enc);
        return -1;
    }
    char id[128], key[KEY_CAP];
    snprintf(id, sizeof id, "%s-%llu", q->id, (unsigned long long)++q->counter);
    batch_key(q, id, key);
    /* one round trip; MULTI makes "stored" and "queued" one step */
    redisAppendCommand(c, "MULTI");
    redisAppendCommand(c, "SET %s %b", key, q->enc.data, q->enc.len);
    redisAppendCommand(c, "LPUSH %s %s", q->k_wait, id);
    redisAppendCommand(c, "EXEC");
    redisReply *exec = NULL;
    int rc = read_replies(c, 4, &exec);
    if (rc == 0 && (!exec || exec->type != REDIS_REPLY_ARRAY)) rc = -1;
    if (rc != 0) set_err(errstr, size, "persistence: Redis did not store the batch: %s%s",
                         c->err ? c->errstr : "command refused", "");
    if (exec) freeReplyObject(exec);
    if (q->enc.cap > (8u << 20)) rbuf_free(&q->enc);
    return rc;
}

int redisq_reclaim_dead(redisq_t *q) {
    redisContext *c = side(q, &q->proc, NULL, 0);
    return c ? recover(q, c, 1, 0) : -1;
}

int redisq_take(redisq_t *q, int timeout_ms, redisq_batch_t *b, char *errstr, size_t size) {
    memset(b, 0, sizeof *b);
    redisContext *c = side(q, &q->proc, errstr, size);
    if (!c) return -1;
    int64_t now = clock_mono_ms();
    if (now - q->last_beat_mono >= q->o.heartbeat_ttl_ms / 3 && redisq_heartbeat(q) != 0) goto broken;
    if (q->o.multi_processor && now >= q->next_reclaim_mono) {
        redisq_reclaim_dead(q);
        q->next_reclaim_mono = now + q->o.heartbeat_ttl_ms / 2;
    }
    redisReply *r = timeout_ms > 0
                        ? redisCommand(c, "BLMOVE %s %s RIGHT LEFT %.3f", q->k_wait, q->k_active, timeout_ms / 1000.0)
                        : redisCommand(c, "LMOVE %s %s RIGHT LEFT", q->k_wait, q->k_active);
    if (!r || r->type == REDIS_REPLY_ERROR) {
        if (r) freeReplyObject(r);
        goto broken;
    }
    if (r->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        return 0;
    }
    snprintf(b->id, sizeof b->id, "%s", r->str);
    freeReplyObject(r);
    char key[KEY_CAP];
    batch_key(q, b->id, key);
    redisAppendCommand(c, "GET %s", key);
    redisAppendCommand(c, "HGET %s %s", q->k_attempts, b->id);
    redisReply *data = NULL, *att = NULL;
    if (redisGetReply(c, (void **)&data) != REDIS_OK || redisGetReply(c, (void **)&att) != REDIS_OK) {
        if (data) freeReplyObject(data);
        goto broken;
    }
    if (att && att->type == REDIS_REPLY_STRING) b->attempts = atoi(att->str);
    int rc = 1;
    if (!data || data->type != REDIS_REPLY_STRING) {
        /* delivered meanwhile by a processor presumed dead: nothing left to send */
        redisReply *x = redisCommand(c, "LREM %s 1 %s", q->k_active, b->id);
        if (x) freeReplyObject(x);
        rc = 0;
    } else if (!(b->events = redisq_decode(data->str, data->len, &b->n))) {
        redisq_fail(q, b, 0, "damaged batch in Redis (cannot be decoded)");
        rc = 0;
    }
    if (data) freeReplyObject(data);
    if (att) freeReplyObject(att);
    return rc;
broken:
    set_err(errstr, size, "persistence: Redis connection lost: %s%s", c->err ? c->errstr : "command refused", "");
    if (!c->err) c->err = REDIS_ERR_OTHER; /* reconnect next time */
    return -1;
}

int redisq_ack(redisq_t *q, redisq_batch_t *b) {
    redisContext *c = side(q, &q->proc, NULL, 0);
    int rc = -1;
    if (c) {
        char key[KEY_CAP];
        batch_key(q, b->id, key);
        redisAppendCommand(c, "MULTI");
        redisAppendCommand(c, "DEL %s", key);
        redisAppendCommand(c, "HDEL %s %s", q->k_attempts, b->id);
        redisAppendCommand(c, "LREM %s 1 %s", q->k_active, b->id);
        redisAppendCommand(c, "EXEC");
        rc = read_replies(c, 5, NULL);
    }
    return rc;
}

int redisq_count_attempt(redisq_t *q, redisq_batch_t *b) {
    redisContext *c = side(q, &q->proc, NULL, 0);
    if (!c) return -1;
    redisReply *r = redisCommand(c, "HINCRBY %s %s 1", q->k_attempts, b->id);
    int n = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    if (r) freeReplyObject(r);
    if (n > 0) b->attempts = n;
    return n;
}

int redisq_fail(redisq_t *q, redisq_batch_t *b, int status, const char *why) {
    redisContext *c = side(q, &q->proc, NULL, 0);
    int rc = -1;
    if (c) {
        rbuf_t info = RBUF_INIT;
        rbuf_printf(&info, "{\"status\":%d,\"error\":", status);
        rbuf_json_string(&info, why, strlen(why));
        char now[RUDDER_ISO_LEN + 1];
        clock_iso(clock_wall_ms(), now);
        rbuf_printf(&info, ",\"attempts\":%d,\"failedAt\":\"%s\"}", b->attempts, now);
        redisAppendCommand(c, "MULTI");
        redisAppendCommand(c, "LREM %s 1 %s", q->k_active, b->id);
        redisAppendCommand(c, "LPUSH %s %s", q->k_failed, b->id);
        redisAppendCommand(c, "HSET %s %s %b", q->k_failinfo, b->id, info.data ? info.data : "", info.len);
        redisAppendCommand(c, "HDEL %s %s", q->k_attempts, b->id);
        redisAppendCommand(c, "EXEC");
        rc = read_replies(c, 6, NULL);
        rbuf_free(&info);
    }
    return rc;
}

int redisq_release(redisq_t *q, redisq_batch_t *b) {
    redisContext *c = side(q, &q->proc, NULL, 0);
    int rc = -1;
    if (c) {
        redisAppendCommand(c, "MULTI");
        redisAppendCommand(c, "LREM %s 1 %s", q->k_active, b->id);
        redisAppendCommand(c, "RPUSH %s %s", q->k_wait, b->id);
        redisAppendCommand(c, "EXEC");
        rc = read_replies(c, 4, NULL);
    }
    return rc;
}

static long long int_reply(redisContext *c, const char *fmt, const char *key) {
    redisReply *r = redisCommand(c, fmt, key);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r) freeReplyObject(r);
    return v;
}

char *redisq_status_json(redisq_t *q) {
    redisContext *c = side(q, &q->proc, NULL, 0);
    if (!c) return NULL;
    long long waiting = int_reply(c, "LLEN %s", q->k_wait), failed = int_reply(c, "LLEN %s", q->k_failed), active = 0;
    redisReply *m = redisCommand(c, "SMEMBERS %s", q->k_procs);
    if (m && m->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < m->elements; i++) {
            char k[KEY_CAP];
            snprintf(k, KEY_CAP, "%s:active:%s", q->base, m->element[i]->str);
            long long n = int_reply(c, "LLEN %s", k);
            if (n > 0) active += n;
        }
    if (m) freeReplyObject(m);
    if (waiting < 0 || failed < 0) return NULL;
    rbuf_t b = RBUF_INIT;
    rbuf_printf(&b, "{\"waiting\":%lld,\"active\":%lld,\"failed\":%lld}", waiting, active, failed);
    return rbuf_detach(&b);
}

/* ---- operator tools ---- */

static redisq_t *tool_queue(const redisq_opts_t *opts, char *errstr, size_t size) {
    redisq_t *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->o = *opts;
    snprintf(q->id, sizeof q->id, "tool");
    key_names(q);
    rbuf_init(&q->enc);
    if (!(q->proc = connect_redis(&q->o, proc_read_timeout(q), errstr, size))) {
        free(q);
        return NULL;
    }
    return q;
}

char *redisq_list_failed(const redisq_opts_t *opts, rudder_err_t *err, char *errstr, size_t size) {
    *err = RUDDER_OK;
    redisq_t *q = tool_queue(opts, errstr, size);
    if (!q) {
        *err = RUDDER_ERR_CONFIG;
        return NULL;
    }
    redisContext *c = q->proc;
    redisReply *ids = redisCommand(c, "LRANGE %s 0 -1", q->k_failed);
    if (!ids || ids->type != REDIS_REPLY_ARRAY) {
        set_err(errstr, size, "persistence: cannot read the failed list: %s%s", c->errstr, "");
        if (ids) freeReplyObject(ids);
        destroy(q);
        *err = RUDDER_ERR_CONFIG;
        return NULL;
    }
    rbuf_t out = RBUF_INIT;
    rbuf_putc(&out, '[');
    for (size_t i = 0; i < ids->elements; i++) {
        const char *id = ids->element[i]->str;
        char key[KEY_CAP];
        batch_key(q, id, key);
        redisReply *data = redisCommand(c, "GET %s", key);
        redisReply *info = redisCommand(c, "HGET %s %s", q->k_failinfo, id);
        size_t n = 0;
        qevent_t *evs = data && data->type == REDIS_REPLY_STRING ? redisq_decode(data->str, data->len, &n) : NULL;
        if (i) rbuf_putc(&out, ',');
        rbuf_puts(&out, "{\"id\":");
        rbuf_json_string(&out, id, strlen(id));
        rbuf_printf(&out, ",\"events\":%zu,\"messageIds\":[", n);
        for (qevent_t *e = evs; e; e = e->next) {
            if (e != evs) rbuf_putc(&out, ',');
            rbuf_json_string(&out, e->msgid, strlen(e->msgid));
        }
        rbuf_puts(&out, "],\"failure\":");
        if (info && info->type == REDIS_REPLY_STRING) rbuf_append(&out, info->str, info->len);
        else rbuf_puts(&out, "null");
        rbuf_putc(&out, '}');
        qevent_free_list(evs);
        if (data) freeReplyObject(data);
        if (info) freeReplyObject(info);
    }
    rbuf_putc(&out, ']');
    freeReplyObject(ids);
    destroy(q);
    return rbuf_detach(&out);
}

long redisq_requeue_failed(const redisq_opts_t *opts, char *errstr, size_t size) {
    redisq_t *q = tool_queue(opts, errstr, size);
    if (!q) return -1;
    redisContext *c = q->proc;
    long n = 0;
    for (;;) {
        redisReply *r = redisCommand(c, "LMOVE %s %s RIGHT LEFT", q->k_failed, q->k_wait);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            set_err(errstr, size, "persistence: requeue failed: %s%s", r ? r->str : c->errstr, "");
            if (r) freeReplyObject(r);
            n = -1;
            break;
        }
        if (r->type != REDIS_REPLY_STRING) {
            freeReplyObject(r);
            break;
        }
        redisAppendCommand(c, "HDEL %s %s", q->k_failinfo, r->str);
        redisAppendCommand(c, "HDEL %s %s", q->k_attempts, r->str);
        read_replies(c, 2, NULL);
        freeReplyObject(r);
        n++;
    }
    destroy(q);
    return n;
}

#else /* built without hiredis: the backend exists only to say so */

static void missing(char *errstr, size_t size) {
    if (errstr && size) snprintf(errstr, size, "%s", REDISQ_MISSING_HIREDIS);
}
redisq_t *redisq_open(const redisq_opts_t *opts, char *errstr, size_t size) {
    (void)opts;
    missing(errstr, size);
    return NULL;
}
void redisq_close(redisq_t *q) { (void)q; }
void redisq_abandon_after_fork(redisq_t *q) { (void)q; }
const char *redisq_proc_id(const redisq_t *q) { (void)q; return ""; }
const redisq_opts_t *redisq_options(const redisq_t *q) { (void)q; return NULL; }
size_t redisq_recovered(const redisq_t *q) { (void)q; return 0; }
int redisq_push(redisq_t *q, const qevent_t *l, char *errstr, size_t size) { (void)q; (void)l; missing(errstr, size); return -1; }
int redisq_take(redisq_t *q, int t, redisq_batch_t *b, char *errstr, size_t size) {
    (void)q; (void)t; memset(b, 0, sizeof *b); missing(errstr, size); return -1;
}
int redisq_ack(redisq_t *q, redisq_batch_t *b) { (void)q; (void)b; return -1; }
int redisq_count_attempt(redisq_t *q, redisq_batch_t *b) { (void)q; (void)b; return -1; }
int redisq_fail(redisq_t *q, redisq_batch_t *b, int s, const char *w) { (void)s; (void)w; return redisq_ack(q, b); }
int redisq_release(redisq_t *q, redisq_batch_t *b) { return redisq_ack(q, b); }
int redisq_heartbeat(redisq_t *q) { (void)q; return -1; }
int redisq_reclaim_dead(redisq_t *q) { (void)q; return -1; }
char *redisq_status_json(redisq_t *q) { (void)q; return NULL; }
char *redisq_list_failed(const redisq_opts_t *o, rudder_err_t *err, char *errstr, size_t size) {
    (void)o; *err = RUDDER_ERR_CONFIG; missing(errstr, size); return NULL;
}
long redisq_requeue_failed(const redisq_opts_t *o, char *errstr, size_t size) { (void)o; missing(errstr, size); return -1; }
#endif

void redisq_batch_free(redisq_batch_t *b) {
    qevent_free_list(b->events);
    b->events = NULL;
}
