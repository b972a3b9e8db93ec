/* destination_dedup.h — a bounded LRU from identity key to a 64-bit fingerprint, used to
 * send identify/group once per identity (and group) instead of walkerOS's single slot. */
#ifndef RUDDER_DESTINATION_DEDUP_H
#define RUDDER_DESTINATION_DEDUP_H
#include <stddef.h>
#include <stdint.h>

typedef struct dedup_lru dedup_lru_t;

dedup_lru_t *dedup_lru_new(size_t capacity);
void dedup_lru_free(dedup_lru_t *l);
/* 1 and *fp when key is known (and marks it recently used), 0 otherwise. */
int dedup_lru_get(dedup_lru_t *l, const char *key, size_t n, uint64_t *fp);
/* Inserts or updates; evicts the least recently used entry when full. 0 ok, -1 oom. */
int dedup_lru_put(dedup_lru_t *l, const char *key, size_t n, uint64_t fp);
size_t dedup_lru_size(const dedup_lru_t *l);
/* FNV-1a 64 over bytes, continuing from h (start with DEDUP_FNV_INIT). */
#define DEDUP_FNV_INIT 0xcbf29ce484222325ULL
uint64_t dedup_fnv(uint64_t h, const void *p, size_t n);
#endif
