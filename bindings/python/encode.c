/* encode.c — Python values to JSON text, in C (no json.dumps), or straight to the core's
 * JSON tree (json_build.h) for what the core would only parse back (Destination.push).
 *
 * Accepted: dict (str or int keys), list, tuple, str, int (any size, kept exact), float
 * (finite only), bool, None, datetime / date (ISO 8601), Decimal (finite, as a number
 * literal so the core keeps it exact), UUID (as its string form).  Anything else is a
 * TypeError naming the key path ("properties.items[2].price"); cycles and nesting beyond
 * RC_MAX_DEPTH are ValueErrors.  The caller's objects are only read.
 *
 * Order of checks follows ujson: exact str first (most values), bool before int. */
#include "rc.h"
#include <datetime.h>
#include <math.h>

static PyObject *DecimalType, *UUIDType;

int rc_encode_init(void) {
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) return -1;
    PyObject *m = PyImport_ImportModule("decimal");
    if (!m) return -1;
    DecimalType = PyObject_GetAttrString(m, "Decimal");
    Py_DECREF(m);
    if (!DecimalType) return -1;
    m = PyImport_ImportModule("uuid");
    if (!m) return -1;
    UUIDType = PyObject_GetAttrString(m, "UUID");
    Py_DECREF(m);
    return UUIDType ? 0 : -1;
}

/* One level of the path being encoded: a dict key or a list index. */
typedef struct frame {
    PyObject *container;
    PyObject *key;       /* borrowed; NULL for sequences */
    Py_ssize_t index;
} frame_t;

typedef struct enc {
    rbuf_t *out;          /* JSON text, or */
    rj_builder_t *tree;   /* the core's tree */
    const char *root;
    int depth;
    int max_depth;        /* RC_MAX_DEPTH, one less for a member of a message */
    frame_t path[RC_MAX_DEPTH + 1];
} enc_t;


/* ---- errors naming the path -------------------------------------------------------- */

static void path_text(const enc_t *e, rbuf_t *p) {
    rbuf_puts(p, e->root && *e->root ? e->root : "value");
    for (int i = 0; i < e->depth; i++) {
        const frame_t *f = &e->path[i];
        if (f->key) {
            PyObject *s = PyObject_Str(f->key);
            const char *k = s ? PyUnicode_AsUTF8(s) : NULL;
            if (k) {
                rbuf_putc(p, '.');
                rbuf_puts(p, k);
            } else {
                PyErr_Clear();
                rbuf_puts(p, ".?");
            }
            Py_XDECREF(s);
        } else {
            rbuf_printf(p, "[%zd]", f->index);
        }
    }
}

static int fail(enc_t *e, PyObject *exc_type, const char *what, PyObject *obj) {
    rbuf_t p = RBUF_INIT;
    path_text(e, &p);
    if (obj)
        PyErr_Format(exc_type, "%s %.200s at %s", what, Py_TYPE(obj)->tp_name, rbuf_cstr(&p));
    else
        PyErr_Format(exc_type, "%s at %s", what, rbuf_cstr(&p));
    rbuf_free(&p);
    return -1;
}

/* The builder refused a value (too deep, too large, a NUL in a string): the core's error
 * for it, naming the path. */
static int tree_fail(enc_t *e) {
    if (e->tree->err == RUDDER_ERR_NO_MEMORY) {
        PyErr_NoMemory();
        return -1;
    }
    rbuf_t p = RBUF_INIT, m = RBUF_INIT;
    path_text(e, &p);
    rbuf_printf(&m, "%s at %s", e->tree->why, rbuf_cstr(&p));
    rc_raise(e->tree->err, rbuf_cstr(&m));
    rbuf_free(&p);
    rbuf_free(&m);
    return -1;
}

#define TREE(call) ((call) == 0 ? 0 : tree_fail(e))

/* A number from its JSON literal text. */
static int put_number_text(enc_t *e, const char *t, size_t n) {
    if (e->tree) return TREE(rjb_number(e->tree, t, n));
    rbuf_append(e->out, t, n);
    return 0;
}

