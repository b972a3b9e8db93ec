/* persistence.c — client:create_persistence_queue(queue_opts): the Node SDK's
 * createPersistenceQueue for users porting code.  It swaps the (unused) core client for
 * one with the `persistence` setting. */
#include "rc.h"

/* client:create_persistence_queue(queue_opts) -> true | nil, err, code
 * The Node SDK's createPersistenceQueue (docs/REDIS.md): queue_opts is a table (queueName,
 * prefix, isMultiProcessor, redisOpts {host, port, db, password}, jobOpts {maxAttempts}, or
 * flat host/port/...) or a redis:// URL.  Before the first call only; an unreachable Redis
 * is an error the caller may retry with backoff. */
int rc_create_persistence_queue(lua_State *L)
{
    rc_handle_t *h = luaL_checkudata(L, 1, RC_CLIENT_MT);
    if (rc_is_closed(L, h))
        return rc_fail(L, "client is closed", RUDDER_ERR_CLOSED);
    char err[RC_ERRSTR] = "";
    rbuf_t buf = RBUF_INIT;
    if (lua_type(L, 2) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, 2, &n);
        rbuf_append(&buf, s, n);
    } else if (lua_type(L, 2) == LUA_TTABLE) {
        lua_getfield(L, 2, "type");
        int has_type = !lua_isnil(L, -1);
        lua_pop(L, 1);
        rbuf_t body = RBUF_INIT;
        if (rc_encode(L, 2, &body, err, sizeof err) != 0) {
            rbuf_free(&body);
            return rc_fail(L, err, RUDDER_ERR_CONFIG);
        }
        const char *t = rbuf_cstr(&body);
        if (has_type || t[0] != '{') {
            rbuf_append(&buf, t, body.len);
        } else { /* the backend this method is named after */
            rbuf_puts(&buf, "{\"type\":\"redis\"");
            if (body.len > 2) rbuf_putc(&buf, ',');
            rbuf_append(&buf, t + 1, body.len - 1);
        }
        rbuf_free(&body);
    } else {
        return rc_fail(L, "create_persistence_queue: expected a table of queue options or a redis:// URL",
                       RUDDER_ERR_INVALID_ARG);
    }
    rudder_client_t *fresh = client_with_persistence(h->client, rbuf_cstr(&buf), err, sizeof err);
    rbuf_free(&buf);
    if (fresh == NULL)
        return rc_fail(L, err, RUDDER_ERR_CONFIG);
    rudder_client_t *old = h->client;
    h->client = fresh;
    rudder_client_destroy(old); /* accepted nothing: nothing to send or report */
    lua_pushboolean(L, 1);
    return 1;
}
