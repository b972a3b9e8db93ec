/* decode.c — JSON back to Python objects: the core's parser (rj_parse) builds a cJSON
 * tree whose numbers keep their literal text, so an integer beyond 2**53 comes back as
 * the exact Python int it went in as. */
#include "rc.h"
#include "json/json.h"
#include <math.h>

static PyObject *number(const cJSON *v) {
    const char *lit = v->valuestring;
    if (lit && *lit) {
        if (rj_literal_is_integer(lit)) return PyLong_FromString(lit, NULL, 10);
        double d = PyOS_string_to_double(lit, NULL, NULL);
        if (d == -1.0 && PyErr_Occurred()) return NULL;
        return PyFloat_FromDouble(d);
    }
    double d = v->valuedouble;
    if (isfinite(d) && d == floor(d) && fabs(d) < 9007199254740992.0) return PyLong_FromLongLong((long long)d);
    return PyFloat_FromDouble(d);
}

PyObject *rc_decode_tree(const cJSON *v) {
    if (!v || cJSON_IsNull(v)) Py_RETURN_NONE;
    if (cJSON_IsTrue(v)) Py_RETURN_TRUE;
    if (cJSON_IsFalse(v)) Py_RETURN_FALSE;
    if (cJSON_IsNumber(v)) return number(v);
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring ? v->valuestring : "";
        return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
    }
    if (cJSON_IsArray(v)) {
        PyObject *list = PyList_New(0);
        if (!list) return NULL;
        for (const cJSON *c = v->child; c; c = c->next) {
            PyObject *item = rc_decode_tree(c);
            if (!item || PyList_Append(list, item) < 0) {
                Py_XDECREF(item);
                Py_DECREF(list);
                return NULL;
            }
            Py_DECREF(item);
        }
        return list;
    }
    if (cJSON_IsObject(v)) {
        PyObject *dict = PyDict_New();
        if (!dict) return NULL;
        for (const cJSON *c = v->child; c; c = c->next) {
            const char *k = c->string ? c->string : "";
            PyObject *key = PyUnicode_DecodeUTF8(k, (Py_ssize_t)strlen(k), "replace");
            PyObject *item = key ? rc_decode_tree(c) : NULL;
            if (!item || PyDict_SetItem(dict, key, item) < 0) {
                Py_XDECREF(key);
                Py_XDECREF(item);
                Py_DECREF(dict);
                return NULL;
            }
            Py_DECREF(key);
            Py_DECREF(item);
        }
        return dict;
    }
    PyErr_SetString(PyExc_ValueError, "unexpected JSON node from the core");
    return NULL;
}

PyObject *rc_decode_text(const char *text, size_t len) {
    if (!text) Py_RETURN_NONE;
    rudder_err_t err = RUDDER_OK;
    char errstr[RC_ERRSTR];
    cJSON *tree = rj_parse(text, len, 4 * RC_MAX_DEPTH, &err, errstr, sizeof errstr);
    if (!tree) {
        if (err == RUDDER_ERR_NO_MEMORY) return PyErr_NoMemory();
        return PyErr_Format(PyExc_ValueError, "the core returned invalid JSON: %s", errstr);
    }
    PyObject *r = rc_decode_tree(tree);
    rj_delete(tree);
    return r;
}
