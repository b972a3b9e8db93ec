/* gzip.c — gzip (RFC 1952) bodies with zlib, reusing one stream. */
#include "gzip.h"
#include <string.h>

int gzipper_init(gzipper_t *g, int level) {
    memset(g, 0, sizeof *g);
    if (deflateInit2(&g->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    g->ready = 1;
    return 0;
}

int gzipper_compress(gzipper_t *g, const char *in, size_t n, rbuf_t *out) {
    if (!g->ready) return -1;
    deflateReset(&g->zs);
    rbuf_reset(out);
    size_t bound = deflateBound(&g->zs, (uLong)n) + 32;
    if (rbuf_reserve(out, bound) != 0) return -1;
    g->zs.next_in = (Bytef *)in;
    g->zs.avail_in = (uInt)n;
    g->zs.next_out = (Bytef *)out->data;
    g->zs.avail_out = (uInt)bound;
    int rc = deflate(&g->zs, Z_FINISH);
    if (rc != Z_STREAM_END) return -1;
    out->len = bound - g->zs.avail_out;
    return 0;
}

void gzipper_end(gzipper_t *g) {
    if (g->ready) deflateEnd(&g->zs);
    g->ready = 0;
}
