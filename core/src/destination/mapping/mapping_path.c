/* mapping_path.c — dot paths: getByPath, setByPath, deleteByPath (spec/walkeros.md
 * §4.3, §4.7, §4.8).  Objects are indexed by own key only; arrays by a canonical
 * decimal index or "length"; strings and numbers are never traversed. */
#include <stdlib.h>
#include <string.h>
#include "mapping.h"

/* A canonical non-negative decimal index ("0", "12"; not "01", "-1", " 1"). */
static int parse_index(const char *s, size_t n, long *out) {
    if (n == 0 || n > 9) return 0;
    if (n > 1 && s[0] == '0') return 0;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int is_container(const cJSON *v) {
    if (mv_is_undef(v)) return 0;
    int t = v->type & 0xFF;
    return t == cJSON_Object || t == cJSON_Array;
}

/* One step of a walk; NULL when it yields undefined. */
static const cJSON *step(const cJSON *cur, const char *seg, size_t n) {
    if (!is_container(cur)) return NULL;
    if ((cur->type & 0xFF) == cJSON_Object) return mv_own(cur, seg, n);
    long idx;
    if (!parse_index(seg, n, &idx)) return NULL;
    const cJSON *el = cur->child;
    while (el && idx-- > 0) el = el->next;
    return el;
}

const cJSON *map_peek_path(const cJSON *input, const char *path, size_t n, const char **rest) {
    const cJSON *cur = input;
    const char *s = path, *end = path + n;
    *rest = NULL;
    for (;;) {
        const char *dot = memchr(s, '.', (size_t)(end - s));
        size_t sl = dot ? (size_t)(dot - s) : (size_t)(end - s);
        if (mv_is_undef(cur)) return NULL;
        if ((cur->type & 0xFF) == cJSON_Array &&
            ((sl == 1 && s[0] == '*') || (sl == 6 && memcmp(s, "length", 6) == 0))) {
            *rest = s;
            return cur;
        }
        cur = step(cur, s, sl);
        if (!cur || !dot) return cur;
        s = dot + 1;
    }
}

cJSON *map_by_path(const cJSON *input, const char *path, size_t n, const cJSON *def) {
    const char *end = path + n, *s;
    const cJSON *cur = map_peek_path(input, path, n, &s);
    if (s) { /* cur is an array and s its "*" or "length" segment */
        const char *dot = memchr(s, '.', (size_t)(end - s));
        if (s[0] == '*') { /* fan out, default applied per element */
            const char *rest = dot ? dot + 1 : end;
            cJSON *arr = rj_array();
            for (const cJSON *el = cur->child; el; el = el->next) {
                cJSON *r = map_by_path(el, rest, (size_t)(end - rest), def);
                cJSON_AddItemToArray(arr, r ? r : mv_undef_new());
            }
            return arr;
        }
        if (!dot) return rj_number((double)cJSON_GetArraySize(cur));
        cur = NULL; /* numbers are not traversed */
    }
    return mv_dup(mv_is_undef(cur) ? def : cur);
}

/* A member (or array element) slot by segment; creates {} objects on the way. */
static cJSON *child_for_write(cJSON *cur, const char *seg) {
    if ((cur->type & 0xFF) == cJSON_Array) {
        long idx;
        if (!parse_index(seg, strlen(seg), &idx)) return NULL;
        cJSON *el = cJSON_GetArrayItem(cur, (int)idx);
        if (el && !mv_is_plain_object(el) && (el->type & 0xFF) != cJSON_Array) {
            rj_replace(cur, el, rj_object());
            el = cJSON_GetArrayItem(cur, (int)idx);
        }
        return el;
    }
    cJSON *el = (cJSON *)mv_own(cur, seg, strlen(seg));
    if (el && (mv_is_plain_object(el) || (el->type & 0xFF) == cJSON_Array)) return el;
    cJSON *fresh = rj_object();
    if (el) mv_replace(cur, el, fresh);
    else rj_add(cur, seg, fresh);
    return fresh;
}

static void assign(cJSON *parent, const char *seg, cJSON *value) {
    if ((parent->type & 0xFF) == cJSON_Array) {
        long idx;
        int size = cJSON_GetArraySize(parent);
        if (!parse_index(seg, strlen(seg), &idx) || idx > size) { rj_delete(value); return; }
        if (!value) value = mv_undef_new();
        if (idx == size) cJSON_AddItemToArray(parent, value);
        else rj_replace(parent, cJSON_GetArrayItem(parent, (int)idx), value);
        return;
    }
    cJSON *old = (cJSON *)mv_own(parent, seg, strlen(seg));
    if (!value) { /* undefined: the member disappears */
        if (old) rj_delete(cJSON_DetachItemViaPointer(parent, old));
        return;
    }
    if (old) mv_replace(parent, old, value);
    else rj_add(parent, seg, value);
}

void map_set_path(cJSON *target, const char *path, cJSON *value) {
    if (!mv_is_plain_object(target)) { rj_delete(value); return; }
    char *copy = strdup(path);
    if (!copy) { rj_delete(value); return; }
    cJSON *cur = target;
    char *seg = copy;
    for (;;) {
        char *dot = strchr(seg, '.');
        if (!dot) break;
        *dot = '\0';
        cur = child_for_write(cur, seg);
        if (!cur) { rj_delete(value); free(copy); return; }
        seg = dot + 1;
    }
    assign(cur, seg, value);
    free(copy);
}

void map_delete_path(cJSON *target, const char *path) {
    char *copy = strdup(path);
    if (!copy) return;
    cJSON *cur = target;
    char *seg = copy;
    for (;;) {
        char *dot = strchr(seg, '.');
        if (dot) *dot = '\0';
        if (!is_container(cur)) break;
        cJSON *next;
        long idx = -1;
        if ((cur->type & 0xFF) == cJSON_Array) {
            if (!parse_index(seg, strlen(seg), &idx)) break;
            next = cJSON_GetArrayItem(cur, (int)idx);
        } else {
            next = (cJSON *)mv_own(cur, seg, strlen(seg));
        }
        if (!next) break;
        if (!dot) {
            rj_delete(cJSON_DetachItemViaPointer(cur, next));
            break;
        }
        cur = next;
        seg = dot + 1;
    }
    free(copy);
}
