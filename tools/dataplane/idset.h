/* A set of messageIds for duplicate counting: open addressing over 64-bit hashes of the raw
 * messageId token. Keeping only hashes makes it cheap at millions of events; two different ids
 * colliding on all 64 bits is negligible at the sizes a test or benchmark reaches. */
#ifndef DP_IDSET_H
#define DP_IDSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t *slots; /* 0 = empty */
  size_t cap;      /* a power of two */
  size_t n;
} idset_t;

uint64_t idset_hash(const void *data, size_t n);
/* Adds the id; returns 1 when it was new, 0 when already present, -1 when out of memory. */
int idset_add(idset_t *s, const void *data, size_t n);
void idset_clear(idset_t *s);
void idset_free(idset_t *s);

#endif
