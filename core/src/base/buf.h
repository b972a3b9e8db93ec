/* buf.h — a growable byte buffer; the one way core builds text. */
#ifndef RUDDER_BUF_H
#define RUDDER_BUF_H
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

typedef struct rbuf {
    char *data;   /* always NUL-terminated when len > 0 or after rbuf_cstr */
    size_t len;
    size_t cap;
    int oom;      /* set once an allocation failed; later appends are no-ops */
} rbuf_t;

#define RBUF_INIT {NULL, 0, 0, 0}

void rbuf_init(rbuf_t *b);
void rbuf_free(rbuf_t *b);
void rbuf_reset(rbuf_t *b);                 /* len = 0, keeps memory */
int rbuf_grow(rbuf_t *b, size_t extra);     /* rbuf_reserve's slow path */

/* The four below run for every byte run of every event: always inline (GCC leaves them
 * out of line in big functions like the envelope's), with a slow path. */
#define RBUF_INLINE static inline __attribute__((always_inline))
RBUF_INLINE int rbuf_reserve(rbuf_t *b, size_t extra) { /* 0 ok, -1 oom */
    return b->len + extra + 1 <= b->cap ? 0 : rbuf_grow(b, extra);
}

RBUF_INLINE void rbuf_append(rbuf_t *b, const void *p, size_t n) {
    if (rbuf_reserve(b, n) != 0) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Inline so a literal's length and copy are known at compile time (the envelope's keys). */
RBUF_INLINE void rbuf_puts(rbuf_t *b, const char *s) { rbuf_append(b, s, strlen(s)); }

RBUF_INLINE void rbuf_putc(rbuf_t *b, char c) {
    if (rbuf_reserve(b, 1) != 0) return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}
/* Copies n bytes without a call for the short strings events are made of (overlapping
 * fixed-size moves). */
static inline void copy_short(char *o, const char *s, size_t n) {
    if (n >= 8 && n <= 16) {
        uint64_t a, z;
        memcpy(&a, s, 8);
        memcpy(&z, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &z, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, z;
        memcpy(&a, s, 4);
        memcpy(&z, s + n - 4, 4);
        memcpy(o, &a, 4);
        memcpy(o + n - 4, &z, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++) o[i] = s[i];
    } else {
        memcpy(o, s, n);
    }
}

/* Copies src into dst[size] (cut to fit, always terminated): snprintf "%s" without the
 * format machinery, for the per-event ids. */
static inline void text_copy(char *dst, size_t size, const char *src) {
    if (!size) return;
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}
void rbuf_printf(rbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s[0..n) as a JSON string literal with quotes; escapes control chars, '"', '\\'. */
void rbuf_json_string(rbuf_t *b, const char *s, size_t n);
/* The same for text known to need no escaping: quotes and a copy. */
void rbuf_json_plain(rbuf_t *b, const char *s, size_t n);
const char *rbuf_cstr(rbuf_t *b);           /* "" when empty */
char *rbuf_detach(rbuf_t *b);               /* returns malloc'd text (caller frees), resets b */

#endif
