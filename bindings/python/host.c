/* host.c — what Client and Destination share: reports to Python callbacks, and the
 * poll / flush / close loops.
 *
 * GIL rules (as confluent-kafka-python): the GIL is released only around the core's
 * pure-C waits (rudder_wait_reports, rudder_flush_wait, rudder_close), in chunks of
 * RC_WAIT_CHUNK_MS so Ctrl-C is noticed; reports are served by rudder_poll(client, 0)
 * with the GIL held.  The report callback takes the GIL itself (PyGILState_Ensure), so
 * it is also safe when the core serves the last reports from inside rudder_close.
 * An exception raised by a user callback is kept and re-raised by the poll/flush/close
 * that ran it; later reports in the same dispatch are still served. */
#include "rc.h"
#include <time.h>

static rc_host_t *live_head;
_Thread_local int rc_in_callback;

int rc_check_not_in_callback(const char *what) {
    if (!rc_in_callback) return 0;
    char msg[128];
    snprintf(msg, sizeof msg, "%s() cannot be called from inside a ruddercore callback", what);
    rc_raise(RUDDER_ERR_IN_CALLBACK, msg);
    return -1;
}   /* every open Client/Destination, for the atexit close */

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- reports -> Python ----------------------------------------------------------------- */

static void keep_exception(rc_host_t *h) {
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (!t) return;
    if (h->pending_exc) {   /* the first one wins; later ones are reported as unraisable */
        PyErr_Restore(t, v, tb);
        PyErr_WriteUnraisable(h->on_error ? h->on_error : Py_None);
        return;
    }
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb && v) PyException_SetTraceback(v, tb);
    h->pending_exc = v;
    Py_XDECREF(t);
    Py_XDECREF(tb);
}

static PyObject *error_for_report(const rudder_report_t *r) {
    PyObject *e = rc_error_new(r->err, r->message);
    if (!e) return NULL;
    PyObject *status = PyLong_FromLong(r->http_status);
    PyObject *count = PyLong_FromSize_t(r->count);
    PyObject *ids = rc_decode_text(r->message_ids, r->message_ids ? strlen(r->message_ids) : 0);
    int bad = !status || !count || !ids || PyObject_SetAttrString(e, "http_status", status) < 0 ||
              PyObject_SetAttrString(e, "count", count) < 0 ||
              PyObject_SetAttrString(e, "message_ids", ids) < 0;
    Py_XDECREF(status);
    Py_XDECREF(count);
    Py_XDECREF(ids);
    if (bad) {
        Py_DECREF(e);
        return NULL;
    }
    return e;
}

void rc_host_report_cb(const rudder_report_t *r, void *opaque) {
    rc_host_t *h = opaque;
    if (h->quiet) return;
    PyGILState_STATE g = PyGILState_Ensure();
    /* a KeyboardInterrupt waiting to be raised must not meet Python code here */
    PyObject *st, *sv, *stb;
    PyErr_Fetch(&st, &sv, &stb);
    PyObject *res = NULL;
    rc_in_callback++;
    switch (r->kind) {
    case RUDDER_REPORT_LOG:
        rc_log_to_python((int)r->level, r->message);
        break;
    case RUDDER_REPORT_DELIVERED:
        if (h->on_delivery) {
            PyObject *ids = rc_decode_text(r->message_ids, r->message_ids ? strlen(r->message_ids) : 0);
            if (ids) res = PyObject_CallOneArg(h->on_delivery, ids);
            Py_XDECREF(ids);
            if (!res) keep_exception(h);
        }
        break;
    case RUDDER_REPORT_FAILED:
    case RUDDER_REPORT_DROPPED:
        if (h->on_error) {
            PyObject *e = error_for_report(r);
            PyObject *events = NULL;
            if (e) {
                events = r->events ? rc_decode_text(r->events, strlen(r->events)) : PyList_New(0);
                if (events) res = PyObject_CallFunctionObjArgs(h->on_error, e, events, NULL);
            }
            Py_XDECREF(e);
            Py_XDECREF(events);
            if (!res) keep_exception(h);
        }
        break;
    }
    rc_in_callback--;
    Py_XDECREF(res);
    if (PyErr_Occurred()) keep_exception(h);
    PyErr_Restore(st, sv, stb);
    PyGILState_Release(g);
}

