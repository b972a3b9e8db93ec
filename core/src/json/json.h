/* json.h — strict JSON parse/print on cJSON trees.
 *
 * Why not cJSON_Parse/cJSON_Print: we must reject invalid UTF-8, bound nesting depth,
 * name the failing position, and keep numbers exact (an int beyond 2^53 must come out
 * as it went in).  Parsed numbers keep their original text in `valuestring` (cJSON frees
 * it with the node; rj_print writes it back verbatim) — except plain integers of up to 15
 * digits, which are exact as doubles and have no valuestring.  So: no valuestring means an
 * integer when integral; a valuestring with '.', 'e' or "-0" means a float.  Numbers
 * created by code (no valuestring) print as integers when integral and
 * |x| < 2^53, else with the shortest %.17g form that round-trips.
 */
#ifndef RUDDER_JSON_H
#define RUDDER_JSON_H
#include <cjson/cJSON.h>
#include <string.h>
#include "ruddercore.h"
#include "base/base.h"

#define RJ_DEFAULT_MAX_DEPTH 64

/* Parses exactly one JSON value (surrounding whitespace allowed).  On failure returns
 * NULL, sets *err (INVALID_JSON, INVALID_UTF8, TOO_DEEP, NO_MEMORY) and writes a message
 * with the byte offset into errstr. max_depth <= 0 means RJ_DEFAULT_MAX_DEPTH. */
cJSON *rj_parse(const char *text, size_t len, int max_depth, rudder_err_t *err,
                char *errstr, size_t errstr_size);

/* One top-level member of a scanned object: spans into the original text. */
typedef struct rj_member {
    const char *key;     /* raw key text between the quotes (escapes not decoded) */
    size_t key_len;
    int key_escaped;     /* the raw key holds a backslash escape */
    const char *val;     /* the value's JSON text, verbatim */
    size_t val_len;
    char kind;           /* o(bject) a(rray) s(tring) n(umber) t(rue) f(alse) z(null) */
    const cJSON *node;   /* NULL from the scanner; a member taken from a tree instead has
                            its node here, key = node->string (decoded) and no val text */
} rj_member_t;

/* A member's kind from the first byte of its valid JSON value text. */
static inline char rj_value_kind(char c) {
    switch (c) {
    case '{': return 'o';
    case '[': return 'a';
    case '"': return 's';
    case 't': return 't';
    case 'f': return 'f';
    case 'n': return 'z';
    default: return 'n';
    }
}

/* Validates text fully (grammar, UTF-8, depth) without building a tree; when it is an
 * object, records its top-level members.  Returns the member count, or -1 with *err set
 * (RUDDER_ERR_NOT_OBJECT for valid JSON that is not an object; TOO_DEEP when the object
 * has more than max_members members). */
int rj_scan_object(const char *text, size_t len, int max_depth, rj_member_t *members, int max_members,
                   rudder_err_t *err, char *errstr, size_t errstr_size);

/* Compact JSON text, key order as in the tree. */
void rj_print_to(const cJSON *v, rbuf_t *out);
char *rj_print(const cJSON *v);           /* malloc'd; NULL on oom */

/* Validates UTF-8 (no overlongs, no surrogates, <= U+10FFFF). 1 valid, 0 not. */
int rj_utf8_valid(const char *s, size_t n);
/* The same, and on failure the byte offset of the first bad sequence in *bad_at. */
int rj_utf8_check(const char *s, size_t n, size_t *bad_at);

/* Type tests the compiler can inline (cJSON's are calls into the shared library, and the
 * mapping asks them for every value). */
static inline int rj_type_is(const cJSON *v, int t) { return v && (v->type & 0xFF) == t; }
#define rj_is_string(v) rj_type_is((v), cJSON_String)
#define rj_is_number(v) rj_type_is((v), cJSON_Number)
#define rj_is_array(v) rj_type_is((v), cJSON_Array)
#define rj_is_object(v) rj_type_is((v), cJSON_Object)
#define rj_is_null(v) rj_type_is((v), cJSON_NULL)
#define rj_is_true(v) rj_type_is((v), cJSON_True)
static inline int rj_is_bool(const cJSON *v) { return v && (v->type & (cJSON_True | cJSON_False)) != 0; }

/* ---- building and freeing trees (json_tree.c) -------------------------------------
 * Nodes and their strings come from the calling thread's arena inside an arena scope
 * (arena.h) and from the heap otherwise.  Free with rj_delete, never cJSON_Delete: it
 * frees heap nodes and skips arena ones, so mixed trees are fine.  Use rj_add/rj_replace
 * rather than cJSON's adders and replacers, which allocate and free with the heap. */
#define RJ_IN_ARENA 0x8000 /* node type bit: the node and its strings live in an arena */
/* Node type bits the printer trusts: the value string (RJ_PLAIN_TEXT) or the member name
 * (RJ_PLAIN_KEY) has nothing JSON must escape, so it is copied without a scan.  Set only
 * where that is known for free (the parser's fast path, the builder's scan, literal keys);
 * anything that changes a node's string must clear them (rj_set_key, rj_add_const do). */
