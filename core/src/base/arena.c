/* arena.c — a bump arena per thread, in blocks (see arena.h for why). */
#include "arena.h"
#include <pthread.h>
#include <stdlib.h>

#define BLOCK_BYTES (32 * 1024)

typedef rj_arena_block_t block_t;

_Thread_local rj_arena_t *rj_arena_now; /* NULL: the heap */
static _Thread_local rj_arena_t *mine;    /* this thread's arena, made on first use */
static pthread_key_t thread_exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_blocks(block_t *b) {
    while (b) {
        block_t *next = b->next;
        free(b);
        b = next;
    }
}

static void free_arena(void *p) { /* the thread is ending */
    rj_arena_t *a = p;
    free_blocks(a->head);
    free(a);
    if (mine == a) mine = NULL; /* a later destructor on this thread may still push */
    rj_arena_now = NULL;
}

static void make_key(void) { pthread_key_create(&thread_exit_key, free_arena); }

static rj_arena_t *thread_arena(void) {
    if (mine) return mine;
    pthread_once(&key_once, make_key);
    mine = calloc(1, sizeof *mine);
    if (mine) pthread_setspecific(thread_exit_key, mine); /* freed when the thread ends */
    return mine;
}

static void reset(rj_arena_t *a) {
    if (!a->head) return;
#ifdef NDEBUG
    /* keep one standard block (the usual push fits in it); one-off big blocks and the
     * overflow go, so a single large push does not stay with the thread */
    block_t *keep = NULL;
    for (block_t *b = a->head; b;) {
        block_t *next = b->next;
        if (!keep && b->size == BLOCK_BYTES) keep = b;
        else free(b);
        b = next;
    }
    if (keep) {
        RJ_UNPOISON(keep->data, keep->size);
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
#else
    /* debug and sanitizer builds give every block back, so a node used after its push
     * ended is a use-after-free that AddressSanitizer and valgrind report */
    free_blocks(a->head);
    a->head = NULL;
#endif
}

rj_scope_t rj_scope_open(void) {
    rj_scope_t s = {rj_arena_now, 0};
    rj_arena_t *a = thread_arena();
    if (a) { /* without one (out of memory) the scope is a heap scope: slower, still right */
        a->depth++;
        s.opened = 1;
        rj_arena_now = a;
    }
    return s;
}

rj_scope_t rj_scope_heap(void) {
    rj_scope_t s = {rj_arena_now, 0};
    rj_arena_now = NULL;
    return s;
}

void rj_scope_close(rj_scope_t s) {
    rj_arena_now = s.previous;
    if (s.opened && mine && --mine->depth == 0) reset(mine);
}

rj_arena_t *rj_arena_thread(void) { return mine; }

size_t rj_arena_thread_bytes(void) {
    size_t n = 0;
    for (block_t *b = mine ? mine->head : NULL; b; b = b->next) n += b->size;
    return n;
}

/* n is already aligned; the current block is full. */
void *rj_arena_alloc_slow(rj_arena_t *a, size_t n) {
    block_t *b = a->head;
    int big = n > BLOCK_BYTES / 4;
    block_t *nb = malloc(sizeof *nb + (big ? n : BLOCK_BYTES));
    if (!nb) return NULL;
    nb->size = big ? n : BLOCK_BYTES;
    nb->used = n;
    if (big && b) { /* a one-off behind the current block, which keeps filling */
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        a->head = nb;
    }
    return nb->data;
}
