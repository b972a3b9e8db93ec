/* rc.h — shared declarations of the CPython extension ruddercore._core.
 *
 * The binding is thin: it turns Python values into JSON text (encode.c), JSON text
 * back into Python objects (decode.c), keyword settings into a rudder_conf_t
 * (settings.c), and runs the core's reports through Python callbacks on the thread
 * that calls poll/flush/close (host.c).  Events are validated, enveloped and mapped
 * by the core only. */
#ifndef RC_H
#define RC_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "ruddercore.h"
#include "base/base.h"
#include "json/json_build.h"
#include <cjson/cJSON.h>

#define RC_ERRSTR 512
#define RC_MAX_DEPTH 64          /* the core's default JSON nesting limit */
#define RC_WAIT_CHUNK_MS 100     /* longest GIL-free wait before checking signals */

/* ---- errors.c ---------------------------------------------------------------- */
extern PyObject *RcError, *RcInvalidMessageError, *RcQueueFullError, *RcClosedError,
    *RcTimeoutError, *RcConfigError, *RcDeliveryError;
int rc_errors_init(PyObject *module);
PyObject *rc_error_class(rudder_err_t code);
PyObject *rc_error_new(rudder_err_t code, const char *message);   /* new ref or NULL */
/* Raises the error for code with message (or the core's description when empty); returns NULL. */
PyObject *rc_raise(rudder_err_t code, const char *message);

/* ---- encode.c: Python -> JSON ------------------------------------------------- */
int rc_encode_init(void);
/* Appends obj as JSON to out.  root names the value in error messages ("properties").
 * Returns 0, or -1 with TypeError/ValueError (naming the key path) or MemoryError set. */
int rc_encode(PyObject *obj, rbuf_t *out, const char *root);
/* The same for a member's value of a message object the caller writes around it: nesting
 * counts from the message, so the core's limit holds for the whole message. */
int rc_encode_member(PyObject *obj, rbuf_t *out, const char *root);
/* The same conversion into the core's tree builder (json_build.h): no text in between.
 * The builder's limits (depth, size, NUL in strings) raise the core's error for them. */
int rc_encode_tree(PyObject *obj, rj_builder_t *tree, const char *root);
/* Appends s as a JSON string literal (s must be valid UTF-8). */

/* ---- decode.c: JSON -> Python ------------------------------------------------- */
PyObject *rc_decode_tree(const cJSON *v);                 /* new ref or NULL */
PyObject *rc_decode_text(const char *text, size_t len);   /* new ref or NULL (ValueError) */

/* ---- args.c: fast keyword parsing -------------------------------------------- */
typedef struct rc_params {
    const char *fname;        /* "track" */
    int n;
    const char *const *names; /* Python parameter names in positional order */
    PyObject **interned;      /* filled by rc_params_init */
} rc_params_t;
int rc_params_init(rc_params_t *p);
/* out[0..n) receive borrowed references (NULL when not given). 0 ok, -1 TypeError. */
int rc_parse(const rc_params_t *p, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
             PyObject **out);

/* ---- settings.c ---------------------------------------------------------------- */
/* Sets one setting from a Python value; name is snake_case or camelCase.
 * 0 ok, -1 with ConfigError/TypeError set. */
int rc_conf_set_py(rudder_conf_t *conf, const char *name, PyObject *value);
/* Sets every (key, value) of a dict of settings, skipping keys in skip (NULL-terminated). */
int rc_conf_set_kwargs(rudder_conf_t *conf, PyObject *kwargs, const char *const *skip);
/* Milliseconds from a Python timeout in seconds: None -> dflt, else >= 0. -2 on error. */
long long rc_timeout_ms(PyObject *timeout, long long dflt);

/* ---- host.c: what Client and Destination share ----------------------------------- */
typedef struct rc_host {
    PyObject_HEAD
    rudder_client_t *client;      /* owned (Client) or borrowed from dest (Destination) */
    PyObject *on_error;           /* callable or NULL */
    PyObject *on_delivery;        /* callable or NULL */
    PyObject *pending_exc;        /* first exception raised by a callback, re-raised later */
    PyObject *weakreflist;
    long long close_timeout_ms;
    int closed;
    int quiet;                    /* reports are dropped silently (during dealloc) */
    struct rc_host *live_prev, *live_next;
    int live;
} rc_host_t;

void rc_host_report_cb(const rudder_report_t *r, void *opaque);
int rc_host_take_callbacks(rc_host_t *h, PyObject *kwargs);  /* pops on_error/on_delivery */
void rc_host_link(rc_host_t *h);
void rc_host_unlink(rc_host_t *h);
int rc_host_check_open(rc_host_t *h);                          /* -1 with ClosedError */
PyObject *rc_host_poll(rc_host_t *h, PyObject *timeout);
PyObject *rc_host_flush(rc_host_t *h, PyObject *timeout);
PyObject *rc_host_close(rc_host_t *h, PyObject *timeout);
PyObject *rc_host_len_stats(rc_host_t *h, char *stats_json);   /* decodes + frees */
int rc_host_traverse(rc_host_t *h, visitproc visit, void *arg);
void rc_host_clear(rc_host_t *h);
PyObject *rc_close_all(PyObject *mod, PyObject *unused);
int rc_host_raise_pending(rc_host_t *h);                       /* -1 when it raised */
/* Nonzero while this thread runs a report or mapping callback: flush/poll/close and the
 * destination's push/map would re-enter the core from inside its own dispatch. */
extern _Thread_local int rc_in_callback;
int rc_check_not_in_callback(const char *what);                /* -1 with Error set */

/* ---- types ------------------------------------------------------------------------- */
extern PyTypeObject RcClientType;
extern PyTypeObject RcDestinationType;
int rc_client_init_type(void);
int rc_always_true(PyObject *self);
int rc_dest_init_type(void);

/* ---- module.c ------------------------------------------------------------------------ */
void rc_log_to_python(int level, const char *message);

/* The core's internal setter for the binding's library suffix, and its lookup of a
 * setting by camelCase or snake_case name (core/src/conf/conf.h). */
void conf_set_library_suffix(rudder_conf_t *c, const char *suffix);
const rudder_property_t *conf_property(const char *name);

#endif
