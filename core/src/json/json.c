/* json.c — strict JSON parser and printer over cJSON nodes (see json.h for why). */
#include "json.h"
#include "base/base.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *s;
    size_t n, i;
    int depth, max_depth;
    rudder_err_t err;
    char *errstr;
    size_t errstr_size;
    char *insitu; /* in an arena: a private copy of s whose plain strings become the values */
    int plain;    /* the last string had no escapes: it needs none when printed either */
    size_t len;   /* and its length then */
    rj_arena_t *arena; /* where nodes go (NULL: the heap), looked up once per parse */
} parser_t;

static void fail(parser_t *p, rudder_err_t err, const char *what) {
    if (p->err != RUDDER_OK) return;
    p->err = err;
    if (p->errstr && p->errstr_size)
        snprintf(p->errstr, p->errstr_size, "%s at byte %zu", what, p->i);
}

static inline void skip_ws(parser_t *p) {
    if (p->i < p->n && (unsigned char)p->s[p->i] > ' ') return; /* compact JSON: nothing to skip */
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

/* Length of the UTF-8 sequence at s (n bytes available), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

int rj_utf8_check(const char *s, size_t n, size_t *bad_at) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (u[i] < 0x80) { i++; continue; }
        size_t k = utf8_seq(u + i, n - i);
        if (!k) {
            if (bad_at) *bad_at = i;
            return 0;
        }
        i += k;
    }
    return 1;
}

int rj_utf8_valid(const char *s, size_t n) { return rj_utf8_check(s, n, NULL); }

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Frees a string from rj_str_alloc when it came from the heap. */
/* A new node where the parse builds (looked up once per parse). */
static inline cJSON *p_node(parser_t *p, int type) { return rj_node_in(p->arena, type); }

static void str_free(char *s) {
    if (!rj_arena_current()) free(s);
}

/* A NUL-terminated copy of s[0..n) from rj_str_alloc. */
static char *str_copy(parser_t *p, const char *s, size_t n) {
    char *out = rj_str_alloc(n + 1);
    if (!out) { fail(p, RUDDER_ERR_NO_MEMORY, "out of memory"); return NULL; }
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

static void put_utf8(rbuf_t *b, unsigned cp) {
    char t[4];
    if (cp < 0x80) { t[0] = (char)cp; rbuf_append(b, t, 1); }
    else if (cp < 0x800) { t[0] = (char)(0xC0 | (cp >> 6)); t[1] = (char)(0x80 | (cp & 0x3F)); rbuf_append(b, t, 2); }
    else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12)); t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F)); rbuf_append(b, t, 3);
    } else {
        t[0] = (char)(0xF0 | (cp >> 18)); t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); t[3] = (char)(0x80 | (cp & 0x3F)); rbuf_append(b, t, 4);
    }
}

/* Parses a string at p->i (which is at '"'); returns a NUL-terminated copy from
 * rj_str_alloc (the arena inside a scope, else the heap). */
/* A string's text from p->i (just past the opening quote) when the quick look in
 * parse_string did not settle it: UTF-8 to check, escapes, errors, or no arena copy. */
