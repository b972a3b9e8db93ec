/* json_compare.c — compares results with the conformance vectors' expectations:
 * object key order ignored, array order kept, numbers by value, and the vectors'
 * {"undefined": true} standing for JavaScript undefined. */
#include <string.h>
#include "cli.h"
#include "destination/mapping/mapping.h"

static int is_undef_marker(const cJSON *e) {
    return mv_is_plain_object(e) && e->child && !e->child->next && strcmp(e->child->string, "undefined") == 0 &&
           cJSON_IsTrue(e->child);
}

int json_matches(const cJSON *a, const cJSON *e) {
    if (!e || is_undef_marker(e)) return mv_is_undef(a);
    if (mv_is_undef(a)) return 0;
    int ta = a->type & 0xFF, te = e->type & 0xFF;
    if (ta != te) return 0;
    switch (te) {
    case cJSON_True:
    case cJSON_False:
    case cJSON_NULL: return 1;
    case cJSON_Number: return a->valuedouble == e->valuedouble;
    case cJSON_String: return strcmp(a->valuestring, e->valuestring) == 0;
    case cJSON_Array: {
        const cJSON *x = a->child, *y = e->child;
        for (; x && y; x = x->next, y = y->next)
            if (!json_matches(x, y)) return 0;
        return !x && !y;
    }
    case cJSON_Object: {
        int na = 0, ne = 0;
        for (const cJSON *x = a->child; x; x = x->next) na++;
        for (const cJSON *y = e->child; y; y = y->next) {
            ne++;
            const cJSON *x = mv_own(a, y->string, strlen(y->string));
            if (!x || !json_matches(x, y)) return 0;
        }
        return na == ne;
    }
    default: return 0;
    }
}
