#include "obuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int obuf_reserve(obuf_t *b, size_t more) {
  if (b->oom) return -1;
  if (b->len + more <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

void obuf_put(obuf_t *b, const void *data, size_t n) {
  if (n == 0 || obuf_reserve(b, n)) return;
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

void obuf_puts(obuf_t *b, const char *s) { obuf_put(b, s, strlen(s)); }

void obuf_printf(obuf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[512];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    obuf_put(b, tmp, (size_t)n);
    return;
  }
  if (obuf_reserve(b, (size_t)n + 1)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void obuf_json_str(obuf_t *b, const char *s, size_t n) {
  if (!s) {
    obuf_put(b, "null", 4);
    return;
  }
  if (obuf_reserve(b, n * 6 + 2)) return;
  char *o = b->p + b->len;
  *o++ = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      *o++ = '\\';
      *o++ = (char)c;
    } else if (c < 0x20 || c == 0x7f) {
      o += sprintf(o, "\\u%04x", c);
    } else {
      *o++ = (char)c;
    }
  }
  *o++ = '"';
  b->len = (size_t)(o - b->p);
}

void obuf_free(obuf_t *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
}