static __attribute__((noinline)) char *parse_string_rest(parser_t *p) {
    size_t start = p->i;
    /* fast path: no escapes */
    while (p->i < p->n) {
        p->i += textscan_plain_prefix(p->s + p->i, p->n - p->i, 1);
        if (p->i >= p->n) break;
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            char *out;
            if (p->insitu) { /* the closing quote becomes the terminator: no copy */
                out = p->insitu + start;
                out[p->i - start] = '\0';
            } else {
                out = str_copy(p, p->s + start, p->i - start);
            }
            p->len = p->i - start;
            p->i++;
            p->plain = 1;
            return out;
        }
        if (c == '\\') break;
        if (c < 0x20) { fail(p, RUDDER_ERR_INVALID_JSON, "control character in string"); return NULL; }
        if (c >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)p->s + p->i, p->n - p->i);
            if (!k) { fail(p, RUDDER_ERR_INVALID_UTF8, "invalid UTF-8 in string"); return NULL; }
            p->i += k;
        } else p->i++;
    }
    if (p->i >= p->n) { fail(p, RUDDER_ERR_INVALID_JSON, "unterminated string"); return NULL; }
    /* slow path: escapes */
    p->plain = 0;
    rbuf_t b = RBUF_INIT;
    rbuf_append(&b, p->s + start, p->i - start);
    while (p->i < p->n) {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            p->i++;
            char *out = b.oom ? NULL : str_copy(p, b.data ? b.data : "", b.len);
            if (b.oom) fail(p, RUDDER_ERR_NO_MEMORY, "out of memory");
            rbuf_free(&b);
            return out;
        }
        if (c < 0x20) { fail(p, RUDDER_ERR_INVALID_JSON, "control character in string"); break; }
        if (c == '\\') {
            if (p->i + 1 >= p->n) break;
            char e = p->s[p->i + 1];
            p->i += 2;
            switch (e) {
            case '"': rbuf_putc(&b, '"'); break;
            case '\\': rbuf_putc(&b, '\\'); break;
            case '/': rbuf_putc(&b, '/'); break;
            case 'b': rbuf_putc(&b, '\b'); break;
            case 'f': rbuf_putc(&b, '\f'); break;
            case 'n': rbuf_putc(&b, '\n'); break;
            case 'r': rbuf_putc(&b, '\r'); break;
            case 't': rbuf_putc(&b, '\t'); break;
            case 'u': {
                unsigned cp;
                if (p->i + 4 > p->n || hex4(p->s + p->i, &cp) != 0) {
                    fail(p, RUDDER_ERR_INVALID_JSON, "bad \\u escape"); goto bad;
                }
                p->i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (p->i + 6 > p->n || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u' ||
                        hex4(p->s + p->i + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                        fail(p, RUDDER_ERR_INVALID_UTF8, "unpaired surrogate in \\u escape"); goto bad;
                    }
                    p->i += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail(p, RUDDER_ERR_INVALID_UTF8, "unpaired surrogate in \\u escape"); goto bad;
                }
                if (cp == 0) { fail(p, RUDDER_ERR_INVALID_JSON, "\\u0000 is not allowed in strings"); goto bad; }
                put_utf8(&b, cp);
                break;
            }
            default: fail(p, RUDDER_ERR_INVALID_JSON, "bad escape in string"); goto bad;
            }
            continue;
        }
        size_t k = c < 0x80 ? 1 : utf8_seq((const unsigned char *)p->s + p->i, p->n - p->i);
        if (!k) { fail(p, RUDDER_ERR_INVALID_UTF8, "invalid UTF-8 in string"); goto bad; }
        rbuf_append(&b, p->s + p->i, k);
        p->i += k;
    }
    fail(p, RUDDER_ERR_INVALID_JSON, "unterminated string");
bad:
    rbuf_free(&b);
    return NULL;
}

/* The usual string: plain ASCII up to its closing quote, parsed in an arena copy of the
 * text, so the value is the copy itself with the quote made its terminator.  Kept small
 * (and inline) because every key and most values go through here. */
static inline __attribute__((always_inline)) char *parse_string(parser_t *p) {
    size_t start = ++p->i; /* past the opening quote */
    size_t end = start + textscan_plain_prefix(p->s + start, p->n - start, 1);
    if (end < p->n && p->s[end] == '"' && p->insitu) {
        char *out = p->insitu + start;
        out[end - start] = '\0';
        p->i = end + 1;
        p->plain = 1;
        p->len = end - start;
        return out;
    }
    return parse_string_rest(p);
}

/* Validates the number grammar at p->i and advances past it. */
static int scan_number(parser_t *p) {
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->i >= p->n) goto bad;
    if (p->s[p->i] == '0') p->i++;
    else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') { while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++; }
    else goto bad;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') goto bad;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') goto bad;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    return 0;
