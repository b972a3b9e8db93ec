/* client.c — ruddercore.Client: the six Segment-spec calls with rudder-sdk-python's
 * parameter names and order.  Each call writes the given arguments as one JSON object
 * ({"userId": ..., "event": ..., ...}, None arguments left out) and hands it with its
 * members to client_call_members; validation and the envelope are the core's. */
#include "rc.h"
#include "client/client_internal.h"
#include "json/member_log.h"

/* ---- the calls ------------------------------------------------------------------------- */

typedef struct call_spec {
    rudder_call_type_t type;
    rc_params_t params;
    const char *const *keys;   /* JSON member written for each parameter: "\"userId\":" */
} call_spec_t;

#define P_USER "user_id"
#define K_USER "\"userId\":"
#define TAIL_NAMES "context", "timestamp", "anonymous_id", "integrations", "message_id"
#define TAIL_KEYS "\"context\":", "\"timestamp\":", "\"anonymousId\":", "\"integrations\":", "\"messageId\":"

static const char *const TRACK_N[] = {P_USER, "event", "properties", TAIL_NAMES};
static const char *const TRACK_K[] = {K_USER, "\"event\":", "\"properties\":", TAIL_KEYS};
static const char *const IDENTIFY_N[] = {P_USER, "traits", TAIL_NAMES};
static const char *const IDENTIFY_K[] = {K_USER, "\"traits\":", TAIL_KEYS};
static const char *const GROUP_N[] = {P_USER, "group_id", "traits", TAIL_NAMES};
static const char *const GROUP_K[] = {K_USER, "\"groupId\":", "\"traits\":", TAIL_KEYS};
static const char *const PAGE_N[] = {P_USER, "category", "name", "properties", TAIL_NAMES};
static const char *const PAGE_K[] = {K_USER, "\"category\":", "\"name\":", "\"properties\":", TAIL_KEYS};
static const char *const ALIAS_N[] = {"previous_id", P_USER, "context", "timestamp", "integrations", "message_id"};
static const char *const ALIAS_K[] = {"\"previousId\":", K_USER, "\"context\":", "\"timestamp\":", "\"integrations\":", "\"messageId\":"};

#define N(a) ((int)(sizeof a / sizeof a[0]))
static call_spec_t SPECS[] = {
    {RUDDER_TRACK, {"track", N(TRACK_N), TRACK_N, NULL}, TRACK_K},
    {RUDDER_IDENTIFY, {"identify", N(IDENTIFY_N), IDENTIFY_N, NULL}, IDENTIFY_K},
    {RUDDER_GROUP, {"group", N(GROUP_N), GROUP_N, NULL}, GROUP_K},
    {RUDDER_PAGE, {"page", N(PAGE_N), PAGE_N, NULL}, PAGE_K},
    {RUDDER_SCREEN, {"screen", N(PAGE_N), PAGE_N, NULL}, PAGE_K},
    {RUDDER_ALIAS, {"alias", N(ALIAS_N), ALIAS_N, NULL}, ALIAS_K},
};
#define MAX_PARAMS 9

static PyObject *do_call(rc_host_t *h, call_spec_t *cs, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames) {
    PyObject *vals[MAX_PARAMS];
    if (rc_parse(&cs->params, args, nargs, kwnames, vals) < 0) return NULL;
    if (rc_host_check_open(h) < 0) return NULL;
    rbuf_t b = RBUF_INIT;
    rbuf_reserve(&b, 256);
    rbuf_putc(&b, '{');
    rj_member_log_t log; /* the members as written: the core needn't scan the text again */
    log.n = log.unusable = 0;
    int first = 1;
    for (int i = 0; i < cs->params.n; i++) {
        if (!vals[i] || vals[i] == Py_None) continue;
        if (!first) rbuf_putc(&b, ',');
        first = 0;
        size_t key_at = b.len + 1; /* keys[i] is "\"name\":" */
        rbuf_puts(&b, cs->keys[i]);
        size_t val_at = b.len;
        if (rc_encode_member(vals[i], &b, cs->params.names[i]) < 0) {
            rbuf_free(&b);
            return NULL;
        }
        rjm_add(&log, &b, key_at, val_at - key_at - 2, val_at);
    }
    rbuf_putc(&b, '}');
    if (b.oom) {
        rbuf_free(&b);
        return PyErr_NoMemory();
    }
    char errstr[RC_ERRSTR];
    char mid[40];
    mid[0] = '\0';
    rj_member_t members[MAX_PARAMS];
    int n = rjm_members(&log, b.data, members);
    rudder_err_t err = client_call_members(h->client, cs->type, members, n, errstr, sizeof errstr, mid, sizeof mid);
    rbuf_free(&b);
    if (err != RUDDER_OK) return rc_raise(err, errstr);
    return PyUnicode_FromString(mid);
}

