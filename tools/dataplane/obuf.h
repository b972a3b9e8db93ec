/* A growable byte buffer for building responses. Out-of-memory is sticky: ->oom is set and
 * later writes are ignored, so callers check once at the end. */
#ifndef DP_OBUF_H
#define DP_OBUF_H

#include <stddef.h>

typedef struct {
  char *p;
  size_t len, cap;
  int oom;
} obuf_t;

int obuf_reserve(obuf_t *b, size_t more);
void obuf_put(obuf_t *b, const void *data, size_t n);
void obuf_puts(obuf_t *b, const char *s);
void obuf_printf(obuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes s[0..n) as a JSON string literal (NULL: null). */
void obuf_json_str(obuf_t *b, const char *s, size_t n);
void obuf_free(obuf_t *b);

#endif