bad:
    fail(p, RUDDER_ERR_INVALID_JSON, "invalid number");
    return -1;
}

/* Most numbers in events are short.  Up to 15 significant digits without an exponent are
 * exact as mantissa / 10^k (one rounding), so they need no strtod.  Plain integers that
 * short also need no copy of their text: they print back identically.  Every other number
 * keeps its literal, so bindings can tell 1.0 and -0 from 1 and 0, and long ints stay exact. */
static cJSON *number_from_literal(const char *s, const char *end) {
    static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                   1e11, 1e12, 1e13, 1e14, 1e15};
    const char *start = s;
    int neg = *s == '-';
    if (neg) s++;
    long long mant = 0;
    int digits = 0, frac = 0, in_frac = 0, simple = 1;
    for (const char *c = s; c < end; c++) {
        if (*c == '.') { in_frac = 1; continue; }
        if (*c == 'e' || *c == 'E') { simple = 0; break; }
        if (digits || *c != '0') digits++;
        if (digits > 15) { simple = 0; break; }
        mant = mant * 10 + (*c - '0');
        if (in_frac && ++frac > 15) { simple = 0; break; } /* leading zeros ("0.0000000000000001") add no digits */
    }
    if (simple && !in_frac && !(neg && mant == 0)) return rj_number(neg ? -(double)mant : (double)mant);
    double v = simple ? (double)mant / POW10[frac] : 0; /* short literals need no strtod */
    return rj_number_text(start, (size_t)(end - start), simple, neg ? -v : v);
}

static cJSON *parse_number(parser_t *p) {
    size_t start = p->i;
    /* the usual number: a short integer ("420", "1732320817000"), scanned and valued in one
     * pass; anything else (fraction, exponent, -0, 16+ digits, bad grammar) goes the long way */
    const char *s = p->s + start, *end = p->s + p->n, *c = s + (*s == '-');
    unsigned long long mant = 0;
    const char *digits = c;
    if (c < end && *c >= '1' && *c <= '9')
        while (c < end && (unsigned)(*c - '0') < 10 && c - digits < 16) mant = mant * 10 + (unsigned)(*c++ - '0');
    else if (c < end && *c == '0' && *s != '-')
        c++;
    size_t nd = (size_t)(c - digits);
    if (nd && nd <= 15 && !(c < end && (*c == '.' || *c == 'e' || *c == 'E' || (unsigned)(*c - '0') < 10))) {
        cJSON *node = p_node(p, cJSON_Number);
        if (!node) { fail(p, RUDDER_ERR_NO_MEMORY, "out of memory"); return NULL; }
        rj_number_set(node, *s == '-' ? -(double)mant : (double)mant);
        p->i = (size_t)(c - p->s);
        return node;
    }
    if (scan_number(p)) return NULL;
    cJSON *node = number_from_literal(p->s + start, p->s + p->i);
    if (!node) fail(p, RUDDER_ERR_NO_MEMORY, "out of memory");
    return node;
}

cJSON *rj_number_literal(const char *text, size_t n, rudder_err_t *err) {
    parser_t p = {.s = text, .n = n};
    if (n == 0 || scan_number(&p) != 0 || p.i != n) {
        *err = RUDDER_ERR_INVALID_JSON;
        return NULL;
    }
    cJSON *node = number_from_literal(text, text + n);
    *err = node ? RUDDER_OK : RUDDER_ERR_NO_MEMORY;
    return node;
}

static cJSON *parse_value(parser_t *p);