#define CALL_FN(fname, idx)                                                                        \
    static PyObject *client_##fname(PyObject *self, PyObject *const *args, Py_ssize_t nargs,      \
                                    PyObject *kwnames) {                                          \
        return do_call((rc_host_t *)self, &SPECS[idx], args, nargs, kwnames);                     \
    }
CALL_FN(track, 0)
CALL_FN(identify, 1)
CALL_FN(group, 2)
CALL_FN(page, 3)
CALL_FN(screen, 4)
CALL_FN(alias, 5)

int rc_client_specs_init(void) {
    for (int i = 0; i < N(SPECS); i++)
        if (rc_params_init(&SPECS[i].params) < 0) return -1;
    return 0;
}

/* ---- construction ------------------------------------------------------------------------ */

static const char *const CALLBACK_NAMES[] = {"on_error", "on_delivery", NULL};

static int client_init(PyObject *self, PyObject *args, PyObject *kwargs) {
    rc_host_t *h = (rc_host_t *)self;
    if (h->client) {
        PyErr_SetString(PyExc_RuntimeError, "Client.__init__ called twice");
        return -1;
    }
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError, "Client() takes at most 2 positional arguments (%zd given)", nargs);
        return -1;
    }
    PyObject *kw = kwargs ? PyDict_Copy(kwargs) : PyDict_New();
    if (!kw) return -1;
    const char *pos_names[] = {"write_key", "data_plane_url"};
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (PyDict_GetItemString(kw, pos_names[i])) {
            PyErr_Format(PyExc_TypeError, "Client() got multiple values for argument '%s'", pos_names[i]);
            Py_DECREF(kw);
            return -1;
        }
        if (PyDict_SetItemString(kw, pos_names[i], PyTuple_GET_ITEM(args, i)) < 0) {
            Py_DECREF(kw);
            return -1;
        }
    }
    PyObject *wk = PyDict_GetItemString(kw, "write_key");
    if (!wk || !PyUnicode_Check(wk)) {
        PyErr_SetString(PyExc_TypeError, "Client() needs write_key as a str");
        Py_DECREF(kw);
        return -1;
    }
    rudder_conf_t *conf = rudder_conf_new();
    if (!conf) {
        Py_DECREF(kw);
        PyErr_NoMemory();
        return -1;
    }
    int rc = -1;
    if (rc_host_take_callbacks(h, kw) < 0) goto out;
    if (rc_conf_set_kwargs(conf, kw, CALLBACK_NAMES) < 0) goto out;
    conf_set_library_suffix(conf, "ruddercore-python");
    rudder_conf_set_report_cb(conf, rc_host_report_cb, h);
    char errstr[RC_ERRSTR];
    errstr[0] = '\0';
    rudder_client_t *c = rudder_client_new(conf, errstr, sizeof errstr);
    if (!c) {
        rc_raise(RUDDER_ERR_CONFIG, errstr);
        goto out;
    }
    h->client = c;
    h->close_timeout_ms = client_close_timeout_ms(c);
    rc_host_link(h);
    rc = 0;
out:
    rudder_conf_destroy(conf);
    Py_DECREF(kw);
    return rc;
}

