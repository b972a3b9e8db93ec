/* destination_dedup.h — the identify and group dedup: a bounded LRU from identity key to
 * a 64-bit fingerprint of what was last sent, so identify/group go once per identity (and
 * group) and again when the user or traits change ("dedup": "identity"), or walkerOS's
 * single slot ("dedup": "walkeros"). */
#ifndef RUDDER_DESTINATION_DEDUP_H
#define RUDDER_DESTINATION_DEDUP_H
#include <stddef.h>
#include <stdint.h>
#include "ruddercore.h"

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

/* 1 when this identify must be sent, 0 when it is a duplicate of the last one for its
 * identity (idkey).  hash: the traits' canonical text (NULL: no traits), taken. */
int dedup_identify_fires(rudder_dest_t *d, const char *idkey, size_t idkey_len, const char *uid, char *hash);
/* The same for a group: per identity and groupId. */
int dedup_group_fires(rudder_dest_t *d, const char *idkey, size_t idkey_len, const char *group_id, char *hash);
#endif
