#include "idset.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint64_t idset_hash(const void *data, size_t n) {
  const unsigned char *p = data;
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, p, n);
  h = mix(h ^ w ^ ((uint64_t)n << 56));
  return h ? h : 1;
}

static int grow(idset_t *s) {
  size_t cap = s->cap ? s->cap * 2 : 1 << 16;
  uint64_t *slots = calloc(cap, sizeof *slots);
  if (!slots) return -1;
  for (size_t i = 0; i < s->cap; i++) {
    uint64_t h = s->slots[i];
    if (!h) continue;
    size_t j = h & (cap - 1);
    while (slots[j]) j = (j + 1) & (cap - 1);
    slots[j] = h;
  }
  free(s->slots);
  s->slots = slots;
  s->cap = cap;
  return 0;
}

int idset_add(idset_t *s, const void *data, size_t n) {
  if ((s->n + 1) * 4 > s->cap * 3 && grow(s)) return -1; /* keep load under 3/4 */
  uint64_t h = idset_hash(data, n);
  size_t mask = s->cap - 1, j = h & mask;
  while (s->slots[j]) {
    if (s->slots[j] == h) return 0;
    j = (j + 1) & mask;
  }
  s->slots[j] = h;
  s->n++;
  return 1;
}

void idset_clear(idset_t *s) {
  if (s->slots) memset(s->slots, 0, s->cap * sizeof *s->slots);
  s->n = 0;
}

void idset_free(idset_t *s) {
  free(s->slots);
  memset(s, 0, sizeof *s);
}
