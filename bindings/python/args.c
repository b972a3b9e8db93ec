/* args.c — keyword parsing for METH_FASTCALL methods.  The hot calls (track, push) take
 * up to nine optional arguments; comparing interned names is much cheaper than
 * PyArg_ParseTupleAndKeywords building a dict. */
#include "rc.h"

int rc_params_init(rc_params_t *p) {
    p->interned = PyMem_Calloc((size_t)p->n, sizeof(PyObject *));
    if (!p->interned) return -1;
    for (int i = 0; i < p->n; i++) {
        p->interned[i] = PyUnicode_InternFromString(p->names[i]);
        if (!p->interned[i]) return -1;
    }
    return 0;
}

static int find(const rc_params_t *p, PyObject *name) {
    for (int i = 0; i < p->n; i++)
        if (p->interned[i] == name) return i;
    for (int i = 0; i < p->n; i++)
        if (PyUnicode_Compare(p->interned[i], name) == 0) return i;
    return -1;
}

int rc_parse(const rc_params_t *p, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
             PyObject **out) {
    for (int i = 0; i < p->n; i++) out[i] = NULL;
    if (nargs > p->n) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d positional arguments (%zd given)",
                     p->fname, p->n, nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) out[i] = args[i];
    if (!kwnames) return 0;
    Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t k = 0; k < nk; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int i = find(p, name);
        if (i < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", p->fname, name);
            return -1;
        }
        if (out[i]) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", p->fname,
                         p->names[i]);
            return -1;
        }
        out[i] = args[nargs + k];
    }
    return 0;
}