static int client_traverse(PyObject *self, visitproc visit, void *arg) {
    return rc_host_traverse((rc_host_t *)self, visit, arg);
}

static int client_clear(PyObject *self) {
    rc_host_clear((rc_host_t *)self);
    return 0;
}

static void client_dealloc(PyObject *self) {
    rc_host_t *h = (rc_host_t *)self;
    PyObject_GC_UnTrack(self);
    if (h->weakreflist) PyObject_ClearWeakRefs(self);
    rc_host_unlink(h);
    h->quiet = 1;   /* no Python callbacks from a dying object */
    if (h->client) {
        rudder_client_t *c = h->client;
        h->client = NULL;
        Py_BEGIN_ALLOW_THREADS
        rudder_client_destroy(c);   /* closes with closeTimeout if still open */
        Py_END_ALLOW_THREADS
    }
    rc_host_clear(h);
    Py_TYPE(self)->tp_free(self);
}

/* ---- the rest of the API ------------------------------------------------------------------ */

static PyObject *client_flush(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"timeout", NULL};
    PyObject *timeout = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:flush", kwlist, &timeout)) return NULL;
    return rc_host_flush((rc_host_t *)self, timeout);
}

static PyObject *client_poll(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"timeout", NULL};
    PyObject *timeout = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:poll", kwlist, &timeout)) return NULL;
    return rc_host_poll((rc_host_t *)self, timeout);
}

static PyObject *client_close(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"timeout", NULL};
    PyObject *timeout = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:close", kwlist, &timeout)) return NULL;
    return rc_host_close((rc_host_t *)self, timeout);
}

static PyObject *client_stats(PyObject *self, PyObject *unused) {
    rc_host_t *h = (rc_host_t *)self;
    if (rc_host_check_open(h) < 0) return NULL;
    return rc_host_len_stats(h, rudder_stats(h->client));
}

static PyObject *client_enter(PyObject *self, PyObject *unused) {
    Py_INCREF(self);
    return self;
}

static PyObject *client_exit(PyObject *self, PyObject *args) {
    PyObject *r = rc_host_close((rc_host_t *)self, NULL);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_FALSE;
}

static Py_ssize_t client_len(PyObject *self) {
    rc_host_t *h = (rc_host_t *)self;
    return h->client ? (Py_ssize_t)rudder_queue_length(h->client) : 0;
}

static PyObject *client_get_closed(PyObject *self, void *unused) {
    return PyBool_FromLong(((rc_host_t *)self)->closed);
}

PyObject *rc_client_create_persistence_queue(PyObject *self, PyObject *args, PyObject *kw); /* persistence.c */

