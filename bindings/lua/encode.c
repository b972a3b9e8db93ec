/* encode.c — Lua values to JSON text (lua-cjson rules, key paths in every error), or
 * straight to the core's JSON tree (json_build.h) for what the core would only parse back
 * (dest:push, dest:map).  Raw table access only, so no Lua code runs while C memory is
 * held.  A table is an array when its keys are exactly 1..n (n >= 1) or it carries
 * ruddercore.array_mt; an empty table is an object; any other key mix is an error. */
#include "rc.h"

/* Appends without the NUL rbuf keeps after each one: the encoder writes a few bytes at a
 * time and terminates once at the end. */
static inline void ob_putc(rbuf_t *b, char c)
{
    if (rbuf_reserve(b, 1) == 0)
        b->data[b->len++] = c;
}

static inline void ob_append(rbuf_t *b, const char *p, size_t n)
{
    if (rbuf_reserve(b, n) == 0) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}

#define ob_lit(b, lit) ob_append((b), (lit), sizeof(lit) - 1)

void enc_init(encoder_t *e, lua_State *L, rbuf_t *out)
{
    memset(e, 0, sizeof *e);
    e->L = L;
    e->out = out;
}

/* Writes "<path>: <message>" into e->err. */
int enc_fail(encoder_t *e, const char *fmt, ...)
{
    size_t used = 0;
    for (int i = 0; i < e->npath && used < sizeof e->err - 1; i++) {
        const enc_frame_t *f = &e->path[i];
        int n;
        if (f->key && !rj_utf8_valid(f->key, f->keylen))
            n = snprintf(e->err + used, sizeof e->err - used, "%s(key with invalid UTF-8)", i ? "." : "");
        else if (f->key)
            n = snprintf(e->err + used, sizeof e->err - used, "%s%.*s", i ? "." : "",
                         (int)(f->keylen > 80 ? 80 : f->keylen), f->key);
        else
            n = snprintf(e->err + used, sizeof e->err - used, "[%lld]", f->index);
        if (n > 0)
            used += (size_t)n;
    }
    if (used >= sizeof e->err)
        used = sizeof e->err - 1;
    e->err_has_path = used > 0;
    if (used > 0 && used < sizeof e->err - 3) { /* "<path>: ", nothing at the top level */
        memcpy(e->err + used, ": ", 3);
        used += 2;
    }
    if (used < sizeof e->err - 1) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->err + used, sizeof e->err - used, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int enc_typed(encoder_t *e, int idx, int type);

/* The builder refused a value (too deep, too large, a NUL in a string). */
static int enc_tree_fail(encoder_t *e)
{
    e->code = e->tree->err;
    return enc_fail(e, "%s", e->tree->why);
}

#define TREE(call) ((call) == 0 ? 0 : enc_tree_fail(e))

/* Writes s as a JSON string literal (the core escapes), or a string value of the tree;
 * as_key: the tree's next member name. */
static int enc_text(encoder_t *e, const char *str, size_t n, int as_key)
{
    if (e->tree) /* the builder checks UTF-8 in the same scan as the rest */
        return TREE(as_key ? rjb_key(e->tree, str, n) : rjb_string(e->tree, str, n));
    if (textscan_plain_prefix(str, n, 1) == n) { /* ASCII with nothing to escape: most strings */
        rbuf_json_plain(e->out, str, n);
        return 0;
    }
    size_t bad_at = 0;
    if (!rj_utf8_check(str, n, &bad_at))
        return enc_fail(e, "string is not valid UTF-8 (byte %zu)", bad_at + 1);
    rbuf_json_string(e->out, str, n); /* oom is reported once at the end */
    return 0;
}

#define enc_string(e, str, n) enc_text((e), (str), (n), 0)

/* Fixed JSON text (null, true, false, []) as text or as the tree's value. */
static int enc_literal(encoder_t *e, char c)
{
    if (e->tree) {
        switch (c) {
        case 'n': return TREE(rjb_null(e->tree));
        case 't': return TREE(rjb_bool(e->tree, 1));
        case 'f': return TREE(rjb_bool(e->tree, 0));
        default: return TREE(rjb_begin(e->tree, 0) || rjb_end(e->tree));
        }
    }
    switch (c) {
    case 'n': ob_lit(e->out, "null"); break;
    case 't': ob_lit(e->out, "true"); break;
    case 'f': ob_lit(e->out, "false"); break;
    default: ob_lit(e->out, "[]");
    }
    return 0;
}

static void ob_int(rbuf_t *b, long long v)
{
    char tmp[RJ_INT_MAX];
    ob_append(b, tmp, rj_format_integer(v, tmp));
}

static int enc_number_text(encoder_t *e, int idx, rbuf_t *o)
{
    char tmp[64];
    if (rc_isinteger(e->L, idx)) {
        ob_int(o, (long long)lua_tointeger(e->L, idx));
        return 0;
    }
    double d = (double)lua_tonumber(e->L, idx);
    if (isnan(d))
        return enc_fail(e, "NaN can't be represented in JSON");
    if (isinf(d))
        return enc_fail(e, "%s can't be represented in JSON", d > 0 ? "inf" : "-inf");
#if LUA_VERSION_NUM < 503
    /* Every LuaJIT number is a double: integral values below 2^53 print as integers. */
    if (floor(d) == d && fabs(d) < 9007199254740992.0) {
        ob_int(o, (long long)d);
        return 0;
    }
#endif
    char fixed[RJ_FIXED6_MAX];
    size_t flen = rj_format_fixed6(d, fixed);
    if (flen) {
        ob_append(o, fixed, flen);
        return 0;
    }
    rj_format_shortest(d, tmp);
#if LUA_VERSION_NUM >= 503
    if (strpbrk(tmp, ".eEn") == NULL)
        strcat(tmp, ".0");
#endif
    ob_append(o, tmp, strlen(tmp));
    return 0;
}

/* A number as JSON text, or as the tree's number (from the same text). */
static int enc_number(encoder_t *e, int idx)
{
    if (!e->tree)
        return enc_number_text(e, idx, e->out);
    if (rc_isinteger(e->L, idx))
        return TREE(rjb_integer(e->tree, (long long)lua_tointeger(e->L, idx)));
#if LUA_VERSION_NUM < 503
    double d = (double)lua_tonumber(e->L, idx); /* integral doubles are integers, as in text */
    if (floor(d) == d && fabs(d) < 9007199254740992.0)
        return TREE(rjb_integer(e->tree, (long long)d));
#endif
    e->num.len = 0;
    if (enc_number_text(e, idx, &e->num) != 0)
        return -1;
    if (e->num.oom) {
        e->code = RUDDER_ERR_NO_MEMORY;
        return enc_fail(e, "out of memory");
    }
    return TREE(rjb_number(e->tree, e->num.data, e->num.len));
}

/* The error for a key that can't be an object member name (key at kidx). */
static int enc_bad_key(encoder_t *e, int kidx)
{
    lua_State *L = e->L;
    if (lua_type(L, kidx) == LUA_TNUMBER) {
        char tmp[40];
        snprintf(tmp, sizeof tmp, "%.14g", (double)lua_tonumber(L, kidx));
        return enc_fail(e, "key %s is not a string (an array's keys must be exactly 1..n)", tmp);
    }
    return enc_fail(e, "key of type %s is not a string", luaL_typename(L, kidx));
}

/* Classifies the table at idx: 1 array (*n = length), 0 object, -1 error. */
static int enc_table_kind(encoder_t *e, int idx, long long *n)
{
    lua_State *L = e->L;
    *n = 0;
    if (lua_getmetatable(L, idx)) {
        lua_pushlightuserdata(L, (void *)&rc_array_mt_key);
        lua_rawget(L, LUA_REGISTRYINDEX);
        int is_array = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (is_array) {
            *n = (long long)rc_rawlen(L, idx);
            return 1;
        }
    }
    /* No t[1]: an object (or empty); its keys are checked while it is written. */
    if (rc_rawlen(L, idx) == 0)
        return 0;
    long long nint = 0, max = 0, nstr = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1); /* value */
        int kt = lua_type(L, -1);
        if (kt == LUA_TSTRING) {
            nstr++;
        } else if (kt == LUA_TNUMBER) {
            double k = (double)lua_tonumber(L, -1);
            if (k < 1 || floor(k) != k || k > 9007199254740992.0) {
                int rc = enc_bad_key(e, lua_gettop(L));
                lua_pop(L, 1);
                return rc;
            }
            nint++;
            if ((long long)k > max)
                max = (long long)k;
        } else {
            int rc = enc_bad_key(e, lua_gettop(L));
            lua_pop(L, 1);
            return rc;
        }
    }
    if (nint > 0 && nstr > 0)
        return enc_fail(e, "table mixes string keys and array indices (object keys must be strings)");
    if (nint > 0 && max != nint)
        return enc_fail(e, "sparse array: keys are not exactly 1..n (%lld keys, largest %lld)", nint, max);
    *n = nint;
    return nint > 0 ? 1 : 0;
}

