/* uuid.c — UUID v4 from a per-thread xoshiro256** generator seeded by getrandom().
 * A fork generation counter makes every thread reseed in a forked child, so parent and
 * child never produce the same ids. */
#include "uuid.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static atomic_uint fork_generation = 1;

static __thread uint64_t s[4];
static __thread unsigned seeded_generation;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(void) {
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}

static void seed(void) {
    if (getrandom(s, sizeof s, 0) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
        s[1] = (uint64_t)ts.tv_sec * 0x9E3779B97F4A7C15ULL;
        s[2] = (uint64_t)(uintptr_t)&ts;
        s[3] = 0x2545F4914F6CDD1DULL;
    }
    if (!(s[0] | s[1] | s[2] | s[3])) s[0] = 1;
    seeded_generation = atomic_load(&fork_generation);
}

static void uuid_after_fork(void) { atomic_fetch_add(&fork_generation, 1); }

/* Registered when the library loads, so even a process that never made a client gets fresh
 * ids in a forked child (rudder_build_message, the destination's map). */
__attribute__((constructor)) static void uuid_register_atfork(void) {
    pthread_atfork(NULL, NULL, uuid_after_fork);
}

void uuid_v4(char *out) {
    if (seeded_generation != atomic_load_explicit(&fork_generation, memory_order_relaxed)) seed();
    static const char hex[] = "0123456789abcdef";
    uint64_t a = next(), b = next();
    unsigned char r[16];
    memcpy(r, &a, 8);
    memcpy(r + 8, &b, 8);
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
}
