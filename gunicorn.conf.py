"""gunicorn's settings, read from the working directory: `make run`, `make serve` and the production command of the
README start gunicorn in the repository's root. Options stay on the command line; this file holds hooks and the
access log's format only."""
import gc
import os
import signal
from pathlib import Path

# The access log names the path without its query string (%(U)s, not %(r)s): an inbox search carries a pupil's name
# in the query, and logs must hold no pupil's personal data (issue 16 §6).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def worker_exit(server, worker):
    """A worker on its way out ignores further stop signals. Stopping the app signals a worker twice: its process
    group from the supervisor (honcho, or a terminal's Ctrl-C), then the arbiter. The second signal can arrive while
    Python finalises, when its handlers are back to the default: the worker would die of it and the arbiter log
    «Worker (pid:…) was sent SIGTERM!» at error level for a clean stop."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_IGN)


def post_worker_init(worker):
    """The app's modules, routes, templates and mappings live as long as the worker: frozen, the garbage collector
    stops walking them (~166,000 objects) at each of its collections, which happen several times per page
    (bench/inbox.py: 10-20 % of the inbox page's CPU)."""
    gc.freeze()


def on_starting(server):
    """Metrics shared between processes (PROMETHEUS_MULTIPROC_DIR, webui/health.py): the files of processes that no
    longer run are removed when gunicorn starts, as a restart resets the counters of a single process. Those of live
    processes stay: on a systemd machine the Celery workers beside gunicorn write to the same directory (`make run`
    empties it before starting web, worker and beat together)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for path in Path(folder).glob("*.db"):
        pid = path.stem.rpartition("_")[2]  # counter_<pid>.db, histogram_<pid>.db, gauge_livesum_<pid>.db
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: running
    return True


def child_exit(server, worker):
    """A worker's live gauges leave the multiprocess files with it (prometheus_client's rule); its counters stay
    added to the totals."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