static int enc_table(encoder_t *e, int idx)
{
    lua_State *L = e->L;
    const void *self = lua_topointer(L, idx);
    for (int i = 0; i < e->nopen; i++)
        if (e->open[i] == self)
            return enc_fail(e, "cycle: the table contains itself");
    if (e->nopen >= RC_MAX_DEPTH)
        return enc_fail(e, "nesting deeper than %d levels", RC_MAX_DEPTH);
    if (!lua_checkstack(L, 6))
        return enc_fail(e, "Lua stack exhausted");

    long long n;
    int kind = enc_table_kind(e, idx, &n);
    if (kind < 0)
        return -1;
    if (e->tree && rjb_begin(e->tree, kind != 1) != 0)
        return enc_tree_fail(e);
    e->open[e->nopen++] = self;
    int rc = 0;
    if (kind == 1) {
        if (!e->tree)
            ob_putc(e->out, '[');
        for (long long i = 1; i <= n && rc == 0; i++) {
            if (i > 1 && !e->tree)
                ob_putc(e->out, ',');
            e->path[e->npath++] = (enc_frame_t){NULL, 0, i};
            lua_rawgeti(L, idx, (int)i);
            int vidx = lua_gettop(L), vtype = lua_type(L, vidx);
            if (vtype == LUA_TFUNCTION && e->on_function) {
                rc = e->on_function(e, vidx, NULL) == 1 ? 0 : -1;
            } else if (vtype == LUA_TNIL) {
                rc = enc_literal(e, 'n'); /* array_mt tables may have holes */
            } else {
                rc = enc_typed(e, vidx, vtype);
            }
            lua_pop(L, 1);
            e->npath--;
        }
        if (!e->tree)
            ob_putc(e->out, ']');
    } else {
        int first = 1;
        if (!e->tree)
            ob_putc(e->out, '{');
        lua_pushnil(L);
        while (rc == 0 && lua_next(L, idx) != 0) {
            int vidx = lua_gettop(L);
            if (lua_type(L, vidx - 1) != LUA_TSTRING) {
                rc = enc_bad_key(e, vidx - 1);
                lua_pop(L, 1); /* value; the key is popped below */
                break;
            }
            size_t klen;
            const char *k = lua_tolstring(L, vidx - 1, &klen); /* a string: checked above */
            e->path[e->npath++] = (enc_frame_t){k, klen, 0};
            int vtype = lua_type(L, vidx); /* one call: each costs as much as the work here */
            if (vtype == LUA_TFUNCTION && e->on_function) {
                if (e->members)
                    e->members->unusable = 1; /* a member that may be left out: scan instead */
                size_t mark = e->out->len;
                if (!first)
                    ob_putc(e->out, ',');
                if ((rc = enc_string(e, k, klen)) == 0) {
                    ob_putc(e->out, ':');
                    int h = e->on_function(e, vidx, k);
                    if (h == 0)
                        e->out->len = mark; /* member left out */
                    else if (h < 0)
                        rc = -1;
                    else
                        first = 0;
                }
            } else if (e->tree) {
                if ((rc = enc_text(e, k, klen, 1)) == 0)
                    rc = enc_typed(e, vidx, vtype);
            } else {
                if (!first)
                    ob_putc(e->out, ',');
                first = 0;
                size_t key_at = e->out->len;
                if ((rc = enc_string(e, k, klen)) == 0) {
                    ob_putc(e->out, ':');
                    size_t val_at = e->out->len;
                    rc = enc_typed(e, vidx, vtype);
                    if (rc == 0 && e->members && e->nopen == 1) /* "key": between the quotes */
                        rjm_add(e->members, e->out, key_at + 1, val_at - key_at - 3, val_at);
                }
            }
            e->npath--;
            lua_pop(L, 1); /* value; key stays for lua_next */
        }
        if (rc != 0)
            lua_pop(L, 1); /* the key lua_next left */
        if (!e->tree)
            ob_putc(e->out, '}');
    }
    e->nopen--;
    if (rc == 0 && e->tree)
        rc = TREE(rjb_end(e->tree));
    return rc;
}

