/* json_build.c — a JSON tree built value by value (json_build.h). */
#include "json_build.h"
#include "base/base.h"
#include <stdio.h>
#include <string.h>

void rjb_init(rj_builder_t *b, int max_depth, size_t max_bytes, int check_utf8) {
    memset(b, 0, sizeof *b);
    b->max_depth = max_depth > 0 && max_depth <= RJB_MAX_DEPTH ? max_depth : RJB_MAX_DEPTH;
    b->max_bytes = max_bytes;
    b->check_utf8 = check_utf8;
    b->arena = rj_arena_current();
}

static int fail(rj_builder_t *b, rudder_err_t err, const char *why) {
    if (b->err == RUDDER_OK) {
        b->err = err;
        snprintf(b->why, sizeof b->why, "%s", why);
    }
    return -1;
}

/* Counts n more bytes of JSON text against the limit. */
static inline int count(rj_builder_t *b, size_t n) {
    b->bytes += n;
    if (b->max_bytes && b->bytes > b->max_bytes) {
        char why[96];
        snprintf(why, sizeof why, "more than %zu bytes of JSON", b->max_bytes);
        return fail(b, RUDDER_ERR_TOO_LARGE, why);
    }
    return 0;
}

/* What escaping adds to s[0..n) in JSON text (\" \\ \n ... \u00XX), so the size limit
 * counts what rj_parse would have been given. */
static size_t escape_extra(const char *s, size_t n) {
    size_t extra = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') extra += 1;
        else if (c < 0x20) extra += 5;
    }
    return extra;
}

/* check_text for text with a special byte: which one, and is it allowed. */
static __attribute__((noinline)) int check_text_slow(rj_builder_t *b, const char *s, size_t n) {
    size_t bad_at;
    if (b->check_utf8 && !rj_utf8_check(s, n, &bad_at)) {
        char why[96];
        snprintf(why, sizeof why, "string is not valid UTF-8 (byte %zu)", bad_at + 1);
        return fail(b, RUDDER_ERR_INVALID_UTF8, why);
    }
    if (textscan_plain_prefix(s, n, 0) == n) return 1; /* no control byte, so no NUL */
    if (memchr(s, 0, n)) return fail(b, RUDDER_ERR_INVALID_JSON, "a NUL character (\\u0000) is not allowed in strings");
    return 0;
}

/* Text a JSON string may hold: valid UTF-8 when the host's strings are bytes, no NUL
 * (the tree's strings are C strings, and rj_parse refuses \u0000 too).  Returns 1 when
 * the text also needs no escaping (the usual case: the same scan tells both), 0 when it
 * does, -1 when it is refused. */
static inline __attribute__((always_inline)) int check_text(rj_builder_t *b, const char *s, size_t n) {
    /* one scan settles the usual string: no quote, backslash or control byte (so no NUL),
     * and when UTF-8 is to be checked, ASCII only */
    if (textscan_plain_prefix(s, n, b->check_utf8) == n) return 1;
    return check_text_slow(b, s, n);
}

/* A NUL-terminated copy of s[0..n) into d (short copies inline: see buf.h). */
static inline void copy_text(char *d, const char *s, size_t n) {
    copy_short(d, s, n);
    d[n] = '\0';
}

/* Does the next value go into an object (so it takes the pending key)? */
static inline int in_object(const rj_builder_t *b) { return b->depth > 0 && rj_is_object(b->open[b->depth - 1]); }

/* A node from the builder's arena with room for text_len bytes of its own text (+ NUL,
 * when text_len >= 0) and, as a member, its key: one piece of the arena for all three.
 * Without an arena (heap scope), a heap node; attach copies the key then. */
static inline cJSON *new_node(rj_builder_t *b, int type, long text_len) {
    if (!b->arena) return rj_heap_node(type);
    int keyed = b->key && in_object(b);
    size_t extra = (text_len >= 0 ? (size_t)text_len + 1 : 0) + (keyed ? b->key_len + 1 : 0);
    cJSON *v = rj_arena_node(b->arena, type, extra);
    if (v && keyed) {
        char *k = (char *)(v + 1) + (text_len >= 0 ? (size_t)text_len + 1 : 0);
        copy_text(k, b->key, b->key_len);
        v->string = k;
    }
    return v;
}

/* Puts a new value where the structure says: the root, or the open container's next
 * element or member (under the pending key, unless new_node already placed it). */