static cJSON *parse_container(parser_t *p, int is_object) {
    if (++p->depth > p->max_depth) { fail(p, RUDDER_ERR_TOO_DEEP, "nesting deeper than the limit"); return NULL; }
    cJSON *node = p_node(p, is_object ? cJSON_Object : cJSON_Array);
    if (!node) { fail(p, RUDDER_ERR_NO_MEMORY, "out of memory"); return NULL; }
    cJSON *tail = NULL;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == (is_object ? '}' : ']')) { p->i++; p->depth--; return node; }
    for (;;) {
        char *key = NULL;
        int key_plain = 0;
        if (is_object) {
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != '"') { fail(p, RUDDER_ERR_INVALID_JSON, "expected a string key"); goto bad; }
            key = parse_string(p);
            if (!key) goto bad;
            key_plain = p->plain;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') { str_free(key); fail(p, RUDDER_ERR_INVALID_JSON, "expected ':'"); goto bad; }
            p->i++;
        }
        cJSON *child = parse_value(p);
        if (!child) { str_free(key); goto bad; }
        if (key) {
            child->string = key;
            if (key_plain) child->type |= RJ_PLAIN_KEY;
        }
        /* append in O(1): cJSON keeps head->prev as the tail */
        if (!tail) { node->child = child; child->prev = child; }
        else { tail->next = child; child->prev = tail; node->child->prev = child; }
        tail = child;
        skip_ws(p);
        if (p->i >= p->n) { fail(p, RUDDER_ERR_INVALID_JSON, "unexpected end of input"); goto bad; }
        char c = p->s[p->i];
        if (c == ',') { p->i++; continue; }
        if (c == (is_object ? '}' : ']')) { p->i++; break; }
        fail(p, RUDDER_ERR_INVALID_JSON, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto bad;
    }
    p->depth--;
    return node;
bad:
    rj_delete(node);
    return NULL;
}

static cJSON *parse_value(parser_t *p) {
    skip_ws(p);
    if (p->i >= p->n) { fail(p, RUDDER_ERR_INVALID_JSON, "unexpected end of input"); return NULL; }
    char c = p->s[p->i];
    switch (c) {
    case '{': return parse_container(p, 1);
    case '[': return parse_container(p, 0);
    case '"': {
        char *s = parse_string(p);
        if (!s) return NULL;
        cJSON *v = p_node(p, cJSON_NULL);
        if (!v) { str_free(s); fail(p, RUDDER_ERR_NO_MEMORY, "out of memory"); return NULL; }
        v->type = cJSON_String | (v->type & RJ_IN_ARENA);
        v->valuestring = s;
        if (p->plain) rj_mark_plain_text(v, p->len);
        return v;
    }
    case 't':
        if (p->n - p->i >= 4 && memcmp(p->s + p->i, "true", 4) == 0) { p->i += 4; return p_node(p, cJSON_True); }
        break;
    case 'f':
        if (p->n - p->i >= 5 && memcmp(p->s + p->i, "false", 5) == 0) { p->i += 5; return p_node(p, cJSON_False); }
        break;
    case 'n':
        if (p->n - p->i >= 4 && memcmp(p->s + p->i, "null", 4) == 0) { p->i += 4; return p_node(p, cJSON_NULL); }
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p);
    }
    fail(p, RUDDER_ERR_INVALID_JSON, "unexpected character");
    return NULL;
}

/* ---- validating scanner: no tree, used on the hot path of the calls ---------------- */


