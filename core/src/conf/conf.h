/* conf.h — the settings object behind rudder_conf_t (property table in conf.c). */
#ifndef RUDDER_CONF_H
#define RUDDER_CONF_H
#include "ruddercore.h"

#define CONF_MAX_FNS 64

typedef struct conf_fn {
    char *name;
    rudder_fn_cb fn;
    void *opaque;
} conf_fn_t;

/* Each property's current value is kept as text in vals[i] (NULL = default). */
struct rudder_conf {
    char **vals;                  /* indexed like the property table */
    rudder_report_cb report_cb;
    void *report_opaque;
    rudder_log_cb log_cb;
    void *log_opaque;
    conf_fn_t fns[CONF_MAX_FNS];
    int nfns;
    char library_suffix[64];      /* set by bindings: "ruddercore-python" (library.name stays ruddercore) */
};

/* Typed getters (value or default).  The name must be in the table. */
const char *conf_str(const rudder_conf_t *c, const char *name);   /* never NULL ("" if unset) */
int64_t conf_int(const rudder_conf_t *c, const char *name);
int conf_bool(const rudder_conf_t *c, const char *name);
/* JSON-typed settings (destination's userId, identify, ...): raw JSON text or NULL when unset. */
const char *conf_json(const rudder_conf_t *c, const char *name);
/* 1 when the setting was given explicitly. */
int conf_is_set(const rudder_conf_t *c, const char *name);

/* Finds a registered mapping callback; accepts "name" and "$fn:name". 0 found, -1 not. */
int conf_find_fn(const rudder_conf_t *c, const char *name, rudder_fn_cb *fn, void **opaque);

/* Checks required settings and cross-setting rules before a client starts. */
rudder_err_t conf_validate_for_client(const rudder_conf_t *c, char *errstr, size_t errstr_size);

/* Sets the binding's library name suffix (e.g. "ruddercore-python"); internal to bindings. */
void conf_set_library_suffix(rudder_conf_t *c, const char *suffix);
/* The property table row of a setting named in camelCase or snake_case (what the bindings
 * look up to learn a setting's type), or NULL. */
const rudder_property_t *conf_property(const char *name);

#endif