/* str as UTF-8: a compact ASCII string (most keys and values) is read in place. */
static inline const char *str_utf8(PyObject *s, Py_ssize_t *n) {
    if (PyUnicode_IS_COMPACT_ASCII(s)) {
        *n = PyUnicode_GET_LENGTH(s);
        return (const char *)PyUnicode_DATA(s);
    }
    return PyUnicode_AsUTF8AndSize(s, n);
}

/* ---- scalars ---------------------------------------------------------------------------- */

static int put_str(enc_t *e, PyObject *s) {
    Py_ssize_t n;
    const char *u = str_utf8(s, &n);
    if (!u) {
        PyErr_Clear();
        return fail(e, PyExc_ValueError, "string is not valid Unicode (lone surrogate)", NULL);
    }
    if (e->tree) return TREE(rjb_string(e->tree, u, (size_t)n));
    rbuf_json_string(e->out, u, (size_t)n);
    return 0;
}

/* A dict key (str), as the next member's name. */
static int put_key(enc_t *e, PyObject *s) {
    if (!e->tree) return put_str(e, s);
    Py_ssize_t n;
    const char *u = str_utf8(s, &n);
    if (!u) {
        PyErr_Clear();
        return fail(e, PyExc_ValueError, "string is not valid Unicode (lone surrogate)", NULL);
    }
    return TREE(rjb_key(e->tree, u, (size_t)n));
}

static int put_int(enc_t *e, PyObject *o) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (!overflow) {
        if (e->tree) return TREE(rjb_integer(e->tree, v));
        char tmp[RJ_INT_MAX];
        return put_number_text(e, tmp, rj_format_integer(v, tmp));
    }
    /* beyond 64 bits: the exact decimal text (int.__repr__, not a subclass's __str__) */
    PyObject *s = PyLong_Type.tp_repr(o);
    if (!s) return -1;
    Py_ssize_t n;
    const char *t = PyUnicode_AsUTF8AndSize(s, &n);
    int rc = t ? put_number_text(e, t, (size_t)n) : -1;
    Py_DECREF(s);
    return rc;
}

static int put_float(enc_t *e, PyObject *o) {
    double d = PyFloat_AS_DOUBLE(o);
    if (!isfinite(d)) return fail(e, PyExc_ValueError, isnan(d) ? "NaN is not valid JSON" : "Infinity is not valid JSON", NULL);
    /* repr: the shortest text that round-trips ("0.1", "1e+16", "3.0"); the common floats
     * without Python's dtoa (the same text: repr uses no exponent from 1e-4 up to 1e16) */
    if (d != 0 ? fabs(d) >= 1e-4 : !signbit(d)) {
        char fixed[RJ_FIXED6_MAX];
        size_t n = rj_format_fixed6(d, fixed);
        if (n) return put_number_text(e, fixed, n);
    }
    char *s = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (!s) return -1;
    int rc = put_number_text(e, s, strlen(s));
    PyMem_Free(s);
    return rc;
}

static int put_datetime(enc_t *e, PyObject *o) {
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "\"%04d-%02d-%02dT%02d:%02d:%02d", PyDateTime_GET_YEAR(o),
                     PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o), PyDateTime_DATE_GET_HOUR(o),
                     PyDateTime_DATE_GET_MINUTE(o), PyDateTime_DATE_GET_SECOND(o));
    int us = PyDateTime_DATE_GET_MICROSECOND(o);
    if (us) n += snprintf(tmp + n, sizeof tmp - (size_t)n, ".%06d", us);
    PyObject *off = PyObject_CallMethod(o, "utcoffset", NULL);
    if (!off) return -1;
    if (off != Py_None) {
        if (!PyDelta_Check(off)) {
            Py_DECREF(off);
            return fail(e, PyExc_TypeError, "utcoffset() did not return a timedelta", NULL);
        }
        long secs = (long)PyDateTime_DELTA_GET_DAYS(off) * 86400 + PyDateTime_DELTA_GET_SECONDS(off);
        char sign = '+';
        if (secs < 0) {
            sign = '-';
            secs = -secs;
        }
        n += snprintf(tmp + n, sizeof tmp - (size_t)n, "%c%02ld:%02ld", sign, secs / 3600, (secs / 60) % 60);
        if (secs % 60) n += snprintf(tmp + n, sizeof tmp - (size_t)n, ":%02ld", secs % 60);
    }
    Py_DECREF(off);
    if (e->tree) return TREE(rjb_string(e->tree, tmp + 1, (size_t)n - 1));
    tmp[n++] = '"';
    rbuf_append(e->out, tmp, (size_t)n);
    return 0;
}

