"""`mapservice serve`: the app under gunicorn (threads per worker; workers share nothing but the database), and
with ``--public`` the nginx front in front of it (deploy/nginx.conf.template)."""
import gc
import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

from gunicorn.app.base import BaseApplication

from mapservice.config import PROJECT_ROOT, load_config
from mapservice.web import auth, security

# Connections one worker accepts at a time: one per thread, each a request being answered, and no connection kept
# open between requests (gunicorn's keepalive 0). More wait in the listen backlog that every worker takes from, so
# each request goes to a worker with a free thread. With keep-alive, a client's connections stayed with the worker
# that accepted them: 8 of wrk's connections on one worker of two (half the requests/s) in one run of five, and the
# trivial request's p99 4-5x its p50 where it is 2.8x now (docs/performance.md). Behind the front nothing changes
# for the client (nginx keeps the client's connection and opens one to the app per request, as it did).
CONNECTIONS_PER_THREAD = 1


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


def after_worker_start(worker):
    """Once the worker's app is built: a worker whose app started without its database keeps trying (threads do not
    survive a fork), and what the worker holds for good (the modules, catalogues, the app: some 300,000 objects) is
    moved out of the garbage collector's reach, so that no request pays for a full collection walking them
    (about 0.15 s on this machine)."""
    worker.wsgi.extensions["database_state"].retry_schema()
    gc.collect()
    gc.freeze()


def serve(app_factory, bind, workers, threads):
    """Run until interrupted; each worker builds its own app (and its own data snapshot). ``bind`` is
    ``HOST:PORT`` or ``unix:PATH`` (behind the nginx front; the socket is 0666 so that nginx's workers,
    another user, can connect: keep it in a directory only they reach)."""
    Server(app_factory, {"bind": bind, "workers": workers, "threads": threads, "worker_class": "gthread",
                         "worker_connections": threads * CONNECTIONS_PER_THREAD, "umask": 0o111,
                         "accesslog": "-", "timeout": 120, "keepalive": 0, "graceful_timeout": 10,
                         "post_worker_init": after_worker_start,
                         # gunicorn >= 25.1 binds one control socket per user (~/.gunicorn/gunicorn.ctl): a second
                         # server on the host would take it over from the first
                         "control_socket_disable": True}).run()


# --- the public front: nginx in front of gunicorn (deploy/nginx.conf.template, docs/deployment.md) -----------------

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.template"
# Per client address: requests per second, the burst a page load needs, requests at a time; how long a cached
# response is fresh before the front revalidates it against the app's ETag.
FRONT_DEFAULTS = {"rate": 20, "burst": 100, "connections": 32, "cache_valid": "1s"}
PRECOMPRESSED = {".js", ".mjs", ".css", ".svg", ".json", ".html", ".txt", ".map", ".geojson", ".xml"}


ACCEL_LOCATION = "/_artefacts/"  # the template's internal location of the artefact directory


def render_front_config(prefix, listen, sockets, artefact_dir=None, **limits):
    """The nginx configuration: the template with its @NAMES@ filled in (``limits`` override FRONT_DEFAULTS;
    ``artefact_dir`` defaults to MAPSERVICE_ARTEFACT_DIR)."""
    values = FRONT_DEFAULTS | limits
    config = load_config()
    artefact_dir = artefact_dir or config["MAPSERVICE_ARTEFACT_DIR"] or Path(prefix) / "no-artefacts"
    upload_bytes = config["MAPSERVICE_MAX_IMPORT_BYTES"] + auth.MULTIPART_ALLOWANCE  # the app's own upload limit
    filled = {"PREFIX": str(prefix), "MAX_BODY": upload_bytes, "LISTEN": listen, "ARTEFACT_DIR": str(Path(artefact_dir).resolve()), "RATE": values["rate"], "BURST": values["burst"],
              "CONNECTIONS": values["connections"], "CACHE_VALID": values["cache_valid"],
              "UPSTREAM_SERVERS": "\n".join(f"        server unix:{socket};" for socket in sockets),
              "SECURITY_HEADERS": "\n            ".join(f'add_header {name} "{value}" always;'
                                                       for name, value in security.front_headers().items())}
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in filled.items():
        text = text.replace(f"@{name}@", str(value))
    unfilled = re.findall(r"@[A-Z_]+@", text)
    if unfilled:
        raise ValueError(f"{TEMPLATE} names {', '.join(sorted(set(unfilled)))}, which nothing fills in")
    return text


def prepare_front(prefix, listen, sockets, artefact_dir=None, **limits):
    """Write ``prefix``/nginx.conf and a copy of static/ with a .gz beside each compressible file (gzip_static);
    return the configuration's path. The prefix is readable by others: nginx's workers may run as another user."""
    prefix = Path(prefix)
    for folder in ("tmp", "cache"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    static = prefix / "static"
    shutil.rmtree(static, ignore_errors=True)
    shutil.copytree(PROJECT_ROOT / "static", static)
    for path in static.rglob("*"):
        if path.suffix in PRECOMPRESSED and path.is_file():
            with path.open("rb") as source, gzip.open(f"{path}.gz", "wb", compresslevel=9) as target:
                shutil.copyfileobj(source, target)
            os.utime(f"{path}.gz", (path.stat().st_atime, path.stat().st_mtime))
    config = prefix / "nginx.conf"
    config.write_text(render_front_config(prefix.resolve(), listen, sockets, artefact_dir, **limits), encoding="utf-8")
    return config


def start_nginx(config):
    """nginx in the foreground, our own process with our own prefix (no system service is touched)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix = str(Path(config).parent)
    check = subprocess.run([nginx, "-t", "-q", "-p", prefix, "-e", f"{prefix}/error.log", "-c", str(config)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused {config}: {check.stderr.strip()}")
    return subprocess.Popen([nginx, "-p", prefix, "-e", f"{prefix}/error.log", "-c", str(config),
                             "-g", "daemon off;"])


def serve_public(app_factory, host, port, workers, threads, prefix=PROJECT_ROOT / "var" / "front"):
    """nginx on ``host:port`` in front of gunicorn on a unix socket under ``prefix``; both stop together."""
    socket = Path(prefix).resolve() / "app.sock"
    config = prepare_front(prefix, f"{host}:{port}", [socket])
    os.environ["MAPSERVICE_ACCEL_REDIRECT"] = ACCEL_LOCATION  # the workers' apps answer prebuilt files through nginx
    os.environ.setdefault("MAPSERVICE_TRUSTED_PROXIES", "1")  # the client's address is nginx's X-Forwarded-For
    nginx = start_nginx(config)
    try:
        serve(app_factory, f"unix:{socket}", workers, threads)
    finally:
        nginx.terminate()
        nginx.wait(timeout=15)