static inline __attribute__((always_inline)) int attach(rj_builder_t *b, cJSON *v) {
    if (!v) return fail(b, RUDDER_ERR_NO_MEMORY, "out of memory");
    if (b->depth == 0) {
        if (b->root) {
            rj_delete(v);
            return fail(b, RUDDER_ERR_INVALID_ARG, "more than one value at the top level");
        }
        b->root = v;
        return 0;
    }
    cJSON *parent = b->open[b->depth - 1];
    if (rj_is_object(parent)) {
        if (!b->key) {
            rj_delete(v);
            return fail(b, RUDDER_ERR_INVALID_ARG, "a member without a key");
        }
        if (!v->string) {
            char *k = b->arena ? rj_arena_alloc(b->arena, b->key_len + 1) : rj_str_alloc(b->key_len + 1);
            if (!k) {
                rj_delete(v);
                return fail(b, RUDDER_ERR_NO_MEMORY, "out of memory");
            }
            copy_text(k, b->key, b->key_len);
            v->string = k;
        }
        if (b->key_plain) v->type |= RJ_PLAIN_KEY;
        b->key = NULL;
    }
    /* append in O(1): cJSON keeps head->prev as the tail */
    if (!parent->child) {
        parent->child = v;
        v->prev = v;
    } else {
        cJSON *tail = parent->child->prev;
        tail->next = v;
        v->prev = tail;
        parent->child->prev = v;
    }
    return 0;
}

int rjb_begin(rj_builder_t *b, int is_object) {
    if (b->err) return -1;
    if (b->depth >= b->max_depth) {
        char why[96];
        snprintf(why, sizeof why, "nesting deeper than %d levels", b->max_depth);
        return fail(b, RUDDER_ERR_TOO_DEEP, why);
    }
    if (count(b, 3)) return -1; /* {} and a comma */
    cJSON *v = new_node(b, is_object ? cJSON_Object : cJSON_Array, -1);
    if (attach(b, v)) return -1;
    b->open[b->depth++] = v;
    return 0;
}

int rjb_end(rj_builder_t *b) {
    if (b->err) return -1;
    if (b->depth == 0) return fail(b, RUDDER_ERR_INVALID_ARG, "end without a container");
    b->depth--;
    return 0;
}

int rjb_key(rj_builder_t *b, const char *s, size_t n) {
    int plain;
    if (b->err || (plain = check_text(b, s, n)) < 0 || count(b, n + 4 + (plain ? 0 : escape_extra(s, n)))) return -1;
    b->key_plain = plain;
    b->key = s;
    b->key_len = n;
    return 0;
}

int rjb_string(rj_builder_t *b, const char *s, size_t n) {
    int plain;
    if (b->err || (plain = check_text(b, s, n)) < 0 || count(b, n + 3 + (plain ? 0 : escape_extra(s, n)))) return -1;
    cJSON *v;
    if (b->arena) { /* the node, its text and its key in one piece of the arena */
        v = new_node(b, cJSON_String, (long)n);
        if (v) {
            v->valuestring = (char *)(v + 1);
            copy_text(v->valuestring, s, n);
        }
    } else {
        v = rj_string_n(s, n);
    }
    if (v && plain) rj_mark_plain_text(v, n);
    return attach(b, v);
}

int rjb_number(rj_builder_t *b, const char *literal, size_t n) {
    if (b->err || count(b, n + 1)) return -1;
    rudder_err_t err;
    cJSON *v = rj_number_literal(literal, n, &err);
    if (!v && err == RUDDER_ERR_INVALID_JSON) {
        char why[96];
        snprintf(why, sizeof why, "\"%.*s\" is not a JSON number", (int)(n < 40 ? n : 40), literal);
        return fail(b, err, why);
    }
    return attach(b, v);
}

int rjb_integer(rj_builder_t *b, long long v) {
    if (v > -1000000000000000LL && v < 1000000000000000LL) { /* up to 15 digits: a plain value, as parsed */
        size_t len = v < 0 ? 3 : 2; /* a digit and a comma (and a sign) */
        for (long long u = v < 0 ? -v : v; u >= 10; u /= 10) len++;
        if (b->err || count(b, len)) return -1;
        cJSON *n = new_node(b, cJSON_Number, -1);
        if (n) rj_number_set(n, (double)v);
        return attach(b, n);
    }
    char tmp[RJ_INT_MAX];
    return rjb_number(b, tmp, rj_format_integer(v, tmp));
}

int rjb_bool(rj_builder_t *b, int value) {
    if (b->err || count(b, 6)) return -1;
    return attach(b, new_node(b, value ? cJSON_True : cJSON_False, -1));
}

int rjb_null(rj_builder_t *b) {
    if (b->err || count(b, 5)) return -1;
    return attach(b, new_node(b, cJSON_NULL, -1));
}

cJSON *rjb_take(rj_builder_t *b) {
    cJSON *root = b->root;
    b->root = NULL;
    if (b->err || b->depth || !root) {
        rj_delete(root);
        return NULL;
    }
    return root;
}