static int put_date(enc_t *e, PyObject *o) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "\"%04d-%02d-%02d\"", PyDateTime_GET_YEAR(o),
                     PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o));
    if (e->tree) return TREE(rjb_string(e->tree, tmp + 1, (size_t)n - 2));
    rbuf_append(e->out, tmp, (size_t)n);
    return 0;
}

static int put_decimal(enc_t *e, PyObject *o) {
    PyObject *fin = PyObject_CallMethod(o, "is_finite", NULL);
    if (!fin) return -1;
    int ok = PyObject_IsTrue(fin);
    Py_DECREF(fin);
    if (ok < 0) return -1;
    if (!ok) return fail(e, PyExc_ValueError, "a NaN or infinite Decimal is not valid JSON", NULL);
    PyObject *s = PyObject_Str(o);   /* "1.10", "1E+2", "-0": all valid JSON numbers */
    if (!s) return -1;
    Py_ssize_t n;
    const char *t = PyUnicode_AsUTF8AndSize(s, &n);
    int rc = t ? put_number_text(e, t, (size_t)n) : -1;
    Py_DECREF(s);
    return rc;
}

static int put_uuid(enc_t *e, PyObject *o) {
    PyObject *s = PyObject_Str(o);
    if (!s) return -1;
    int r = put_str(e, s);
    Py_DECREF(s);
    return r;
}

/* ---- containers --------------------------------------------------------------------------- */

static int put_value(enc_t *e, PyObject *o);

static int enter(enc_t *e, PyObject *container) {
    for (int i = 0; i < e->depth; i++)
        if (e->path[i].container == container) return fail(e, PyExc_ValueError, "circular reference", NULL);
    if (e->depth >= e->max_depth) return fail(e, PyExc_ValueError, "nesting deeper than 64 levels", NULL);
    frame_t *f = &e->path[e->depth++];
    f->container = container;
    f->key = NULL;
    f->index = 0;
    return 0;
}

static int put_dict(enc_t *e, PyObject *d) {
    if (enter(e, d) < 0) return -1;
    frame_t *f = &e->path[e->depth - 1];
    if (e->tree ? rjb_begin(e->tree, 1) != 0 : (rbuf_putc(e->out, '{'), 0)) {
        e->depth--; /* the error names where the container is */
        return tree_fail(e);
    }
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    int first = 1, rc = 0;
    while (PyDict_Next(d, &pos, &k, &v)) {
        if (!first && !e->tree) rbuf_putc(e->out, ',');
        first = 0;
        Py_INCREF(k);
        Py_INCREF(v);   /* a value's utcoffset()/__str__ could mutate the dict */
        f->key = k;
        PyObject *int_key = NULL; /* an int key's text: the builder reads it until the value is added */
        if (PyUnicode_Check(k)) {
            rc = put_key(e, k);
        } else if (PyLong_Check(k) && !PyBool_Check(k)) {
            int_key = PyLong_Type.tp_repr(k);
            rc = int_key ? put_key(e, int_key) : -1;
        } else {
            f->key = NULL;
            e->depth--;
            rc = fail(e, PyExc_TypeError, "dict keys must be str or int, got key of type", k);
            e->depth++;
        }
        if (rc == 0) {
            if (!e->tree) rbuf_putc(e->out, ':');
            rc = put_value(e, v);
        }
        f->key = NULL;
        Py_XDECREF(int_key);
        Py_DECREF(k);
        Py_DECREF(v);
        if (rc < 0) break;
    }
    if (e->tree) {
        if (rc == 0) rc = TREE(rjb_end(e->tree));
    } else {
        rbuf_putc(e->out, '}');
    }
    e->depth--;
    return rc;
}

