/* settings.c — Python keyword settings to the core's property table.
 *
 * No list of settings here: each keyword is looked up in the core's property table
 * (conf_property, by its snake_case or camelCase name) only to learn its type, and the core validates the
 * value and names the setting when it is wrong. */
#include "rc.h"

int rc_conf_set_py(rudder_conf_t *conf, const char *name, PyObject *value) {
    const rudder_property_t *prop = conf_property(name);
    rbuf_t text = RBUF_INIT;
    int rc = 0;
    if (prop && prop->type == RUDDER_PROP_JSON) {
        rc = rc_encode(value, &text, name);
    } else if (value == Py_True || value == Py_False) {
        rbuf_puts(&text, value == Py_True ? "true" : "false");
    } else if (PyLong_Check(value)) {
        rc = rc_encode(value, &text, name);
    } else if (PyUnicode_Check(value)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(value, &n);
        if (!s) rc = -1;
        else if ((size_t)n != strlen(s)) {
            rc_raise(RUDDER_ERR_CONFIG, "a setting's text contains a NUL character");
            rc = -1;
        } else rbuf_append(&text, s, (size_t)n);
    } else if (PyFloat_Check(value) && prop && prop->type == RUDDER_PROP_INT &&
               PyFloat_AS_DOUBLE(value) == (double)(long long)PyFloat_AS_DOUBLE(value)) {
        rbuf_printf(&text, "%lld", (long long)PyFloat_AS_DOUBLE(value));
    } else {
        char msg[RC_ERRSTR];
        snprintf(msg, sizeof msg, "setting %s: expected str, int or bool, got %.100s", name,
                 Py_TYPE(value)->tp_name);
        rc_raise(RUDDER_ERR_CONFIG, msg);
        rc = -1;
    }
    if (rc == 0 && text.oom) {
        PyErr_NoMemory();
        rc = -1;
    }
    if (rc == 0) {
        char errstr[RC_ERRSTR];
        rudder_err_t err = rudder_conf_set(conf, name, rbuf_cstr(&text), errstr, sizeof errstr);
        if (err != RUDDER_OK) {
            rc_raise(err, errstr);
            rc = -1;
        }
    }
    rbuf_free(&text);
    return rc;
}

int rc_conf_set_kwargs(rudder_conf_t *conf, PyObject *kwargs, const char *const *skip) {
    if (!kwargs) return 0;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(kwargs, &pos, &k, &v)) {
        const char *name = PyUnicode_AsUTF8(k);
        if (!name) return -1;
        int skipped = 0;
        for (const char *const *s = skip; s && *s; s++)
            if (strcmp(*s, name) == 0) skipped = 1;
        if (skipped || v == Py_None) continue;   /* None: keep the default */
        if (rc_conf_set_py(conf, name, v) < 0) return -1;
    }
    return 0;
}

long long rc_timeout_ms(PyObject *timeout, long long dflt) {
    if (!timeout || timeout == Py_None) return dflt;
    double s = PyFloat_AsDouble(timeout);
    if (s == -1.0 && PyErr_Occurred()) return -2;
    if (!(s >= 0)) {   /* also NaN */
        PyErr_SetString(PyExc_ValueError, "timeout must be >= 0 seconds or None");
        return -2;
    }
    if (s > 86400.0 * 365) return -1;  /* practically forever */
    return (long long)(s * 1000.0 + 0.5);
}
