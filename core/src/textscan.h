/* textscan.h — skipping the plain part of JSON string text 8 bytes at a time.
 *
 * Most string bytes in events need no attention.  A word is plain when it holds no '"',
 * no '\\', no control byte (and, when parsing, no byte >= 0x80, which needs a UTF-8
 * check).  The tests below have no false negatives; a false positive only hands a plain
 * word to the byte-by-byte code, which is always right. */
#ifndef RUDDER_TEXTSCAN_H
#define RUDDER_TEXTSCAN_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t textscan_special8(uint64_t w, int stop_at_high_bytes) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    uint64_t t = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash);
    if (stop_at_high_bytes) t |= w;
    return t & highs;
}

/* Length of the longest run of whole plain words at the start of s[0..n). */
static inline size_t textscan_plain_words(const char *s, size_t n, int stop_at_high_bytes) {
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (textscan_special8(w, stop_at_high_bytes)) break;
        i += 8;
    }
    return i;
}

#endif
