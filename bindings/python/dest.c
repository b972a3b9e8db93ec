/* dest.c — ruddercore.Destination: the walkerOS RudderStack destination of the core.
 *
 * The config (dict or JSON text) goes to rudder_dest_new as JSON; keyword settings go
 * into the base conf as defaults (config.settings wins); Python callables passed as
 * fns={"name": callable} are registered with rudder_conf_set_fn and referenced from the
 * mapping as "$fn:name" for fn, condition and validate. */
#include "rc.h"
#include "client/client_internal.h"
#include "base/base.h"
#include "destination/destination.h"

typedef struct {
    rc_host_t host;       /* must be first: flush/poll/close/stats work on host.client */
    rudder_dest_t *dest;
    PyObject *fns;        /* dict name -> callable; keeps the callables alive for the core */
} DestObject;

/* ---- mapping callbacks ------------------------------------------------------------------- */

static void log_callback_error(PyObject *fn) {
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb && v) PyException_SetTraceback(v, tb);
    /* logging.getLogger("ruddercore").warning("...", fn, exc_info=v) */
    PyObject *logging = PyImport_ImportModule("logging");
    PyObject *logger = logging ? PyObject_CallMethod(logging, "getLogger", "s", "ruddercore") : NULL;
    PyObject *meth = logger ? PyObject_GetAttrString(logger, "warning") : NULL;
    PyObject *args = meth ? Py_BuildValue("(sO)", "mapping callback %r raised", fn) : NULL;
    PyObject *kw = args ? Py_BuildValue("{s:O}", "exc_info", v ? v : Py_None) : NULL;
    PyObject *r = kw ? PyObject_Call(meth, args, kw) : NULL;
    if (!r) PyErr_Clear();
    Py_XDECREF(r);
    Py_XDECREF(kw);
    Py_XDECREF(args);
    Py_XDECREF(meth);
    Py_XDECREF(logger);
    Py_XDECREF(logging);
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
}

static char *fn_trampoline(const char *value_json, const char *context_json, void *opaque, int *failed) {
    PyObject *fn = opaque;
    char *out = NULL;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *st, *sv, *stb;
    PyErr_Fetch(&st, &sv, &stb);
    PyObject *value = value_json ? rc_decode_text(value_json, strlen(value_json)) : (Py_INCREF(Py_None), Py_None);
    PyObject *ctx = value && context_json ? rc_decode_text(context_json, strlen(context_json))
                                          : (value ? (Py_INCREF(Py_None), Py_None) : NULL);
    rc_in_callback++;
    PyObject *res = value && ctx ? PyObject_CallFunctionObjArgs(fn, value, ctx, NULL) : NULL;
    rc_in_callback--;
    if (!res) {
        log_callback_error(fn);
        *failed = 1;
    } else if (res != Py_None) {
        rbuf_t b = RBUF_INIT;
        if (rc_encode(res, &b, "result") < 0 || b.oom) {
            log_callback_error(fn);
            *failed = 1;
            rbuf_free(&b);
        } else {
            out = rbuf_detach(&b);
        }
    }
    Py_XDECREF(res);
    Py_XDECREF(value);
    Py_XDECREF(ctx);
    PyErr_Restore(st, sv, stb);
    PyGILState_Release(g);
    return out;
}

/* ---- helpers ----------------------------------------------------------------------------------- */

/* JSON text of a Python value, or the text itself when given str/bytes. */
static int json_arg(PyObject *v, rbuf_t *b, const char *root) {
    if (PyUnicode_Check(v)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(v, &n);
        if (!s) return -1;
        rbuf_append(b, s, (size_t)n);
    } else if (PyBytes_Check(v)) {
        rbuf_append(b, PyBytes_AS_STRING(v), (size_t)PyBytes_GET_SIZE(v));
    } else if (rc_encode(v, b, root) < 0) {
        return -1;
    }
    if (b->oom) {
        PyErr_NoMemory();
        return -1;
    }
    if (b->len == 0) rbuf_reserve(b, 1);   /* rudder_* want non-NULL text */
    return 0;
}

/* A Python event (not text) as the core's tree, built straight from the Python values in
 * the caller's arena scope: no JSON text in between.  NULL with an exception set; an event
 * the core's limits refuse counts as invalid, as bad JSON text does. */