int rc_host_raise_pending(rc_host_t *h) {
    if (!h->pending_exc) return 0;
    PyObject *v = h->pending_exc;
    h->pending_exc = NULL;
    PyObject *tb = PyException_GetTraceback(v);
    PyObject *t = (PyObject *)Py_TYPE(v);
    Py_INCREF(t);
    PyErr_Restore(t, v, tb);   /* steals t, v and tb */
    return -1;
}

int rc_host_take_callbacks(rc_host_t *h, PyObject *kwargs) {
    const char *names[] = {"on_error", "on_delivery"};
    PyObject **slots[] = {&h->on_error, &h->on_delivery};
    for (int i = 0; i < 2; i++) {
        PyObject *cb = kwargs ? PyDict_GetItemString(kwargs, names[i]) : NULL;
        if (!cb || cb == Py_None) continue;
        if (!PyCallable_Check(cb)) {
            PyErr_Format(PyExc_TypeError, "%s must be callable", names[i]);
            return -1;
        }
        Py_INCREF(cb);
        Py_XSETREF(*slots[i], cb);
    }
    return 0;
}

/* ---- live list (atexit) ------------------------------------------------------------------ */

void rc_host_link(rc_host_t *h) {
    if (h->live) return;
    h->live = 1;
    h->live_prev = NULL;
    h->live_next = live_head;
    if (live_head) live_head->live_prev = h;
    live_head = h;
}

void rc_host_unlink(rc_host_t *h) {
    if (!h->live) return;
    h->live = 0;
    if (h->live_prev) h->live_prev->live_next = h->live_next;
    else live_head = h->live_next;
    if (h->live_next) h->live_next->live_prev = h->live_prev;
    h->live_prev = h->live_next = NULL;
}

PyObject *rc_close_all(PyObject *mod, PyObject *unused) {
    PyObject *all = PyList_New(0);
    if (!all) return NULL;
    for (rc_host_t *h = live_head; h; h = h->live_next)
        if (!h->closed && PyList_Append(all, (PyObject *)h) < 0) {
            Py_DECREF(all);
            return NULL;
        }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(all); i++) {
        rc_host_t *h = (rc_host_t *)PyList_GET_ITEM(all, i);
        PyObject *r = rc_host_close(h, NULL);
        if (!r) PyErr_WriteUnraisable((PyObject *)h);
        Py_XDECREF(r);
    }
    Py_DECREF(all);
    Py_RETURN_NONE;
}

/* ---- poll / flush / close -------------------------------------------------------------- */

int rc_host_check_open(rc_host_t *h) {
    if (!h->client) {
        PyErr_SetString(PyExc_RuntimeError, "the object was not initialised");
        return -1;
    }
    return 0;
}

PyObject *rc_host_poll(rc_host_t *h, PyObject *timeout) {
    if (rc_host_check_open(h) < 0 || rc_check_not_in_callback("poll") < 0) return NULL;
    long long ms = timeout ? rc_timeout_ms(timeout, -1) : 0;   /* None: wait for a report */
    if (ms == -2) return NULL;
    long long deadline = ms < 0 ? 0 : now_ms() + ms;
    int served = rudder_poll(h->client, 0);
    while (served == 0 && ms != 0) {
        long long rem = ms < 0 ? RC_WAIT_CHUNK_MS : deadline - now_ms();
        if (rem <= 0) break;
        int chunk = rem < RC_WAIT_CHUNK_MS ? (int)rem : RC_WAIT_CHUNK_MS;
        int ready;
        Py_BEGIN_ALLOW_THREADS
        ready = rudder_wait_reports(h->client, chunk);
        Py_END_ALLOW_THREADS
        if (ready) served = rudder_poll(h->client, 0);
        if (served == 0 && PyErr_CheckSignals() < 0) {
            if (rc_host_raise_pending(h) < 0) PyErr_WriteUnraisable((PyObject *)h);
            return NULL;
        }
    }
    if (rc_host_raise_pending(h) < 0) return NULL;
    return PyLong_FromLong(served);
}

