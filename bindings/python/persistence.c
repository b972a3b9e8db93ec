/* persistence.c — Client.create_persistence_queue(queue_opts): the Node SDK's
 * createPersistenceQueue for users porting code.  It swaps the (unused) core client for one
 * with the `persistence` setting; an unreachable Redis raises ConfigError, which the caller
 * may retry with backoff as the Node SDK documents for its callback. */
#include "rc.h"
#include "client/client_internal.h"

PyObject *rc_client_create_persistence_queue(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"queue_opts", NULL};
    PyObject *opts = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:create_persistence_queue", kwlist, &opts)) return NULL;
    rc_host_t *h = (rc_host_t *)self;
    if (rc_host_check_open(h) < 0) return NULL;
    rbuf_t b = RBUF_INIT;
    if (PyUnicode_Check(opts)) { /* a redis:// URL */
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(opts, &n);
        if (!s) return NULL;
        rbuf_append(&b, s, (size_t)n);
    } else if (PyDict_Check(opts)) {
        PyObject *d = PyDict_Copy(opts);
        if (!d) return NULL;
        int rc = 0;
        if (!PyDict_GetItemString(d, "type")) {
            PyObject *redis = PyUnicode_FromString("redis");
            rc = redis ? PyDict_SetItemString(d, "type", redis) : -1;
            Py_XDECREF(redis);
        }
        if (rc == 0) rc = rc_encode(d, &b, "queue_opts");
        Py_DECREF(d);
        if (rc < 0) {
            rbuf_free(&b);
            return NULL;
        }
    } else {
        return PyErr_Format(PyExc_TypeError, "create_persistence_queue: queue_opts must be a dict or a redis:// URL, not %s",
                            Py_TYPE(opts)->tp_name);
    }
    char errstr[RC_ERRSTR] = "";
    const char *text = rbuf_cstr(&b);
    rudder_client_t *old = h->client, *fresh;
    Py_BEGIN_ALLOW_THREADS
    fresh = client_with_persistence(old, text, errstr, sizeof errstr);
    Py_END_ALLOW_THREADS
    rbuf_free(&b);
    if (!fresh) return rc_raise(RUDDER_ERR_CONFIG, errstr);
    h->client = fresh;
    Py_BEGIN_ALLOW_THREADS
    rudder_client_destroy(old); /* accepted nothing: nothing to send or report */
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}
