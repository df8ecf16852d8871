"""gunicorn's settings, read from the working directory: `make run`, `make serve` and the production command of the
README start gunicorn in the repository's root. Options stay on the command line; this file holds hooks only."""
import gc
import signal


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
