/* gzip.h — one reusable deflate stream per sender. */
#ifndef RUDDER_GZIP_H
#define RUDDER_GZIP_H
#include <zlib.h>
#include "buf.h"

typedef struct gzipper { z_stream zs; int ready; } gzipper_t;

int gzipper_init(gzipper_t *g, int level);          /* 0 ok */
int gzipper_compress(gzipper_t *g, const char *in, size_t n, rbuf_t *out); /* 0 ok; out replaced */
void gzipper_end(gzipper_t *g);
#endif
