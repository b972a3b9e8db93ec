/* json_tree.c — building, copying and freeing cJSON trees, in the calling thread's arena
 * when it has one (arena.h) and on the heap otherwise.
 *
 * A node made in an arena carries RJ_IN_ARENA, and so do its strings' storage: rj_delete
 * frees only heap nodes and walks past arena ones, so a tree may mix the two (a held
 * event on the heap that gets an arena consent map, say).  cJSON_Delete must never see an
 * arena node: every tree the destination touches is freed with rj_delete. */
#include "json.h"
#include "base/base.h"
#include <stdlib.h>
#include <string.h>

cJSON *rj_heap_node(int type) {
    cJSON *n = calloc(1, sizeof *n);
    if (n) n->type = type;
    return n;
}

static cJSON *node_new(int type) { return rj_node_in(rj_arena_current(), type); }

char *rj_str_alloc(size_t n) {
    rj_arena_t *a = rj_arena_current();
    return a ? rj_arena_alloc(a, n) : malloc(n);
}

/* A copy of s[0..n) stored where owner is stored (an arena node is this thread's: pushes
 * are synchronous, so its arena is the thread's, even inside a heap scope). */
static char *copy_like(const cJSON *owner, const char *s, size_t n) {
    rj_arena_t *a = (owner->type & RJ_IN_ARENA) ? rj_arena_thread() : NULL;
    char *out = a ? rj_arena_alloc(a, n + 1) : malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

cJSON *rj_object(void) { return node_new(cJSON_Object); }
cJSON *rj_array(void) { return node_new(cJSON_Array); }
cJSON *rj_null(void) { return node_new(cJSON_NULL); }
cJSON *rj_bool(int b) { return node_new(b ? cJSON_True : cJSON_False); }

cJSON *rj_number(double d) {
    cJSON *n = node_new(cJSON_Number);
    if (n) rj_number_set(n, d);
    return n;
}

cJSON *rj_string_n(const char *s, size_t len) {
    cJSON *n = node_new(cJSON_String);
    if (!n) return NULL;
    if (!(n->valuestring = copy_like(n, s, len))) {
        rj_delete(n);
        return NULL;
    }
    return n;
}

cJSON *rj_string(const char *s) { return rj_string_n(s, strlen(s)); }

cJSON *rj_number_text(const char *text, size_t n, int known, double value) {
    cJSON *v = rj_number(0);
    if (!v) return NULL;
    if (!(v->valuestring = copy_like(v, text, n))) {
        rj_delete(v);
        return NULL;
    }
    rj_number_set(v, known ? value : strtod(v->valuestring, NULL));
    return v;
}

void rj_number_set(cJSON *v, double d) {
    v->valuedouble = d;
    v->valueint = d >= 2147483647.0 ? 2147483647 : d <= -2147483648.0 ? -2147483647 - 1 : (int)d;
}

void rj_delete(cJSON *v) {
    while (v) {
        cJSON *next = v->next;
        if (!(v->type & cJSON_IsReference) && v->child) rj_delete(v->child);
        if (!(v->type & RJ_IN_ARENA)) {
            if (!(v->type & cJSON_IsReference) && v->valuestring) free(v->valuestring);
            if (!(v->type & cJSON_StringIsConst) && v->string) free(v->string);
            free(v);
        } else {
            RJ_POISON(v, sizeof *v); /* its memory stays until the reset; any use is a bug */
        }
        v = next;
    }
}

/* Frees item's key when item owns it on the heap (not a literal, not in an arena). */
static void drop_key(cJSON *item) {
    if (item->string && !(item->type & (cJSON_StringIsConst | RJ_IN_ARENA))) free(item->string);
}

int rj_set_key(cJSON *item, const char *key) {
    char *k = copy_like(item, key, strlen(key));
    if (!k) return -1;
    drop_key(item);
    item->type &= ~(cJSON_StringIsConst | RJ_PLAIN_KEY);
    item->string = k;
    return 0;
}

void rj_append(cJSON *parent, cJSON *item) {
    if (!parent || !item) return;
    item->next = NULL;
    if (!parent->child) {
        parent->child = item;
        item->prev = item; /* cJSON keeps the tail in head->prev */
    } else {
        cJSON *tail = parent->child->prev;
        tail->next = item;
        item->prev = tail;
        parent->child->prev = item;
    }
}

void rj_add(cJSON *obj, const char *key, cJSON *item) {
    if (!obj || !item) return;
    if (rj_set_key(item, key) != 0) {
        rj_delete(item);
        return;
    }
    rj_append(obj, item);
}

void rj_add_const(cJSON *obj, const char *key, cJSON *item) {
    if (!obj || !item) return;
    drop_key(item);
    item->string = (char *)key;
    item->type = (item->type & ~RJ_PLAIN_KEY) | cJSON_StringIsConst;
    rj_append(obj, item);
}

void rj_replace(cJSON *parent, cJSON *old, cJSON *item) {
    if (!parent || !old || !item || old == item) return;
    item->next = old->next;
    item->prev = old->prev;
    if (item->next) item->next->prev = item;
    if (parent->child == old) {
        if (old->prev == old) item->prev = item; /* the only child */
        parent->child = item;
    } else {
        if (item->prev) item->prev->next = item;
        if (!item->next) parent->child->prev = item; /* new tail */
    }
    old->next = old->prev = NULL;
    rj_delete(old);
}

cJSON *rj_dup(const cJSON *v) {
    if (!v) return NULL;
    cJSON *n = node_new(v->type & ~(RJ_IN_ARENA | cJSON_IsReference | cJSON_StringIsConst));
    if (!n) return NULL;
    n->valueint = v->valueint;
    n->valuedouble = v->valuedouble;
    /* arena to arena: the strings are shared, not copied (nothing in an arena is freed
     * before the whole arena is) */
    int share = (v->type & RJ_IN_ARENA) && (n->type & RJ_IN_ARENA);
    if (v->valuestring) {
        if (share) n->valuestring = v->valuestring;
        else if (!(n->valuestring = copy_like(n, v->valuestring, strlen(v->valuestring)))) goto oom;
    }
    if (v->string) {
        if (v->type & cJSON_StringIsConst) { /* a literal: share it */
            n->string = v->string;
            n->type |= cJSON_StringIsConst;
        } else if (share) {
            n->string = v->string;
        } else if (!(n->string = copy_like(n, v->string, strlen(v->string)))) {
            goto oom;
        }
    }
    for (const cJSON *c = v->child; c; c = c->next) {
        cJSON *cc = rj_dup(c);
        if (!cc) goto oom;
        rj_append(n, cc);
    }
    return n;
oom:
    rj_delete(n);
    return NULL;
}
