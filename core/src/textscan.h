/* textscan.h — skipping the plain part of JSON string text 8 bytes at a time.
 *
 * Most string bytes in events need no attention.  A word is plain when it holds no '"',
 * no '\\', no control byte (and, when parsing, no byte >= 0x80, which needs a UTF-8
 * check). */
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

static inline int textscan_special1(unsigned char c, int stop_at_high_bytes) {
    return c < 0x20 || c == '"' || c == '\\' || (stop_at_high_bytes && c >= 0x80);
}

/* Length of the plain prefix of s[0..n): the index of the first byte that needs
 * attention, or n.  The lowest flagged byte of a word is always a true one (borrows only
 * run upwards from a true hit), so on little-endian machines its index is exact. */
static inline size_t textscan_plain_prefix(const char *s, size_t n, int stop_at_high_bytes) {
    size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t t = textscan_special8(w, stop_at_high_bytes);
        if (t) return i + ((size_t)__builtin_ctzll(t) >> 3);
        i += 8;
    }
#endif
    while (i < n && !textscan_special1((unsigned char)s[i], stop_at_high_bytes)) i++;
    return i;
}

#endif
