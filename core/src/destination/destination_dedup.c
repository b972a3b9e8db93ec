/* destination_dedup.c — whether an identify or a group is sent or deduplicated (the
 * `dedup` setting), over a bounded LRU (hash table with chaining + doubly linked recency
 * list).  Keys are copied; lookups cost one hash and a short chain walk. */
#include <stdlib.h>
#include <string.h>
#include "destination.h"

typedef struct entry {
    struct entry *hnext;          /* hash chain */
    struct entry *prev, *next;    /* recency list, head = most recent */
    uint64_t hash, fp;
    size_t n;
    char key[];
} entry_t;

struct dedup_lru {
    entry_t **buckets;
    size_t nbuckets, size, capacity;
    entry_t *head, *tail;
};

uint64_t dedup_fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3ULL; }
    return h;
}

dedup_lru_t *dedup_lru_new(size_t capacity) {
    dedup_lru_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->capacity = capacity ? capacity : 1;
    l->nbuckets = 16;
    while (l->nbuckets < l->capacity && l->nbuckets < (1u << 24)) l->nbuckets <<= 1;
    l->buckets = calloc(l->nbuckets, sizeof *l->buckets);
    if (!l->buckets) { free(l); return NULL; }
    return l;
}

void dedup_lru_free(dedup_lru_t *l) {
    if (!l) return;
    for (entry_t *e = l->head; e;) { entry_t *n = e->next; free(e); e = n; }
    free(l->buckets);
    free(l);
}

static void unlink_recency(dedup_lru_t *l, entry_t *e) {
    if (e->prev) e->prev->next = e->next; else l->head = e->next;
    if (e->next) e->next->prev = e->prev; else l->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(dedup_lru_t *l, entry_t *e) {
    e->next = l->head;
    e->prev = NULL;
    if (l->head) l->head->prev = e;
    l->head = e;
    if (!l->tail) l->tail = e;
}

static entry_t *find(dedup_lru_t *l, const char *key, size_t n, uint64_t h) {
    for (entry_t *e = l->buckets[h & (l->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->n == n && memcmp(e->key, key, n) == 0) return e;
    return NULL;
}

int dedup_lru_get(dedup_lru_t *l, const char *key, size_t n, uint64_t *fp) {
    uint64_t h = dedup_fnv(DEDUP_FNV_INIT, key, n);
    entry_t *e = find(l, key, n, h);
    if (!e) return 0;
    if (l->head != e) { unlink_recency(l, e); push_front(l, e); }
    *fp = e->fp;
    return 1;
}

static void evict_tail(dedup_lru_t *l) {
    entry_t *e = l->tail;
    if (!e) return;
    unlink_recency(l, e);
    entry_t **pp = &l->buckets[e->hash & (l->nbuckets - 1)];
    while (*pp && *pp != e) pp = &(*pp)->hnext;
    if (*pp) *pp = e->hnext;
    free(e);
    l->size--;
}

int dedup_lru_put(dedup_lru_t *l, const char *key, size_t n, uint64_t fp) {
    uint64_t h = dedup_fnv(DEDUP_FNV_INIT, key, n);
    entry_t *e = find(l, key, n, h);
    if (e) {
        e->fp = fp;
        if (l->head != e) { unlink_recency(l, e); push_front(l, e); }
        return 0;
    }
    if (l->size >= l->capacity) evict_tail(l);
    e = malloc(sizeof *e + n + 1);
    if (!e) return -1;
    e->hash = h;
    e->fp = fp;
    e->n = n;
    memcpy(e->key, key, n);
    e->key[n] = '\0';
    size_t b = h & (l->nbuckets - 1);
    e->hnext = l->buckets[b];
    l->buckets[b] = e;
    push_front(l, e);
    l->size++;
    return 0;
}

size_t dedup_lru_size(const dedup_lru_t *l) { return l ? l->size : 0; }

static int str_eq_nullable(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

int dedup_identify_fires(rudder_dest_t *d, const char *idkey, size_t idkey_len, const char *uid, char *hash) {
    int fire;
    if (d->walkeros) {
        fire = !str_eq_nullable(uid, d->last_uid) || strcmp(hash ? hash : "", d->last_traits ? d->last_traits : "") != 0;
        free(d->last_uid);
        d->last_uid = uid ? strdup(uid) : NULL;
        free(d->last_traits);
        d->last_traits = hash;
        hash = NULL;
    } else {
        uint64_t fp = uid ? dedup_fnv(DEDUP_FNV_INIT, uid, strlen(uid) + 1) : DEDUP_FNV_INIT;
        uint64_t empty = DEDUP_FNV_INIT;
        if (hash) fp = dedup_fnv(fp, hash, strlen(hash));
        uint64_t prev;
        if (!dedup_lru_get(d->identify_seen, idkey, idkey_len, &prev)) prev = empty;
        fire = fp != prev;
        dedup_lru_put(d->identify_seen, idkey, idkey_len, fp);
    }
    free(hash);
    return fire;
}

int dedup_group_fires(rudder_dest_t *d, const char *idkey, size_t idkey_len, const char *group_id, char *hash) {
    int fire;
    if (d->walkeros) {
        fire = !str_eq_nullable(group_id, d->last_group_id) ||
               strcmp(hash ? hash : "", d->last_group_traits ? d->last_group_traits : "") != 0;
        free(d->last_group_id);
        d->last_group_id = strdup(group_id);
        free(d->last_group_traits);
        d->last_group_traits = hash;
        hash = NULL;
    } else {
        rbuf_t key = RBUF_INIT;
        rbuf_append(&key, idkey, idkey_len);
        rbuf_putc(&key, '\x1f');
        rbuf_puts(&key, group_id);
        uint64_t fp = dedup_fnv(DEDUP_FNV_INIT ^ 1, hash ? hash : "", hash ? strlen(hash) : 0), prev;
        fire = !dedup_lru_get(d->group_seen, rbuf_cstr(&key), key.len, &prev) || prev != fp;
        dedup_lru_put(d->group_seen, rbuf_cstr(&key), key.len, fp);
        rbuf_free(&key);
    }
    free(hash);
    return fire;
}
