"""`mapservice serve`: the app under gunicorn (threads per worker; workers share nothing but the database)."""
from gunicorn.app.base import BaseApplication


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


def serve(app_factory, host, port, workers, threads):
    """Run until interrupted; each worker builds its own app (and its own data snapshot)."""
    Server(app_factory, {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                         "worker_class": "gthread", "accesslog": "-", "timeout": 120}).run()