/* Encodes the value at idx (an absolute index), of Lua type type, into e->out. */
static int enc_typed(encoder_t *e, int idx, int type)
{
    lua_State *L = e->L;
    switch (type) {
    case LUA_TNIL:
        return enc_literal(e, 'n');
    case LUA_TBOOLEAN:
        return enc_literal(e, lua_toboolean(L, idx) ? 't' : 'f');
    case LUA_TNUMBER:
        return enc_number(e, idx);
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return enc_string(e, s, n);
    }
    case LUA_TTABLE:
        return enc_table(e, idx);
    case LUA_TLIGHTUSERDATA: {
        void *p = lua_touserdata(L, idx);
        if (p == (void *)&rc_null_key)
            return enc_literal(e, 'n');
        if (p == (void *)&rc_empty_array_key)
            return enc_literal(e, 'a');
        return enc_fail(e, "a light userdata can't be converted to JSON (use ruddercore.null for null)");
    }
    default:
        return enc_fail(e, "a %s can't be converted to JSON", luaL_typename(L, idx));
    }
}

/* Encodes the value at idx (any index) into e->out. */
int enc_value(encoder_t *e, int idx)
{
    if (idx < 0)
        idx = lua_gettop(e->L) + idx + 1;
    return enc_typed(e, idx, lua_type(e->L, idx));
}