static cJSON *event_tree(DestObject *d, PyObject *event) {
    rj_builder_t tree;
    dest_event_builder(&tree, 0); /* Python strings are valid UTF-8 already */
    return dest_event_take(d->dest, &tree, rc_encode_tree(event, &tree, "event") == 0);
}

static int check_dest(DestObject *d, const char *what) {
    if (rc_check_not_in_callback(what) < 0) return -1;
    if (!d->dest) {
        PyErr_SetString(PyExc_RuntimeError, "the Destination was not initialised");
        return -1;
    }
    return 0;
}

/* ---- construction -------------------------------------------------------------------------- */

static const char *const SKIP[] = {"on_error", "on_delivery", "fns", NULL};

static int dest_init(PyObject *self, PyObject *args, PyObject *kwargs) {
    DestObject *d = (DestObject *)self;
    rc_host_t *h = &d->host;
    if (d->dest) {
        PyErr_SetString(PyExc_RuntimeError, "Destination.__init__ called twice");
        return -1;
    }
    PyObject *config = NULL;
    if (!PyArg_ParseTuple(args, "O:Destination", &config)) return -1;
    rudder_conf_t *base = rudder_conf_new();
    if (!base) {
        PyErr_NoMemory();
        return -1;
    }
    rbuf_t text = RBUF_INIT;
    int rc = -1;
    if (rc_host_take_callbacks(h, kwargs) < 0) goto out;
    PyObject *fns = kwargs ? PyDict_GetItemString(kwargs, "fns") : NULL;
    if (fns && fns != Py_None) {
        if (!PyDict_Check(fns)) {
            PyErr_SetString(PyExc_TypeError, "fns must be a dict of name -> callable");
            goto out;
        }
        Py_XSETREF(d->fns, PyDict_Copy(fns));
        if (!d->fns) goto out;
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(d->fns, &pos, &k, &v)) {
            const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
            if (!name) {
                PyErr_SetString(PyExc_TypeError, "fns keys must be str");
                goto out;
            }
            if (!PyCallable_Check(v)) {
                PyErr_Format(PyExc_TypeError, "fns[%R] is not callable", k);
                goto out;
            }
            rudder_err_t err = rudder_conf_set_fn(base, name, fn_trampoline, v);
            if (err != RUDDER_OK) {
                char msg[RC_ERRSTR];
                snprintf(msg, sizeof msg, "cannot register mapping callback '%s'", name);
                rc_raise(err, msg);
                goto out;
            }
        }
    }
    if (rc_conf_set_kwargs(base, kwargs, SKIP) < 0) goto out;
    conf_set_library_suffix(base, "ruddercore-python");
    rudder_conf_set_report_cb(base, rc_host_report_cb, h);
    if (json_arg(config, &text, "config") < 0) goto out;
    char errstr[RC_ERRSTR];
    errstr[0] = '\0';
    rudder_dest_t *dest = rudder_dest_new(text.data, text.len, base, errstr, sizeof errstr);
    if (!dest) {
        rc_raise(RUDDER_ERR_CONFIG, errstr);
        goto out;
    }
    d->dest = dest;
    h->client = rudder_dest_client(dest);
    h->close_timeout_ms = client_close_timeout_ms(h->client);
    rc_host_link(h);
    rc = 0;
out:
    rbuf_free(&text);
    rudder_conf_destroy(base);
    return rc;
}

static int dest_traverse(PyObject *self, visitproc visit, void *arg) {
    DestObject *d = (DestObject *)self;
    Py_VISIT(d->fns);
    return rc_host_traverse(&d->host, visit, arg);
}

/* Stops and frees the core destination (closing its client with closeTimeout) without
 * calling back into Python; the mapping callables may be released only after this. */
static void dest_release(DestObject *d) {
    rc_host_unlink(&d->host);
    d->host.quiet = 1;
    if (d->dest) {
        rudder_dest_t *dest = d->dest;
        d->dest = NULL;
        d->host.client = NULL;
        Py_BEGIN_ALLOW_THREADS
        rudder_dest_destroy(dest);
        Py_END_ALLOW_THREADS
    }
}

static int dest_clear(PyObject *self) {
    DestObject *d = (DestObject *)self;
    /* a cycle through fns (a callable that refers to its Destination) is broken here */
    dest_release(d);
    Py_CLEAR(d->fns);
    rc_host_clear(&d->host);
    return 0;
}

