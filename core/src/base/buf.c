/* buf.c — growable byte buffer. */
#include "buf.h"
#include "textscan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rbuf_init(rbuf_t *b) { b->data = NULL; b->len = b->cap = 0; b->oom = 0; }

void rbuf_free(rbuf_t *b) { free(b->data); rbuf_init(b); }

void rbuf_reset(rbuf_t *b) { b->len = 0; b->oom = 0; if (b->data) b->data[0] = '\0'; }

int rbuf_grow(rbuf_t *b, size_t extra) {
    if (b->oom) return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) { b->oom = 1; return -1; }
    b->data = p;
    b->cap = cap;
    return 0;
}


void rbuf_printf(rbuf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) { rbuf_append(b, small, (size_t)n); return; }
    if (rbuf_reserve(b, (size_t)n) != 0) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* 1 where a byte must be escaped in a JSON string: controls, '"' and '\\'. */
static const unsigned char NEEDS_ESCAPE[256] = {
    [0 ... 0x1F] = 1, ['"'] = 1, ['\\'] = 1,
};

void rbuf_json_plain(rbuf_t *b, const char *s, size_t n) {
    if (rbuf_reserve(b, n + 2) != 0) return;
    char *o = b->data + b->len;
    *o++ = '"';
    copy_short(o, s, n);
    o += n;
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

void rbuf_json_string(rbuf_t *b, const char *s, size_t n) {
    static const char HEX[] = "0123456789abcdef";
    /* worst case every byte becomes \u00XX: reserve once, then write without checks */
    if (rbuf_reserve(b, 6 * n + 2) != 0) return;
    char *o = b->data + b->len;
    *o++ = '"';
    size_t first = textscan_plain_prefix(s, n, 0);
    if (first == n) { /* nothing to escape: most strings */
        copy_short(o, s, n);
        o += n;
        *o++ = '"';
        *o = '\0';
        b->len = (size_t)(o - b->data);
        return;
    }
    copy_short(o, s, first);
    o += first;
    for (size_t i = first; i < n; i++) {
        size_t plain = textscan_plain_prefix(s + i, n - i, 0);
        if (plain) {
            memcpy(o, s + i, plain);
            o += plain;
            i += plain;
            if (i == n) break;
        }
        unsigned char c = (unsigned char)s[i];
        if (!NEEDS_ESCAPE[c]) { *o++ = (char)c; continue; }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = HEX[c >> 4];
            *o++ = HEX[c & 15];
        }
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

const char *rbuf_cstr(rbuf_t *b) { return b->data ? b->data : ""; }

char *rbuf_detach(rbuf_t *b) {
    if (b->oom) { rbuf_free(b); return NULL; }
    char *p = b->data;
    if (!p) p = calloc(1, 1);
    rbuf_init(b);
    return p;
}
