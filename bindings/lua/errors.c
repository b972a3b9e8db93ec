/* errors.c — how failures reach Lua: `nil, message, code_name` returns (the code names are
 * the core's rudder_err_name), and report-callback errors kept during a core call and
 * re-raised after it returned. */
#include "rc.h"

/* Returns `nil, message, code_name`. */
int rc_fail(lua_State *L, const char *msg, rudder_err_t code)
{
    lua_pushnil(L);
    lua_pushstring(L, (msg && *msg) ? msg : rudder_err2str(code));
    lua_pushstring(L, rudder_err_name(code));
    return 3;
}

/* Remember a callback's error (the first one wins); the message on top is popped. */
void rc_keep_cb_error(rc_handle_t *h, lua_State *L, const char *what)
{
    if (h->cb_err == NULL) {
        const char *m = lua_tostring(L, -1);
        size_t n = strlen(what) + (m ? strlen(m) : 20) + 4;
        h->cb_err = malloc(n);
        if (h->cb_err)
            snprintf(h->cb_err, n, "%s: %s", what, m ? m : "(error object is not a string)");
    }
    lua_pop(L, 1);
}

/* After a core call that ran report callbacks: re-raise the first callback error.
 * Frees C memory before lua_error (which does not return). */
void rc_raise_cb_error(rc_handle_t *h, lua_State *L)
{
    if (h->cb_err == NULL)
        return;
    lua_pushstring(L, h->cb_err);
    free(h->cb_err);
    h->cb_err = NULL;
    lua_error(L);
}
