/* libFuzzer target: the tree builder the bindings use (json_build.h) against the parser.
 * Whatever rj_parse accepts is rebuilt value by value with the builder; both trees must
 * print the same text, and that text must parse again.  The raw input is also handed to
 * the builder as one string and as one key (UTF-8 checked, as from Lua): it is refused
 * with a reason or printed as valid JSON. */
#include "base/base.h"
#include "json/json.h"
#include "json/json_build.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void rebuild(rj_builder_t *b, const cJSON *v) {
    if (v->string && rjb_key(b, v->string, strlen(v->string)) != 0) return;
    switch (v->type & 0xFF) {
    case cJSON_NULL: rjb_null(b); break;
    case cJSON_True: rjb_bool(b, 1); break;
    case cJSON_False: rjb_bool(b, 0); break;
    case cJSON_String: rjb_string(b, v->valuestring, strlen(v->valuestring)); break;
    case cJSON_Number:
        if (v->valuestring) rjb_number(b, v->valuestring, strlen(v->valuestring));
        else rjb_integer(b, (long long)v->valuedouble); /* the parser keeps only short integers bare */
        break;
    case cJSON_Array:
    case cJSON_Object:
        rjb_begin(b, (v->type & 0xFF) == cJSON_Object);
        for (const cJSON *c = v->child; c; c = c->next) rebuild(b, c);
        rjb_end(b);
        break;
    default: abort();
    }
}

static void must_parse(const char *text) {
    cJSON *v = rj_parse(text, strlen(text), 0, NULL, NULL, 0);
    if (!v) abort();
    rj_delete(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    rj_scope_t scope = rj_scope_open();
    cJSON *parsed = rj_parse(text, size, 32, NULL, NULL, 0);
    if (parsed) {
        rj_builder_t b;
        rjb_init(&b, 32, 0, 1);
        rebuild(&b, parsed);
        cJSON *built = rjb_take(&b);
        if (!built) abort(); /* what the parser accepts, the builder accepts */
        char *p = rj_print(parsed), *q = rj_print(built);
        if (!p || !q || strcmp(p, q) != 0) abort();
        must_parse(q);
        free(p);
        free(q);
    }
    for (int as_key = 0; as_key < 2; as_key++) {
        rj_builder_t b;
        rjb_init(&b, 4, 1 << 20, 1);
        rjb_begin(&b, as_key);
        if (as_key) rjb_key(&b, text, size);
        rjb_string(&b, text, size);
        rjb_end(&b);
        cJSON *v = rjb_take(&b);
        if (v) {
            char *out = rj_print(v);
            must_parse(out);
            free(out);
        } else if (b.err == RUDDER_OK || !b.why[0]) {
            abort(); /* a refusal always says why */
        }
    }
    rj_scope_close(scope);
    return 0;
}
