/* mapping_fn.c — calling the host's named callbacks for fn, condition and validate
 * (spec/walkeros.md §7).  Values cross as JSON text; context is
 * {"event": ..., "mapping": ..., "consent": ...}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"
#include "conf/conf.h"
#include "json/json.h"
#include "mapping.h"

int map_call_fn(map_ctx_t *c, const char *what, const cJSON *name, const cJSON *value,
                const cJSON *mapping, const cJSON *consent, cJSON **out) {
    *out = NULL;
    rudder_fn_cb fn = NULL;
    void *opaque = NULL;
    if (!rj_is_string(name) || !c->conf || conf_find_fn(c->conf, name->valuestring, &fn, &opaque) != 0) {
        if (!c->error[0])
            snprintf(c->error, sizeof c->error, "%s: no callback registered as '%.80s'", what,
                     rj_is_string(name) ? name->valuestring : "(not a string)");
        return -1;
    }
    char *value_json = mv_is_undef(value) ? NULL : rj_print(value);
    rbuf_t ctx = RBUF_INIT;
    rbuf_puts(&ctx, "{\"event\":");
    if (c->event) rj_print_to(c->event, &ctx); else rbuf_puts(&ctx, "null");
    rbuf_puts(&ctx, ",\"mapping\":");
    if (mapping) rj_print_to(mapping, &ctx); else rbuf_puts(&ctx, "null");
    rbuf_puts(&ctx, ",\"consent\":");
    if (consent) rj_print_to(consent, &ctx); else rbuf_puts(&ctx, "{}");
    rbuf_putc(&ctx, '}');
    int failed = 0;
    rj_scope_t heap = rj_scope_heap(); /* host code sees the heap, not this push's arena */
    char *res = fn(value_json, rbuf_cstr(&ctx), opaque, &failed);
    rj_scope_close(heap);
    free(value_json);
    rbuf_free(&ctx);
    if (failed) {
        free(res);
        if (!c->error[0])
            snprintf(c->error, sizeof c->error, "%s callback '%.80s' failed", what, name->valuestring);
        return -1;
    }
    if (!res) return 0;
    rudder_err_t e;
    char msg[128];
    *out = rj_parse(res, strlen(res), 0, &e, msg, sizeof msg);
    free(res);
    if (!*out) {
        if (!c->error[0])
            snprintf(c->error, sizeof c->error, "%s callback '%.80s' returned invalid JSON: %s", what,
                     name->valuestring, msg);
        return -1;
    }
    return 0;
}
