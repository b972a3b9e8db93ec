/* errors.c — ruddercore.Error and its subclasses, one per group of core error codes.
 *
 * The classes are small Python classes (defined here from source text) so they behave
 * like any Python exception: picklable, with .code (the rudder_err_t value), .name
 * (e.g. "RUDDER_ERR_QUEUE_FULL") and .message. */
#include "rc.h"

PyObject *RcError, *RcInvalidMessageError, *RcQueueFullError, *RcClosedError, *RcTimeoutError,
    *RcConfigError, *RcDeliveryError;

static PyObject *err_name(PyObject *mod, PyObject *arg) {
    long code = PyLong_AsLong(arg);
    if (code == -1 && PyErr_Occurred()) return NULL;
    return PyUnicode_FromString(rudder_err_name((rudder_err_t)code));
}

static PyMethodDef err_name_def = {"err_name", err_name, METH_O,
                                   "err_name(code, /)\n--\n\nThe name of a core error code."};

static const char ERRORS_SRC[] =
    "import builtins\n"
    "class Error(Exception):\n"
    "    '''An error from ruddercore; .code is the core's rudder_err_t value.'''\n"
    "    def __init__(self, code, message=''):\n"
    "        super().__init__(code, message)\n"
    "        self.code = code\n"
    "        self.message = message\n"
    "        self.name = _err_name(code)\n"
    "    def __str__(self):\n"
    "        return f'{self.message} ({self.name})' if self.message else self.name\n"
    "class InvalidMessageError(Error, ValueError):\n"
    "    '''The call's input was rejected (missing id, bad field type, too large, ...).'''\n"
    "class QueueFullError(Error):\n"
    "    '''The in-memory queue is full; the event was not accepted.'''\n"
    "class ClosedError(Error):\n"
    "    '''The client was closed.'''\n"
    "class TimeoutError(Error, builtins.TimeoutError):\n"
    "    '''A deadline passed.'''\n"
    "class ConfigError(Error, ValueError):\n"
    "    '''A setting is unknown, of the wrong type or out of range.'''\n"
    "class DeliveryError(Error):\n"
    "    '''Events could not be delivered (passed to on_error).'''\n";

int rc_errors_init(PyObject *module) {
    PyObject *globals = PyDict_New();
    if (!globals) return -1;
    PyObject *fn = PyCFunction_New(&err_name_def, NULL);
    if (!fn || PyDict_SetItemString(globals, "_err_name", fn) < 0 ||
        PyDict_SetItemString(globals, "__name__", PyModule_GetNameObject(module)) < 0 ||
        PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) < 0) {
        Py_XDECREF(fn);
        Py_DECREF(globals);
        return -1;
    }
    Py_DECREF(fn);
    PyObject *r = PyRun_String(ERRORS_SRC, Py_file_input, globals, globals);
    if (!r) {
        Py_DECREF(globals);
        return -1;
    }
    Py_DECREF(r);
    struct { const char *name; PyObject **slot; } classes[] = {
        {"Error", &RcError},
        {"InvalidMessageError", &RcInvalidMessageError},
        {"QueueFullError", &RcQueueFullError},
        {"ClosedError", &RcClosedError},
        {"TimeoutError", &RcTimeoutError},
        {"ConfigError", &RcConfigError},
        {"DeliveryError", &RcDeliveryError},
    };
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        PyObject *cls = PyDict_GetItemString(globals, classes[i].name);
        if (!cls) {
            Py_DECREF(globals);
            return -1;
        }
        Py_INCREF(cls);
        *classes[i].slot = cls;
        Py_INCREF(cls);
        if (PyModule_AddObject(module, classes[i].name, cls) < 0) {
            Py_DECREF(cls);
            Py_DECREF(globals);
            return -1;
        }
    }
    Py_DECREF(globals);
    PyObject *f = PyCFunction_NewEx(&err_name_def, NULL, PyModule_GetNameObject(module));
    if (!f || PyModule_AddObject(module, "err_name", f) < 0) {
        Py_XDECREF(f);
        return -1;
    }
    return 0;
}

PyObject *rc_error_class(rudder_err_t code) {
    if (code <= RUDDER_ERR_INVALID_ARG && code >= RUDDER_ERR_TOO_DEEP) return RcInvalidMessageError;
    switch (code) {
    case RUDDER_ERR_QUEUE_FULL: return RcQueueFullError;
    case RUDDER_ERR_CLOSED: return RcClosedError;
    case RUDDER_ERR_TIMEOUT: return RcTimeoutError;
    case RUDDER_ERR_CONFIG:
    case RUDDER_ERR_UNKNOWN_FN: return RcConfigError;
    case RUDDER_ERR_HTTP:
    case RUDDER_ERR_TRANSPORT:
    case RUDDER_ERR_SHUTDOWN: return RcDeliveryError;
    case RUDDER_ERR_EVENT:
    case RUDDER_ERR_MAPPING:
    case RUDDER_ERR_NO_IDENTITY: return RcInvalidMessageError;
    default: return RcError;
    }
}

PyObject *rc_error_new(rudder_err_t code, const char *message) {
    if (!message || !*message) message = rudder_err2str(code);
    /* errstr may have been cut inside a UTF-8 sequence */
    PyObject *text = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace");
    if (!text) return NULL;
    PyObject *e = PyObject_CallFunction(rc_error_class(code), "iO", (int)code, text);
    Py_DECREF(text);
    return e;
}

PyObject *rc_raise(rudder_err_t code, const char *message) {
    if (code == RUDDER_ERR_NO_MEMORY) return PyErr_NoMemory();
    PyObject *e = rc_error_new(code, message);
    if (!e) return NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(e), e);
    Py_DECREF(e);
    return NULL;
}
