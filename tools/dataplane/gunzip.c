#include "gunzip.h"

#include <stdlib.h>
#include <zlib.h>

int gunzip(const unsigned char *in, size_t n, char **out, size_t *cap, size_t *out_len,
           size_t max_out) {
  z_stream zs = {0};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return GUNZIP_NOMEM;
  if (*cap < n * 8 + 4096) { /* JSON inflates about 8x; start there and grow */
    size_t want = n * 8 + 4096;
    if (want > max_out + 1) want = max_out + 1;
    char *b = realloc(*out, want);
    if (!b) { inflateEnd(&zs); return GUNZIP_NOMEM; }
    *out = b;
    *cap = want;
  }
  size_t len = 0;
  zs.next_in = (unsigned char *)in;
  zs.avail_in = (uInt)n; /* bodies are capped far below 4 GiB */
  int rc = GUNZIP_OK;
  for (;;) {
    if (len == *cap) {
      if (len > max_out) { rc = GUNZIP_TOO_BIG; break; }
      size_t want = *cap * 2;
      if (want > max_out + 1) want = max_out + 1;
      if (want <= *cap) { rc = GUNZIP_TOO_BIG; break; }
      char *b = realloc(*out, want);
      if (!b) { rc = GUNZIP_NOMEM; break; }
      *out = b;
      *cap = want;
    }
    zs.next_out = (unsigned char *)*out + len;
    zs.avail_out = (uInt)(*cap - len);
    int z = inflate(&zs, Z_NO_FLUSH);
    len = *cap - zs.avail_out;
    if (len > max_out) { rc = GUNZIP_TOO_BIG; break; }
    if (z == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      /* another member follows */
      if (inflateReset(&zs) != Z_OK) { rc = GUNZIP_BAD; break; }
      continue;
    }
    if (z == Z_BUF_ERROR && zs.avail_out != 0) { rc = GUNZIP_BAD; break; } /* truncated */
    if (z != Z_OK && z != Z_BUF_ERROR) { rc = z == Z_MEM_ERROR ? GUNZIP_NOMEM : GUNZIP_BAD; break; }
    if (zs.avail_in == 0 && zs.avail_out != 0) { rc = GUNZIP_BAD; break; } /* input ended early */
  }
  inflateEnd(&zs);
  *out_len = len;
  return rc;
}