/* Flushes for up to ms (-1: no limit).  *left receives the events still pending.
 * Returns -1 when a signal handler raised (the exception is set). */
static int flush_loop(rc_host_t *h, long long ms, size_t *left) {
    uint64_t mark = rudder_flush_begin(h->client);
    long long deadline = ms < 0 ? 0 : now_ms() + ms;
    size_t pending;
    for (;;) {
        long long rem = ms < 0 ? RC_WAIT_CHUNK_MS : deadline - now_ms();
        if (rem < 0) rem = 0;
        int chunk = rem < RC_WAIT_CHUNK_MS ? (int)rem : RC_WAIT_CHUNK_MS;
        Py_BEGIN_ALLOW_THREADS
        pending = rudder_flush_wait(h->client, mark, chunk);
        Py_END_ALLOW_THREADS
        rudder_poll(h->client, 0);
        if (pending == 0 || (ms >= 0 && now_ms() >= deadline)) break;
        if (PyErr_CheckSignals() < 0) {
            *left = pending;
            return -1;
        }
    }
    *left = pending;
    return 0;
}

PyObject *rc_host_flush(rc_host_t *h, PyObject *timeout) {
    if (rc_host_check_open(h) < 0 || rc_check_not_in_callback("flush") < 0) return NULL;
    if (h->closed) return rc_raise(RUDDER_ERR_CLOSED, "flush() after close()");
    long long ms = rc_timeout_ms(timeout, -1);
    if (ms == -2) return NULL;
    size_t left = 0;
    if (flush_loop(h, ms, &left) < 0) {
        if (rc_host_raise_pending(h) < 0) PyErr_WriteUnraisable((PyObject *)h);
        return NULL;
    }
    if (rc_host_raise_pending(h) < 0) return NULL;
    return PyLong_FromSize_t(left);
}

PyObject *rc_host_close(rc_host_t *h, PyObject *timeout) {
    if (rc_host_check_open(h) < 0 || rc_check_not_in_callback("close") < 0) return NULL;
    long long ms = rc_timeout_ms(timeout, h->close_timeout_ms);
    if (ms == -2) return NULL;
    if (h->closed) return PyLong_FromLong(0);
    h->closed = 1;
    rc_host_unlink(h);
    long long start = now_ms();
    size_t left = 0, lost = 0;
    int interrupted = flush_loop(h, ms, &left) < 0;
    /* Ctrl-C during the flush still closes, with no more waiting, then raises */
    PyObject *st, *sv, *stb;
    PyErr_Fetch(&st, &sv, &stb);
    /* what is left of the deadline goes to the core's close (it waits for in-flight sends) */
    long long rem;
    if (interrupted || left == 0) rem = 0;
    else if (ms < 0) rem = -1;
    else {
        rem = ms - (now_ms() - start);
        if (rem < 0) rem = 0;
    }
    Py_BEGIN_ALLOW_THREADS
    rudder_close(h->client, (int)(rem > 2147483647LL ? 2147483647LL : rem), &lost);
    Py_END_ALLOW_THREADS
    PyErr_Restore(st, sv, stb);
    if (interrupted) {
        if (rc_host_raise_pending(h) < 0) PyErr_WriteUnraisable((PyObject *)h);
        return NULL;
    }
    if (rc_host_raise_pending(h) < 0) return NULL;
    return PyLong_FromSize_t(lost);
}

PyObject *rc_host_len_stats(rc_host_t *h, char *stats_json) {
    if (!stats_json) return PyErr_NoMemory();
    PyObject *d = rc_decode_text(stats_json, strlen(stats_json));
    rudder_free(stats_json);
    return d;
}

int rc_host_traverse(rc_host_t *h, visitproc visit, void *arg) {
    Py_VISIT(h->on_error);
    Py_VISIT(h->on_delivery);
    Py_VISIT(h->pending_exc);
    return 0;
}

void rc_host_clear(rc_host_t *h) {
    Py_CLEAR(h->on_error);
    Py_CLEAR(h->on_delivery);
    Py_CLEAR(h->pending_exc);
}