static void dest_dealloc(PyObject *self) {
    DestObject *d = (DestObject *)self;
    PyObject_GC_UnTrack(self);
    if (d->host.weakreflist) PyObject_ClearWeakRefs(self);
    dest_release(d);
    Py_CLEAR(d->fns);
    rc_host_clear(&d->host);
    Py_TYPE(self)->tp_free(self);
}

/* ---- methods ------------------------------------------------------------------------------- */

static PyObject *dest_push(PyObject *self, PyObject *event) {
    DestObject *d = (DestObject *)self;
    if (check_dest(d, "push") < 0) return NULL;
    char errstr[RC_ERRSTR];
    errstr[0] = '\0';
    if (!PyUnicode_Check(event) && !PyBytes_Check(event)) {
        rj_scope_t scope = rj_scope_open();
        cJSON *tree = event_tree(d, event);
        rudder_err_t err = tree ? dest_push_tree(d->dest, tree, errstr, sizeof errstr) : RUDDER_OK;
        rj_scope_close(scope);
        if (!tree) return NULL;
        if (err != RUDDER_OK && err != RUDDER_ERR_IGNORED) return rc_raise(err, errstr);
        Py_RETURN_NONE;
    }
    rbuf_t b = RBUF_INIT;
    if (json_arg(event, &b, "event") < 0) {
        rbuf_free(&b);
        return NULL;
    }
    rudder_err_t err = rudder_dest_push(d->dest, b.data, b.len, errstr, sizeof errstr);
    rbuf_free(&b);
    if (err != RUDDER_OK && err != RUDDER_ERR_IGNORED) return rc_raise(err, errstr);
    Py_RETURN_NONE;
}

static PyObject *dest_push_many(PyObject *self, PyObject *events) {
    DestObject *d = (DestObject *)self;
    if (check_dest(d, "push_many") < 0) return NULL;
    rbuf_t b = RBUF_INIT;
    if (json_arg(events, &b, "events") < 0) {
        rbuf_free(&b);
        return NULL;
    }
    char *res = rudder_dest_push_many(d->dest, b.data, b.len);
    rbuf_free(&b);
    if (!res) return PyErr_NoMemory();
    PyObject *r = rc_decode_text(res, strlen(res));
    rudder_free(res);
    return r;
}

static PyObject *dest_map(PyObject *self, PyObject *event) {
    DestObject *d = (DestObject *)self;
    if (check_dest(d, "map") < 0) return NULL;
    char errstr[RC_ERRSTR];
    errstr[0] = '\0';
    rudder_err_t err = RUDDER_OK;
    char *res;
    if (!PyUnicode_Check(event) && !PyBytes_Check(event)) {
        rj_scope_t scope = rj_scope_open();
        cJSON *tree = event_tree(d, event);
        res = tree ? dest_map_tree(d->dest, tree, &err, errstr, sizeof errstr) : NULL;
        rj_scope_close(scope);
        if (!tree) return NULL;
    } else {
        rbuf_t b = RBUF_INIT;
        if (json_arg(event, &b, "event") < 0) {
            rbuf_free(&b);
            return NULL;
        }
        res = rudder_dest_map(d->dest, b.data, b.len, &err, errstr, sizeof errstr);
        rbuf_free(&b);
    }
    if (!res) return rc_raise(err != RUDDER_OK ? err : RUDDER_ERR_NO_MEMORY, errstr);
    PyObject *r = rc_decode_text(res, strlen(res));
    rudder_free(res);
    return r;
}

static PyObject *dest_command(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"command", "data", NULL};
    DestObject *d = (DestObject *)self;
    const char *command;
    PyObject *data = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|O:command", kwlist, &command, &data)) return NULL;
    if (check_dest(d, "command") < 0) return NULL;
    rbuf_t b = RBUF_INIT;
    if (json_arg(data, &b, "data") < 0) {
        rbuf_free(&b);
        return NULL;
    }
    char errstr[RC_ERRSTR];
    errstr[0] = '\0';
    rudder_err_t err = rudder_dest_command(d->dest, command, b.data, b.len, errstr, sizeof errstr);
    rbuf_free(&b);
    if (err != RUDDER_OK && err != RUDDER_ERR_IGNORED) return rc_raise(err, errstr);
    Py_RETURN_NONE;
}

static PyObject *dest_flush(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"timeout", NULL};
    PyObject *timeout = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:flush", kwlist, &timeout)) return NULL;
    return rc_host_flush((rc_host_t *)self, timeout);
}

