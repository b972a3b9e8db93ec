/* module.c — ruddercore._core: module init and the small module-level functions. */
#include "rc.h"

static PyObject *logger;   /* logging.getLogger("ruddercore"), for the core's log lines */

void rc_log_to_python(int level, const char *message) {
    if (!logger) return;
    /* the core's levels are Python's (10 debug, 20 info, 30 warning, 40 error) */
    PyObject *r = PyObject_CallMethod(logger, "log", "iss", level, "%s", message ? message : "");
    if (!r) PyErr_Clear();
    Py_XDECREF(r);
}

static PyObject *mod_version(PyObject *mod, PyObject *unused) {
    return PyUnicode_FromString(rudder_version());
}

static PyObject *mod_properties(PyObject *mod, PyObject *unused) {
    static const char *const TYPES[] = {"string", "int", "bool", "enum", "json"};
    size_t n = 0;
    const rudder_property_t *t = rudder_properties(&n);
    PyObject *list = PyList_New(0);
    if (!list) return NULL;
    for (size_t i = 0; i < n; i++) {
        const rudder_property_t *p = &t[i];
        PyObject *row = Py_BuildValue(
            "{s:s,s:s,s:s,s:L,s:L,s:z,s:z,s:s,s:s}", "name", p->name, "snake_name",
            p->snake_name ? p->snake_name : p->name, "type",
            (unsigned)p->type < 5 ? TYPES[p->type] : "?", "min", (long long)p->min, "max",
            (long long)p->max, "default", p->def, "choices", p->choices, "scope",
            p->scope ? p->scope : "", "doc", p->doc ? p->doc : "");
        if (!row || PyList_Append(list, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(row);
    }
    return list;
}

static PyObject *mod_to_json(PyObject *mod, PyObject *obj) {
    rbuf_t b = RBUF_INIT;
    if (rc_encode(obj, &b, "value") < 0) {
        rbuf_free(&b);
        return NULL;
    }
    PyObject *r = PyUnicode_DecodeUTF8(b.data ? b.data : "", (Py_ssize_t)b.len, "strict");
    rbuf_free(&b);
    return r;
}

static PyObject *mod_from_json(PyObject *mod, PyObject *text) {
    Py_ssize_t n;
    const char *s;
    if (PyBytes_Check(text)) {
        s = PyBytes_AS_STRING(text);
        n = PyBytes_GET_SIZE(text);
    } else {
        s = PyUnicode_AsUTF8AndSize(text, &n);
        if (!s) return NULL;
    }
    return rc_decode_text(s, (size_t)n);
}

static PyMethodDef mod_methods[] = {
    {"version", mod_version, METH_NOARGS, "version()\n--\n\nThe core library's version."},
    {"properties", mod_properties, METH_NOARGS,
     "properties()\n--\n\nThe core's property table: one dict per setting."},
    {"to_json", mod_to_json, METH_O,
     "to_json(value, /)\n--\n\nThe JSON text the binding sends for a Python value."},
    {"from_json", mod_from_json, METH_O,
     "from_json(text, /)\n--\n\nParses JSON text with the core's parser (big ints stay exact)."},
    {"_close_all", rc_close_all, METH_NOARGS,
     "_close_all()\n--\n\nCloses every open client with its close_timeout (registered with atexit)."},
    {NULL},
};

static struct PyModuleDef moddef = {
    PyModuleDef_HEAD_INIT, "ruddercore._core",
    "The C core of ruddercore: Client, Destination and the error classes.", -1, mod_methods,
};

PyMODINIT_FUNC PyInit__core(void) {
    PyObject *m = PyModule_Create(&moddef);
    if (!m) return NULL;
    if (rc_errors_init(m) < 0 || rc_encode_init() < 0 || rc_client_init_type() < 0 ||
        rc_dest_init_type() < 0)
        goto fail;
    Py_INCREF(&RcClientType);
    if (PyModule_AddObject(m, "Client", (PyObject *)&RcClientType) < 0) goto fail;
    Py_INCREF(&RcDestinationType);
    if (PyModule_AddObject(m, "Destination", (PyObject *)&RcDestinationType) < 0) goto fail;
    if (PyModule_AddStringConstant(m, "__version__", RUDDER_VERSION) < 0) goto fail;
    PyObject *logging = PyImport_ImportModule("logging");
    if (!logging) goto fail;
    logger = PyObject_CallMethod(logging, "getLogger", "s", "ruddercore");
    Py_DECREF(logging);
    if (!logger) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