/* Encodes the value at idx into out; on failure writes the message into err and
 * leaves out's content undefined.  0 on success.  members (may be NULL) receives the
 * top-level object's members as written. */
static int rc_encode_logged(lua_State *L, int idx, rbuf_t *out, rj_member_log_t *members, char *err,
                            size_t errsz)
{
    encoder_t e;
    enc_init(&e, L, out);
    e.members = members;
    int top = lua_gettop(L);
    int rc = enc_value(&e, idx);
    lua_settop(L, top);
    if (rc == 0 && rbuf_reserve(out, 0) == 0)
        out->data[out->len] = '\0'; /* the core reads it with a length, C users with strlen */
    if (rc == 0 && out->oom) {
        snprintf(e.err, sizeof e.err, "out of memory");
        rc = -1;
    }
    if (rc != 0)
        snprintf(err, errsz, "%s", e.err);
    return rc;
}

int rc_encode(lua_State *L, int idx, rbuf_t *out, char *err, size_t errsz)
{
    return rc_encode_logged(L, idx, out, NULL, err, errsz);
}

/* The event table at idx as the core's tree, built in the caller's arena scope (no JSON
 * text in between).  NULL on failure, with "event: <path>: <what>" in err and the error
 * code in *code; an event the core's limits refuse counts as invalid, as bad text does. */
cJSON *rc_event_tree(lua_State *L, int idx, rudder_dest_t *dest, char *err, size_t errsz,
                     rudder_err_t *code)
{
    rj_builder_t tree;
    dest_event_builder(&tree, 1); /* Lua strings are bytes: check UTF-8 */
    encoder_t enc, *e = &enc;
    enc_init(e, L, NULL);
    e->tree = &tree;
    int top = lua_gettop(L);
    int rc = enc_value(e, idx);
    lua_settop(L, top);
    cJSON *root = dest_event_take(dest, &tree, rc == 0);
    if (!root) {
        snprintf(err, errsz, "event: %.480s", e->err);
        *code = e->code != RUDDER_OK ? e->code : RUDDER_ERR_EVENT;
    }
    rbuf_free(&e->num);
    return root;
}

/* The message argument of a call: a table (encoded; its members logged into members, when
 * not NULL, if it is an object) or JSON text (used as is). */
int rc_arg_json(lua_State *L, int idx, rbuf_t *buf, rj_member_log_t *members, const char **text,
                size_t *len, char *err, size_t errsz)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        *text = lua_tolstring(L, idx, len);
        if (members)
            members->unusable = 1;
        return 0;
    }
    if (lua_type(L, idx) != LUA_TTABLE) {
        snprintf(err, errsz, "expected a table or JSON text, got %s", luaL_typename(L, idx));
        return -1;
    }
    if (rc_encode_logged(L, idx, buf, members, err, errsz) != 0)
        return -1;
    *text = rbuf_cstr(buf);
    *len = buf->len;
    if (members && (*len == 0 || (*text)[0] != '{'))
        members->unusable = 1; /* an array: the core's scan names the error */
    return 0;
}
