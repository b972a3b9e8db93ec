/* arena.h — per-push memory for JSON trees.
 *
 * One walkerOS event becomes a few hundred small allocations (the parsed event, mapping
 * results, call parameters) that all die together when the push returns.  Inside an arena
 * scope the tree builders in json.h take that memory from the thread's bump arena instead
 * of malloc, and freeing it costs nothing; the arena is reset when the outermost scope
 * closes.  Outside a scope (configuration, collector state, held events) they use the heap.
 *
 * Scopes nest (a mapping callback may push into another destination on the same thread),
 * and a heap scope inside an arena scope is for values that must outlive the push. */
#ifndef RUDDER_ARENA_H
#define RUDDER_ARENA_H
#include <stddef.h>

/* Under AddressSanitizer a freed arena node is poisoned, so using it after rj_delete is
 * reported even though its memory lives on until the arena is reset. */
#if defined(__SANITIZE_ADDRESS__)
#define RJ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RJ_ASAN 1
#endif
#endif
#ifdef RJ_ASAN
#include <sanitizer/asan_interface.h>
#define RJ_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define RJ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define RJ_POISON(p, n) ((void)(p), (void)(n))
#define RJ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

typedef struct rj_arena_block {
    struct rj_arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} rj_arena_block_t;

/* Visible only for the inline fast path below; use the functions. */
typedef struct rj_arena {
    rj_arena_block_t *head; /* the block being filled; older ones follow */
    int depth;              /* open arena scopes */
} rj_arena_t;

/* The thread's current arena (NULL: the heap); read it with rj_arena_current(). */
extern _Thread_local rj_arena_t *rj_arena_now;

typedef struct rj_scope {
    rj_arena_t *previous; /* the arena current before the scope */
    int opened;           /* an arena scope (counts for the reset), not a heap scope */
} rj_scope_t;

/* The thread's arena becomes current until rj_scope_close. */
rj_scope_t rj_scope_open(void);
/* The heap becomes current until rj_scope_close. */
rj_scope_t rj_scope_heap(void);
/* Restores what was current; the outermost arena scope's close empties the arena. */
void rj_scope_close(rj_scope_t scope);

/* The calling thread's current arena, or NULL for the heap. */
static inline rj_arena_t *rj_arena_current(void) { return rj_arena_now; }
/* The arena this thread's arena nodes live in (also inside a heap scope), or NULL. */
rj_arena_t *rj_arena_thread(void);
/* Bytes of blocks the calling thread's arena holds (what stays with the thread between
 * pushes: at most one standard block in release builds, none in debug builds). */
size_t rj_arena_thread_bytes(void);
void *rj_arena_alloc_slow(rj_arena_t *a, size_t n);
/* n bytes, aligned for any node, from a; NULL when out of memory. */
static inline void *rj_arena_alloc(rj_arena_t *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    rj_arena_block_t *b = a->head;
    if (b && b->size - b->used >= n) {
        void *p = b->data + b->used;
        b->used += n;
        return p;
    }
    return rj_arena_alloc_slow(a, n);
}

#endif
