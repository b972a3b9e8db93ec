/* textscan.h — skipping the plain part of JSON string text 16 bytes at a time (SSE2), or 8.
 *
 * Most string bytes in events need no attention.  A word is plain when it holds no '"',
 * no '\\', no control byte (and, when parsing, no byte >= 0x80, which needs a UTF-8
 * check). */
#ifndef RUDDER_TEXTSCAN_H
#define RUDDER_TEXTSCAN_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

static inline uint64_t textscan_load4(const char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Length of the plain prefix of s[0..n): the index of the first byte that needs
 * attention, or n.  The lowest flagged byte of a word is always a true one (borrows only
 * run upwards from a true hit), so on little-endian machines its index is exact.  Most
 * strings in events are short, so no byte loop: a string under 8 bytes is read as one
 * word from overlapping loads, and a longer one's tail as the last 8 bytes (the bytes
 * before the tail are already known plain, so the first flagged byte is still exact). */
static inline __attribute__((always_inline)) size_t textscan_plain_prefix(const char *s, size_t n,
                                                                           int stop_at_high_bytes) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w, t;
#ifdef __SSE2__
    if (n >= 16) { /* 16 bytes per step; the parser scans to the closing quote this way */
        size_t i = 0;
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1F);
        for (;;) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                       _mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v)); /* byte <= 0x1F */
            unsigned mask = (unsigned)_mm_movemask_epi8(hit);
            if (stop_at_high_bytes) mask |= (unsigned)_mm_movemask_epi8(v);
            if (mask) return i + (size_t)__builtin_ctz(mask);
            i += 16;
            if (i + 16 > n) break;
        }
        if (i == n) return n;
        /* the last 16 bytes: those before i are plain, so the first hit is at or after i */
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                   _mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (stop_at_high_bytes) mask |= (unsigned)_mm_movemask_epi8(v);
        return mask ? n - 16 + (size_t)__builtin_ctz(mask) : n;
    }
#endif
    if (n < 8) {
        if (n >= 4) { /* bytes 0-3, then n-4 .. n-1 */
            w = textscan_load4(s) | textscan_load4(s + n - 4) << 32;
            t = textscan_special8(w, stop_at_high_bytes);
            if (!t) return n;
            size_t k = (size_t)__builtin_ctzll(t) >> 3;
            return k < 4 ? k : n - 8 + k;
        }
        if (n == 0) return 0;
        /* bytes 0, n/2, n-1 (all of a 1-3 byte string), padded with plain 'a' */
        w = 0x6161616161000000ULL | (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n >> 1] << 8 |
            (uint64_t)(unsigned char)s[n - 1] << 16;
        t = textscan_special8(w, stop_at_high_bytes);
        if (!t) return n;
        size_t k = (size_t)__builtin_ctzll(t) >> 3;
        return k == 0 ? 0 : k == 1 ? n >> 1 : n - 1;
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        t = textscan_special8(w, stop_at_high_bytes);
        if (t) return i + ((size_t)__builtin_ctzll(t) >> 3);
    }
    if (i == n) return n;
    memcpy(&w, s + n - 8, 8);
    t = textscan_special8(w, stop_at_high_bytes);
    return t ? n - 8 + ((size_t)__builtin_ctzll(t) >> 3) : n;
#else
    size_t i = 0;
    while (i < n && !textscan_special1((unsigned char)s[i], stop_at_high_bytes)) i++;
    return i;
#endif
}

#endif
