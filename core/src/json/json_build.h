/* json_build.h — a JSON tree built value by value, for the bindings.
 *
 * A binding that converts a host value (a Python dict, a Lua table) to JSON text only for
 * the core to parse it back pays twice: escaping on the way out, scanning on the way in.
 * With the builder it hands over each value once and the core gets the same tree rj_parse
 * would have made (numbers stored by the same rules, strings copied, the same limits on
 * depth and size), built in the current arena scope (arena.h) or on the heap.
 *
 * Calls follow the value's structure: rjb_begin / rjb_end around containers, rjb_key
 * before each member's value.  Every call returns 0, or -1 once the builder failed: then
 * b->err and b->why say what was wrong (the caller adds where), and later calls do nothing. */
#ifndef RUDDER_JSON_BUILD_H
#define RUDDER_JSON_BUILD_H
#include "json.h"

#define RJB_MAX_DEPTH 64

typedef struct rj_builder {
    cJSON *root;
    cJSON *open[RJB_MAX_DEPTH]; /* containers being filled, outermost first */
    int depth, max_depth;
    size_t bytes, max_bytes;    /* about the JSON text's size: what rj_parse's limit counts */
    const char *key;            /* the pending member name (the caller's memory) */
    size_t key_len;
    int key_plain;              /* it needs no JSON escaping */
    int check_utf8;             /* strings come from a host that may hold any bytes (Lua) */
    struct rj_arena *arena;     /* where nodes go: the scope's arena at init, or the heap */
    rudder_err_t err;
    char why[96];
} rj_builder_t;

/* max_depth <= RJB_MAX_DEPTH nested containers, max_bytes of JSON text (0: no limit);
 * check_utf8: reject strings that are not valid UTF-8 (hosts whose strings are bytes). */
void rjb_init(rj_builder_t *b, int max_depth, size_t max_bytes, int check_utf8);
int rjb_begin(rj_builder_t *b, int is_object);
int rjb_end(rj_builder_t *b);
/* The next value's member name; s must stay valid until that value is added. */
int rjb_key(rj_builder_t *b, const char *s, size_t n);
int rjb_string(rj_builder_t *b, const char *s, size_t n);
/* A JSON number literal ("42", "0.1", "1e+16", "18446744073709551616"). */
int rjb_number(rj_builder_t *b, const char *literal, size_t n);
/* An integer: the same node rjb_number would make from its decimal text, faster. */
int rjb_integer(rj_builder_t *b, long long v);
int rjb_bool(rj_builder_t *b, int value);
int rjb_null(rj_builder_t *b);
/* The finished tree (the builder lets go of it), or NULL when it failed or is unfinished;
 * a failed or unfinished tree is freed. */
cJSON *rjb_take(rj_builder_t *b);

#endif
