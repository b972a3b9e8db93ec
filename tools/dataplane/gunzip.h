/* Inflates a gzip body (one or more concatenated members, as Go's reader accepts). */
#ifndef DP_GUNZIP_H
#define DP_GUNZIP_H

#include <stddef.h>

enum { GUNZIP_OK = 0, GUNZIP_BAD = -1, GUNZIP_TOO_BIG = -2, GUNZIP_NOMEM = -3 };

/* Inflates in[0..n) into *out (a buffer reused across calls, grown as needed; *cap is its size).
 * Stops with GUNZIP_TOO_BIG past max_out bytes. On GUNZIP_OK *out_len is the inflated size. */
int gunzip(const unsigned char *in, size_t n, char **out, size_t *cap, size_t *out_len,
           size_t max_out);

#endif