static int scan_string(parser_t *p) {
    p->i++; /* opening quote */
    while (p->i < p->n) {
        p->i += textscan_plain_prefix(p->s + p->i, p->n - p->i, 1);
        if (p->i >= p->n) break;
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') { p->i++; return 0; }
        if (c < 0x20) { fail(p, RUDDER_ERR_INVALID_JSON, "control character in string"); return -1; }
        if (c == '\\') {
            if (p->i + 1 >= p->n) break;
            char e = p->s[p->i + 1];
            if (e == 'u') {
                unsigned cp;
                if (p->i + 6 > p->n || hex4(p->s + p->i + 2, &cp) != 0) { fail(p, RUDDER_ERR_INVALID_JSON, "bad \\u escape"); return -1; }
                p->i += 6;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (p->i + 6 > p->n || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u' ||
                        hex4(p->s + p->i + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                        fail(p, RUDDER_ERR_INVALID_UTF8, "unpaired surrogate in \\u escape"); return -1;
                    }
                    p->i += 6;
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail(p, RUDDER_ERR_INVALID_UTF8, "unpaired surrogate in \\u escape"); return -1;
                } else if (cp == 0) {
                    fail(p, RUDDER_ERR_INVALID_JSON, "\\u0000 is not allowed in strings"); return -1;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || !e) { fail(p, RUDDER_ERR_INVALID_JSON, "bad escape in string"); return -1; }
            p->i += 2;
            continue;
        }
        if (c < 0x80) { p->i++; continue; }
        size_t k = utf8_seq((const unsigned char *)p->s + p->i, p->n - p->i);
        if (!k) { fail(p, RUDDER_ERR_INVALID_UTF8, "invalid UTF-8 in string"); return -1; }
        p->i += k;
    }
    fail(p, RUDDER_ERR_INVALID_JSON, "unterminated string");
    return -1;
}

static int scan_value(parser_t *p);

static int scan_container(parser_t *p, int is_object) {
    if (++p->depth > p->max_depth) { fail(p, RUDDER_ERR_TOO_DEEP, "nesting deeper than the limit"); return -1; }
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == (is_object ? '}' : ']')) { p->i++; p->depth--; return 0; }
    for (;;) {
        if (is_object) {
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != '"') { fail(p, RUDDER_ERR_INVALID_JSON, "expected a string key"); return -1; }
            if (scan_string(p)) return -1;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') { fail(p, RUDDER_ERR_INVALID_JSON, "expected ':'"); return -1; }
            p->i++;
        }
        if (scan_value(p)) return -1;
        skip_ws(p);
        if (p->i >= p->n) { fail(p, RUDDER_ERR_INVALID_JSON, "unexpected end of input"); return -1; }
        char c = p->s[p->i];
        if (c == ',') { p->i++; continue; }
        if (c == (is_object ? '}' : ']')) { p->i++; break; }
        fail(p, RUDDER_ERR_INVALID_JSON, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
    p->depth--;
    return 0;
}

static int scan_value(parser_t *p) {
    skip_ws(p);
    if (p->i >= p->n) { fail(p, RUDDER_ERR_INVALID_JSON, "unexpected end of input"); return -1; }
    char c = p->s[p->i];
    switch (c) {
    case '{': return scan_container(p, 1);
    case '[': return scan_container(p, 0);
    case '"': return scan_string(p);
    case 't': if (p->n - p->i >= 4 && !memcmp(p->s + p->i, "true", 4)) { p->i += 4; return 0; } break;
    case 'f': if (p->n - p->i >= 5 && !memcmp(p->s + p->i, "false", 5)) { p->i += 5; return 0; } break;
    case 'n': if (p->n - p->i >= 4 && !memcmp(p->s + p->i, "null", 4)) { p->i += 4; return 0; } break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return scan_number(p);
    }
    fail(p, RUDDER_ERR_INVALID_JSON, "unexpected character");
    return -1;
}

int rj_scan_object(const char *text, size_t len, int max_depth, rj_member_t *members, int max_members,
                   rudder_err_t *err, char *errstr, size_t errstr_size) {
    parser_t p = {.s = text, .n = len, .max_depth = max_depth > 0 ? max_depth : RJ_DEFAULT_MAX_DEPTH,
                  .err = RUDDER_OK, .errstr = errstr, .errstr_size = errstr_size};
    if (errstr && errstr_size) errstr[0] = '\0';
    int count = 0;
    if (!text) { fail(&p, RUDDER_ERR_INVALID_ARG, "no JSON text"); goto out; }
    skip_ws(&p);
    if (p.i >= p.n || p.s[p.i] != '{') {
        /* not an object: still say why precisely when it is not even JSON */
        size_t start = p.i;
        if (scan_value(&p) == 0) {
            skip_ws(&p);
            if (p.i != p.n) fail(&p, RUDDER_ERR_INVALID_JSON, "unexpected text after the JSON value");
            else { p.i = start; fail(&p, RUDDER_ERR_NOT_OBJECT, "not a JSON object"); }
        }
        goto out;
    }
    p.depth = 1;
    p.i++;
    skip_ws(&p);
    if (p.i < p.n && p.s[p.i] == '}') { p.i++; goto tail; }
    for (;;) {
        skip_ws(&p);
        if (p.i >= p.n || p.s[p.i] != '"') { fail(&p, RUDDER_ERR_INVALID_JSON, "expected a string key"); goto out; }
        size_t ks = p.i;
        if (scan_string(&p)) goto out;
        size_t ke = p.i;
        skip_ws(&p);
        if (p.i >= p.n || p.s[p.i] != ':') { fail(&p, RUDDER_ERR_INVALID_JSON, "expected ':'"); goto out; }
        p.i++;
        skip_ws(&p);
        size_t vs = p.i;
        if (scan_value(&p)) goto out;
        if (count >= max_members) { fail(&p, RUDDER_ERR_TOO_DEEP, "too many top-level members"); goto out; }
        rj_member_t *m = &members[count++];
        m->key = text + ks + 1;
        m->key_len = ke - ks - 2;
        m->key_escaped = memchr(m->key, '\\', m->key_len) != NULL;
        m->val = text + vs;
        m->val_len = p.i - vs;
        m->kind = rj_value_kind(text[vs]);
        m->node = NULL;
        skip_ws(&p);
        if (p.i >= p.n) { fail(&p, RUDDER_ERR_INVALID_JSON, "unexpected end of input"); goto out; }
        if (p.s[p.i] == ',') { p.i++; continue; }
        if (p.s[p.i] == '}') { p.i++; break; }
        fail(&p, RUDDER_ERR_INVALID_JSON, "expected ',' or '}'");
        goto out;
    }
tail:
    skip_ws(&p);
    if (p.i != p.n) fail(&p, RUDDER_ERR_INVALID_JSON, "unexpected text after the JSON value");
out:
    if (err) *err = p.err;
    return p.err == RUDDER_OK ? count : -1;
}

cJSON *rj_parse(const char *text, size_t len, int max_depth, rudder_err_t *err,
                char *errstr, size_t errstr_size) {
    parser_t p = {.s = text, .n = len, .max_depth = max_depth > 0 ? max_depth : RJ_DEFAULT_MAX_DEPTH,
                  .err = RUDDER_OK, .errstr = errstr, .errstr_size = errstr_size};
    if (errstr && errstr_size) errstr[0] = '\0';
    cJSON *v = NULL;
    rj_arena_t *arena = rj_arena_current();
    p.arena = arena;
    if (text && arena && (p.insitu = rj_arena_alloc(arena, len + 1)) != NULL) {
        memcpy(p.insitu, text, len);
        p.insitu[len] = '\0';
        p.s = p.insitu; /* reads see the terminators written so far only behind p.i */
    }
    if (!text) fail(&p, RUDDER_ERR_INVALID_ARG, "no JSON text");
    else v = parse_value(&p);
    if (v) {
        skip_ws(&p);
        if (p.i != p.n) { fail(&p, RUDDER_ERR_INVALID_JSON, "unexpected text after the JSON value"); rj_delete(v); v = NULL; }
    }
    if (err) *err = v ? RUDDER_OK : p.err;
    return v;
}

int rj_is_integral(const cJSON *v) {
    if (!rj_is_number(v)) return 0;
    double d = v->valuedouble;
    return isfinite(d) && floor(d) == d;
}

size_t rj_format_integer(long long v, char out[RJ_INT_MAX]) {
    char digits[RJ_INT_MAX];
    int k = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t n = 0;
    if (v < 0) out[n++] = '-';
    while (k) out[n++] = digits[--k];
    return n;
}

size_t rj_format_fixed6(double d, char out[RJ_FIXED6_MAX]) {
    if (!(fabs(d) < 1e9)) return 0;
    long long n = llround(d * 1e6);
    if ((double)n / 1e6 != d) return 0;
    char *o = out;
    if (n < 0) {
        *o++ = '-';
        n = -n;
    }
    o += rj_format_integer(n / 1000000, o);
    int frac = (int)(n % 1000000), places = 6;
    if (frac == 0) {
        *o++ = '.';
        *o++ = '0';
        return (size_t)(o - out);
    }
    while (frac % 10 == 0) {
        frac /= 10;
        places--;
    }
    *o++ = '.';
    for (int i = places - 1; i >= 0; i--) {
        o[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return (size_t)(o + places - out);
}

size_t rj_format_shortest(double d, char out[RJ_SHORTEST_MAX]) {
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, RJ_SHORTEST_MAX, "%.*g", prec, d);
        if (strtod(out, NULL) == d) break;
    }
    return n > 0 ? (size_t)n : 0;
}

static void print_number(const cJSON *v, rbuf_t *out) {
    if (v->valuestring) { rbuf_puts(out, v->valuestring); return; }
    double d = v->valuedouble;
    if (!isfinite(d)) { rbuf_puts(out, "null"); return; } /* JSON has no NaN/Infinity (JS prints null) */
    if (floor(d) == d && fabs(d) < 9007199254740992.0) {
        /* integers: digits by hand, printf's float path is slow */
        char text[RJ_INT_MAX + 1];
        size_t n = 0;
        if (d == 0 && signbit(d)) text[n++] = '-'; /* -0 keeps its sign */
        n += rj_format_integer((long long)d, text + n);
        rbuf_append(out, text, n);
        return;
    }
    char tmp[RJ_SHORTEST_MAX];
    size_t fixed = rj_format_fixed6(d, tmp); /* not integral here, so never "N.0" */
    if (fixed) {
        rbuf_append(out, tmp, fixed);
        return;
    }
    rbuf_append(out, tmp, rj_format_shortest(d, tmp));
}

void rj_print_to(const cJSON *v, rbuf_t *out) {
    if (!v) { rbuf_puts(out, "null"); return; }
    switch (v->type & 0xFF) {
    case cJSON_NULL: rbuf_puts(out, "null"); return;
    case cJSON_False: rbuf_puts(out, "false"); return;
    case cJSON_True: rbuf_puts(out, "true"); return;
    case cJSON_Number: print_number(v, out); return;
    case cJSON_String:
        if (v->type & RJ_PLAIN_TEXT) rbuf_json_plain(out, v->valuestring, (size_t)v->valueint);
        else rbuf_json_string(out, v->valuestring, strlen(v->valuestring));
        return;
    case cJSON_Raw: rbuf_puts(out, v->valuestring ? v->valuestring : "null"); return;
    case cJSON_Array: {
        rbuf_putc(out, '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child) rbuf_putc(out, ',');
            rj_print_to(c, out);
        }
        rbuf_putc(out, ']');
        return;
    }
    case cJSON_Object: {
        rbuf_putc(out, '{');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child) rbuf_putc(out, ',');
            const char *k = c->string ? c->string : "";
            if (c->type & RJ_PLAIN_KEY) rbuf_json_plain(out, k, strlen(k));
            else rbuf_json_string(out, k, strlen(k));
            rbuf_putc(out, ':');
            rj_print_to(c, out);
        }
        rbuf_putc(out, '}');
        return;
    }
    default: rbuf_puts(out, "null");
    }
}

char *rj_print(const cJSON *v) {
    rbuf_t b = RBUF_INIT;
    rj_print_to(v, &b);
    return rbuf_detach(&b);
}