static PyObject *dest_poll(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"timeout", NULL};
    PyObject *timeout = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:poll", kwlist, &timeout)) return NULL;
    return rc_host_poll((rc_host_t *)self, timeout);
}

static PyObject *dest_close(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"timeout", NULL};
    PyObject *timeout = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:close", kwlist, &timeout)) return NULL;
    return rc_host_close((rc_host_t *)self, timeout);
}

static PyObject *dest_stats(PyObject *self, PyObject *unused) {
    DestObject *d = (DestObject *)self;
    if (check_dest(d, "stats") < 0) return NULL;
    return rc_host_len_stats(&d->host, rudder_dest_stats(d->dest));
}

static PyObject *dest_enter(PyObject *self, PyObject *unused) {
    Py_INCREF(self);
    return self;
}

static PyObject *dest_exit(PyObject *self, PyObject *args) {
    PyObject *r = rc_host_close((rc_host_t *)self, NULL);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_FALSE;
}

static Py_ssize_t dest_len(PyObject *self) {
    rc_host_t *h = (rc_host_t *)self;
    return h->client ? (Py_ssize_t)rudder_queue_length(h->client) : 0;
}

static PyObject *dest_get_closed(PyObject *self, void *unused) {
    return PyBool_FromLong(((rc_host_t *)self)->closed);
}

static PyMethodDef dest_methods[] = {
    {"push", dest_push, METH_O,
     "push($self, event, /)\n--\n\n"
     "Maps one walkerOS event (dict or JSON text) and queues the resulting calls."},
    {"push_many", dest_push_many, METH_O,
     "push_many($self, events, /)\n--\n\n"
     "Pushes a list of events (or JSON array / NDJSON text); one result dict per event."},
    {"map", dest_map, METH_O,
     "map($self, event, /)\n--\n\n"
     "The calls the destination would make for an event, as [method, params] lists; sends nothing."},
    {"command", (PyCFunction)(void (*)(void))dest_command, METH_VARARGS | METH_KEYWORDS,
     "command($self, /, command, data=None)\n--\n\n"
     "A walkerOS collector command, e.g. command('consent', {'marketing': True})."},
    {"flush", (PyCFunction)(void (*)(void))dest_flush, METH_VARARGS | METH_KEYWORDS,
     "flush($self, /, timeout=None)\n--\n\nAs Client.flush."},
    {"poll", (PyCFunction)(void (*)(void))dest_poll, METH_VARARGS | METH_KEYWORDS,
     "poll($self, /, timeout=0)\n--\n\nAs Client.poll."},
    {"close", (PyCFunction)(void (*)(void))dest_close, METH_VARARGS | METH_KEYWORDS,
     "close($self, /, timeout=None)\n--\n\nAs Client.close."},
    {"stats", dest_stats, METH_NOARGS,
     "stats($self, /)\n--\n\nDestination counters plus the client's, as a dict."},
    {"__enter__", dest_enter, METH_NOARGS, NULL},
    {"__exit__", dest_exit, METH_VARARGS, NULL},
    {NULL},
};

static PyGetSetDef dest_getset[] = {
    {"closed", dest_get_closed, NULL, "True once close() was called.", NULL},
    {NULL},
};

static PySequenceMethods dest_as_seq = {.sq_length = dest_len};
static PyNumberMethods dest_as_number = {.nb_bool = rc_always_true};

PyTypeObject RcDestinationType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ruddercore._core.Destination",
    .tp_basicsize = sizeof(DestObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Destination(config, **settings)\n--\n\n"
              "The walkerOS RudderStack destination.  config is the destination config "
              "({'settings': ..., 'mapping': ...}) as a dict or JSON text.  Keyword settings "
              "are defaults under config['settings']; fns={'name': callable} registers "
              "mapping callbacks ('$fn:name'); on_error/on_delivery as for Client.",
    .tp_new = PyType_GenericNew,
    .tp_init = dest_init,
    .tp_dealloc = dest_dealloc,
    .tp_traverse = dest_traverse,
    .tp_clear = dest_clear,
    .tp_methods = dest_methods,
    .tp_getset = dest_getset,
    .tp_as_sequence = &dest_as_seq,
    .tp_as_number = &dest_as_number,
    .tp_weaklistoffset = offsetof(DestObject, host.weakreflist),
};

int rc_dest_init_type(void) { return PyType_Ready(&RcDestinationType); }