#define RJ_PLAIN_TEXT 0x2000
#define RJ_PLAIN_KEY 0x1000

/* Marks string node v (its valuestring n bytes long) as plain.  A plain string's valueint
 * (unused by strings) holds its length, so the printer needs no strlen either; a string too
 * long for an int is simply left unmarked. */
static inline void rj_mark_plain_text(cJSON *v, size_t n) {
    if (n > 2147483647u) return;
    v->type |= RJ_PLAIN_TEXT;
    v->valueint = (int)n;
}

/* A zeroed node of type from arena a (not NULL), with extra bytes after it for its string:
 * what the tree builders use when they already know their arena. */
static inline cJSON *rj_arena_node(rj_arena_t *a, int type, size_t extra) {
    cJSON *n = (cJSON *)rj_arena_alloc(a, sizeof *n + extra);
    if (!n) return NULL;
    memset(n, 0, sizeof *n);
    n->type = type | RJ_IN_ARENA;
    return n;
}
/* A zeroed node of type on the heap. */
cJSON *rj_heap_node(int type);
/* A node from arena a, or the heap when a is NULL: for builders that looked their arena
 * up once (the parser, json_build.c) instead of once per node. */
static inline cJSON *rj_node_in(rj_arena_t *a, int type) {
    return a ? rj_arena_node(a, type, 0) : rj_heap_node(type);
}

/* Integer v as decimal text in out (no terminator); returns its length. */
#define RJ_INT_MAX 24
size_t rj_format_integer(long long v, char out[RJ_INT_MAX]);

cJSON *rj_object(void);
cJSON *rj_array(void);
cJSON *rj_null(void);
cJSON *rj_bool(int b);
cJSON *rj_number(double d);
cJSON *rj_string(const char *s);
cJSON *rj_string_n(const char *s, size_t len);
/* A number node that prints as the given literal text (e.g. "18446744073709551616"), with
 * its value given when known (known = 0: read with strtod). */
cJSON *rj_number_text(const char *text, size_t n, int known, double value);
void rj_number_set(cJSON *v, double d);
/* A number node from a JSON number literal, stored as the parser stores one (short numbers
 * as values, others keep their text).  NULL with *err INVALID_JSON when text is not exactly
 * one JSON number, NO_MEMORY when out of memory. */
cJSON *rj_number_literal(const char *text, size_t n, rudder_err_t *err);
/* Deep copy into the current arena or the heap; keeps number literals and flags. */
cJSON *rj_dup(const cJSON *v);
/* Frees a tree's heap nodes (and v's siblings, as cJSON_Delete does). */
void rj_delete(cJSON *v);
/* Appends item to an array or object (no key change). */
void rj_append(cJSON *parent, cJSON *item);
/* Appends item under a copy of key; frees item when out of memory. */
void rj_add(cJSON *obj, const char *key, cJSON *item);
/* Appends item under key without copying it: key must outlive the tree (a literal, or a
 * configuration string). */
void rj_add_const(cJSON *obj, const char *key, cJSON *item);
/* Gives item a copy of key, stored where item is.  0 ok, -1 out of memory. */
int rj_set_key(cJSON *item, const char *key);
/* Puts item in old's place in parent and frees old. */
void rj_replace(cJSON *parent, cJSON *old, cJSON *item);
/* n bytes for a string, from the current arena or the heap (the parser's keys). */
char *rj_str_alloc(size_t n);

/* The common floats (prices, ratios, timings) as text without a printf/dtoa round trip:
 * when d is below 1e9 in magnitude and has at most 6 decimals, writes the shortest decimal
 * that reads back as d ("42.5", "0.125", an integral value as "3.0"; -0 as "0.0") and
 * returns its length; else returns 0.  n / 1e6 is correctly rounded, so when it equals d
 * the decimal reads back as d, and with at most 15 significant digits no shorter decimal
 * names the same double. */
#define RJ_FIXED6_MAX 24
size_t rj_format_fixed6(double d, char out[RJ_FIXED6_MAX]);
/* The shortest %.15g..%.17g text that reads back as the same double (finite d), NUL
 * terminated; returns its length.  What the printer and the bindings write for a float
 * rj_format_fixed6 cannot. */
#define RJ_SHORTEST_MAX 32
size_t rj_format_shortest(double d, char out[RJ_SHORTEST_MAX]);

/* Number value as double; 1 if v is a number. */
int rj_is_integral(const cJSON *v);
/* A number's literal text (rj_parse keeps it in valuestring) is an integer literal: no
 * fraction, no exponent.  The bindings turn those into their integer type. */
static inline int rj_literal_is_integer(const char *lit) { return strpbrk(lit, ".eE") == NULL; }

#endif