#define ID_DOC "Returns the event's messageId. Raises InvalidMessageError, QueueFullError, ClosedError."
#define TAIL_SIG "context=None, timestamp=None, anonymous_id=None, integrations=None, message_id=None"
static PyMethodDef client_methods[] = {
    {"track", (PyCFunction)(void (*)(void))client_track, METH_FASTCALL | METH_KEYWORDS,
     "track($self, /, user_id=None, event=None, properties=None, " TAIL_SIG ")\n--\n\n"
     "Queues a track call. " ID_DOC},
    {"identify", (PyCFunction)(void (*)(void))client_identify, METH_FASTCALL | METH_KEYWORDS,
     "identify($self, /, user_id=None, traits=None, " TAIL_SIG ")\n--\n\n"
     "Queues an identify call. " ID_DOC},
    {"group", (PyCFunction)(void (*)(void))client_group, METH_FASTCALL | METH_KEYWORDS,
     "group($self, /, user_id=None, group_id=None, traits=None, " TAIL_SIG ")\n--\n\n"
     "Queues a group call. " ID_DOC},
    {"page", (PyCFunction)(void (*)(void))client_page, METH_FASTCALL | METH_KEYWORDS,
     "page($self, /, user_id=None, category=None, name=None, properties=None, " TAIL_SIG ")\n--\n\n"
     "Queues a page call. " ID_DOC},
    {"screen", (PyCFunction)(void (*)(void))client_screen, METH_FASTCALL | METH_KEYWORDS,
     "screen($self, /, user_id=None, category=None, name=None, properties=None, " TAIL_SIG ")\n--\n\n"
     "Queues a screen call. " ID_DOC},
    {"alias", (PyCFunction)(void (*)(void))client_alias, METH_FASTCALL | METH_KEYWORDS,
     "alias($self, /, previous_id=None, user_id=None, context=None, timestamp=None, "
     "integrations=None, message_id=None)\n--\n\nQueues an alias call. " ID_DOC},
    {"flush", (PyCFunction)(void (*)(void))client_flush, METH_VARARGS | METH_KEYWORDS,
     "flush($self, /, timeout=None)\n--\n\n"
     "Sends everything accepted so far and waits (seconds; None: no limit) until each event is "
     "delivered, failed or dropped, running callbacks.  Returns how many are still pending."},
    {"poll", (PyCFunction)(void (*)(void))client_poll, METH_VARARGS | METH_KEYWORDS,
     "poll($self, /, timeout=0)\n--\n\n"
     "Runs on_delivery/on_error/log callbacks for pending reports, waiting up to timeout "
     "seconds (None: until one comes) for the first.  Returns how many reports were served."},
    {"close", (PyCFunction)(void (*)(void))client_close, METH_VARARGS | METH_KEYWORDS,
     "close($self, /, timeout=None)\n--\n\n"
     "Flushes for up to timeout seconds (None: the close_timeout setting), stops the sender "
     "and returns how many events were dropped.  Idempotent."},
    {"stats", client_stats, METH_NOARGS, "stats($self, /)\n--\n\nThe client's counters as a dict."},
    {"create_persistence_queue", (PyCFunction)(void (*)(void))rc_client_create_persistence_queue,
     METH_VARARGS | METH_KEYWORDS,
     "create_persistence_queue($self, /, queue_opts)\n--\n\n"
     "The Node SDK's createPersistenceQueue: keeps the queue in Redis (docs/REDIS.md).  queue_opts "
     "is a dict (queueName, prefix, isMultiProcessor, redisOpts {host, port, db, password}, jobOpts "
     "{maxAttempts}, or flat host/port/...; snake_case works too) or a redis:// URL.  Call it before "
     "the first call.  Raises ConfigError (e.g. Redis unreachable); retry with backoff."},
    {"__enter__", client_enter, METH_NOARGS, NULL},
    {"__exit__", client_exit, METH_VARARGS, NULL},
    {NULL},
};

static PyGetSetDef client_getset[] = {
    {"closed", client_get_closed, NULL, "True once close() was called.", NULL},
    {NULL},
};

static PySequenceMethods client_as_seq = {.sq_length = client_len};

/* len() is the queue depth, but an open client with an empty queue is still truthy */
int rc_always_true(PyObject *self) { return 1; }
static PyNumberMethods client_as_number = {.nb_bool = rc_always_true};

PyTypeObject RcClientType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ruddercore._core.Client",
    .tp_basicsize = sizeof(rc_host_t),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Client(write_key, data_plane_url, **settings)\n--\n\n"
              "A RudderStack client.  settings are the core's settings in snake_case "
              "(flush_at, flush_interval, max_internal_queue_size, retry_count, gzip, ...), "
              "plus on_error(error, events) and on_delivery(message_ids) callbacks, which run "
              "inside poll/flush/close on the calling thread.",
    .tp_new = PyType_GenericNew,
    .tp_init = client_init,
    .tp_dealloc = client_dealloc,
    .tp_traverse = client_traverse,
    .tp_clear = client_clear,
    .tp_methods = client_methods,
    .tp_getset = client_getset,
    .tp_as_sequence = &client_as_seq,
    .tp_as_number = &client_as_number,
    .tp_weaklistoffset = offsetof(rc_host_t, weakreflist),
};

int rc_client_init_type(void) {
    if (rc_client_specs_init() < 0) return -1;
    return PyType_Ready(&RcClientType);
}
