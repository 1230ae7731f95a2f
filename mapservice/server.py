"""`mapservice serve`: the app under gunicorn (threads per worker; workers share nothing but the database)."""
from gunicorn.app.base import BaseApplication

# Connections one worker accepts at a time. Without the front a slow client holds one of them; behind it (nginx
# buffers whole requests and responses) each is a request being answered, and more wait in the listen backlog
# instead of an unbounded queue in the worker.
CONNECTIONS_PER_THREAD = 4


class Server(BaseApplication):
    """Gunicorn running ``create_app()`` with options given in code rather than a config file."""

    def __init__(self, app_factory, options):
        self.app_factory, self.options = app_factory, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.app_factory()


def retry_database(worker):
    """After the fork: a worker whose app started without its database keeps trying (threads do not survive a fork)."""
    worker.wsgi.extensions["database_state"].retry_schema()


def serve(app_factory, bind, workers, threads):
    """Run until interrupted; each worker builds its own app (and its own data snapshot). ``bind`` is
    ``HOST:PORT`` or ``unix:PATH`` (behind the nginx front; the socket is 0666 so that nginx's workers,
    another user, can connect: keep it in a directory only they reach)."""
    Server(app_factory, {"bind": bind, "workers": workers, "threads": threads, "worker_class": "gthread",
                         "worker_connections": threads * CONNECTIONS_PER_THREAD, "umask": 0o111,
                         "accesslog": "-", "timeout": 120, "graceful_timeout": 10,
                         "post_worker_init": retry_database}).run()