static int put_seq(enc_t *e, PyObject *s) {
    if (enter(e, s) < 0) return -1;
    frame_t *f = &e->path[e->depth - 1];
    if (e->tree ? rjb_begin(e->tree, 0) != 0 : (rbuf_putc(e->out, '['), 0)) {
        e->depth--; /* the error names where the container is */
        return tree_fail(e);
    }
    int rc = 0;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(s); i++) {
        if (i && !e->tree) rbuf_putc(e->out, ',');
        f->index = i;
        PyObject *v = PySequence_Fast_GET_ITEM(s, i);
        Py_INCREF(v);
        rc = put_value(e, v);
        Py_DECREF(v);
        if (rc < 0) break;
    }
    if (e->tree) {
        if (rc == 0) rc = TREE(rjb_end(e->tree));
    } else {
        rbuf_putc(e->out, ']');
    }
    e->depth--;
    return rc;
}

static int put_value(enc_t *e, PyObject *o) {
    if (PyUnicode_CheckExact(o)) return put_str(e, o);
    if (o == Py_None) {
        if (e->tree) return TREE(rjb_null(e->tree));
        rbuf_append(e->out, "null", 4);
        return 0;
    }
    if (o == Py_True || o == Py_False) {
        if (e->tree) return TREE(rjb_bool(e->tree, o == Py_True));
        if (o == Py_True) rbuf_append(e->out, "true", 4); else rbuf_append(e->out, "false", 5);
        return 0;
    }
    if (PyLong_Check(o)) return put_int(e, o);
    if (PyFloat_Check(o)) return put_float(e, o);
    if (PyDict_Check(o)) return put_dict(e, o);
    if (PyList_Check(o) || PyTuple_Check(o)) return put_seq(e, o);
    if (PyUnicode_Check(o)) return put_str(e, o);
    if (PyDateTime_Check(o)) return put_datetime(e, o);
    if (PyDate_Check(o)) return put_date(e, o);
    int r = PyObject_IsInstance(o, DecimalType);
    if (r < 0) return -1;
    if (r) return put_decimal(e, o);
    r = PyObject_IsInstance(o, UUIDType);
    if (r < 0) return -1;
    if (r) return put_uuid(e, o);
    return fail(e, PyExc_TypeError, "cannot convert to JSON a value of type", o);
}

/* obj into text (out) or a tree: one walk for both. */
static int encode_into(PyObject *obj, rbuf_t *out, rj_builder_t *tree, const char *root, int max_depth) {
    enc_t e;
    e.out = out;
    e.tree = tree;
    e.root = root;
    e.depth = 0;
    e.max_depth = max_depth;
    if (Py_EnterRecursiveCall(" while converting to JSON")) return -1;
    int rc = put_value(&e, obj);
    Py_LeaveRecursiveCall();
    return rc;
}

static int encode_text(PyObject *obj, rbuf_t *out, const char *root, int max_depth) {
    int rc = encode_into(obj, out, NULL, root, max_depth);
    if (rc == 0 && out->oom) {
        PyErr_NoMemory();
        return -1;
    }
    return rc;
}

int rc_encode(PyObject *obj, rbuf_t *out, const char *root) { return encode_text(obj, out, root, RC_MAX_DEPTH); }

int rc_encode_member(PyObject *obj, rbuf_t *out, const char *root) {
    return encode_text(obj, out, root, RC_MAX_DEPTH - 1);
}

int rc_encode_tree(PyObject *obj, rj_builder_t *tree, const char *root) {
    return encode_into(obj, NULL, tree, root, RC_MAX_DEPTH);
}
