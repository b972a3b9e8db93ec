"""Closing open clients when a process ends without running Python's atexit.

Pool processes of a few hosts end with os._exit():
* Celery's prefork pool (billiard) when a child is replaced (max_tasks_per_child) or at a
  warm shutdown: only the ``worker_process_shutdown`` signal runs first;
* multiprocessing's Process / Pool children (fork start method): only the finalizers of
  ``multiprocessing.util`` run first.
Events the child queued would be lost there, so each child closes its clients (bounded by
close_timeout) from the hook its host does run.  Nothing here imports Celery.

uWSGI workers run atexit, unless uWSGI was started with --skip-atexit: that is warned about
(the setting is named) when ruddercore is imported under uWSGI."""
import os
import sys
import warnings

from . import _core


def _close_all(*_args, **_kwargs):
    _core._close_all()


def _connect_celery():
    signals = sys.modules.get("celery.signals")
    if signals is not None:
        signals.worker_process_shutdown.connect(_close_all, weak=False, dispatch_uid="ruddercore-close-all")


def _after_fork_in_child():
    _connect_celery()


class _AfterForkToken:
    """multiprocessing keeps after-fork callbacks in a weak registry: this object keeps ours."""


_token = _AfterForkToken()


def _in_multiprocessing_child(_token):
    # registered after multiprocessing cleared the parent's finalizers in the new child
    import multiprocessing.util as mp_util
    mp_util.Finalize(None, _core._close_all, exitpriority=1)


def _warn_uwsgi_skip_atexit():
    uwsgi = sys.modules.get("uwsgi")   # uWSGI's embedded module: present only under uWSGI
    opt = getattr(uwsgi, "opt", None)
    if isinstance(opt, dict) and opt.get("skip-atexit"):
        warnings.warn("ruddercore: uWSGI runs with --skip-atexit, so a worker that exits does not close "
                      "its clients and the events it still holds are lost; remove skip-atexit "
                      "(or call client.flush() before a worker exits)", RuntimeWarning, stacklevel=3)


def install():
    _warn_uwsgi_skip_atexit()
    _connect_celery()
    os.register_at_fork(after_in_child=_after_fork_in_child)
    import multiprocessing.util as mp_util
    mp_util.register_after_fork(_token, _in_multiprocessing_child)
