"""The public mode as it runs for real, for the tests and bench/front_load.py: gunicorn processes
(`mapservice serve --socket`) behind nginx (`mapservice.server.prepare_front`, `start_nginx`), on 127.0.0.1 only,
and HTTP clients that can speak from their own loopback address (the front's limits are per client address) or
over a unix socket (one app process, past the front); and a throwaway PostgreSQL cluster of our own to stop and
start (never the system server). Everything started is stopped, also on error."""
import http.client
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mapservice.server import ACCEL_LOCATION, prepare_front, start_nginx

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout, step=0.1):
    """Call ``check`` until it returns something true (returned) or ``timeout`` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except OSError:
            pass
        time.sleep(step)
    return None


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket: one app process directly, past the front."""

    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes
    seconds: float


def get(target, path, source="127.0.0.1", timeout=10, headers=None):
    """One GET; ``target`` is a port of 127.0.0.1 (from the loopback address ``source``) or a unix socket path."""
    if isinstance(target, int):
        connection = http.client.HTTPConnection("127.0.0.1", target, timeout=timeout, source_address=(source, 0))
    else:
        connection = UnixHTTPConnection(str(target), timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body,
                      time.monotonic() - started)
    finally:
        connection.close()


@dataclass
class App:
    """One `mapservice serve --socket` process and where its log goes."""

    socket: Path
    log: Path
    process: subprocess.Popen

    def log_text(self):
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Front:
    """nginx on ``port`` in front of ``apps``; ``prefix`` holds its configuration, cache and logs."""

    port: int
    prefix: Path
    apps: list = field(default_factory=list)
    nginx: subprocess.Popen = None


def start_app(database_url, socket_path, log_path, workers=2, threads=4, env=None):
    """`mapservice serve --socket` as a user runs it (the console script's code, in this Python)."""
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "mapservice.cli", "--database-url", database_url, "serve", "--socket",
         str(socket_path), "--workers", str(workers), "--threads", str(threads)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **(env or {})})
    log.close()
    return App(Path(socket_path), Path(log_path), process)


def stop(process, timeout=15):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_front(database_url, n_apps=1, workers=2, threads=4, limits=None, env=None, ready_timeout=90,
                  artefact_dir=None):
    """nginx in front of ``n_apps`` app processes on one database; yields the Front once /readyz answers 200 on
    every app. The prefix is world-readable (nginx's workers may run as another user, e.g. nobody under root).
    The apps answer prebuilt files (``artefact_dir``, default ``prefix``/artefacts) through nginx, as `serve --public`."""
    prefix = Path(tempfile.mkdtemp(prefix="mapservice-front-"))
    front = Front(port=free_port(), prefix=prefix)
    artefact_dir = Path(artefact_dir or prefix / "artefacts")
    env = {"MAPSERVICE_ARTEFACT_DIR": str(artefact_dir), "MAPSERVICE_ACCEL_REDIRECT": ACCEL_LOCATION, **(env or {})}
    try:
        for i in range(n_apps):
            front.apps.append(start_app(database_url, prefix / f"app{i}.sock", prefix / f"app{i}.log", workers,
                                        threads, env))
        config = prepare_front(prefix, f"127.0.0.1:{front.port}", [app.socket for app in front.apps], artefact_dir,
                               **(limits or {}))
        front.nginx = start_nginx(config)
        for app in front.apps:
            if not wait_until(lambda: get(app.socket, "/readyz").status == 200, ready_timeout, step=0.3):
                raise RuntimeError(f"app on {app.socket} not ready:\n{app.log_text()[-3000:]}")
        if not wait_until(lambda: get(front.port, "/healthz").status == 200, 10):
            raise RuntimeError(f"nginx not answering on {front.port}")
        yield front
    finally:
        stop(front.nginx)
        for app in front.apps:
            stop(app.process)


class Load:
    """``clients`` threads, each from its own loopback address, GETting ``paths`` in turn (``pause`` seconds
    between requests, as a person's browser does) until stopped; every answer's (status, seconds) is kept,
    a timeout or a refused connection as status 0."""

    def __init__(self, port, paths, clients, pause=0.0, timeout=10, first_address=(127, 0, 1, 1)):
        self.port, self.paths, self.pause, self.timeout = port, list(paths), pause, timeout
        self.results, self.lock, self.running = [], threading.Lock(), threading.Event()
        a, b, c, d = first_address
        self.sources = [f"{a}.{b}.{c + (d + i) // 250}.{(d + i) % 250 + 1}" for i in range(clients)]
        self.threads = [threading.Thread(target=self._client, args=(i, source), daemon=True)
                        for i, source in enumerate(self.sources)]

    def _client(self, index, source):
        turn = index * 7919  # far apart: clients of a list of unique URLs never ask the same one
        while self.running.is_set():
            path = self.paths[turn % len(self.paths)]
            turn += 1
            started = time.monotonic()
            try:
                answer = get(self.port, path, source=source, timeout=self.timeout)
                result = (answer.status, answer.seconds, path)
            except OSError:
                result = (0, time.monotonic() - started, path)
            with self.lock:
                self.results.append(result)
            if self.pause:
                time.sleep(self.pause)

    def __enter__(self):
        self.running.set()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc):
        self.running.clear()
        for thread in self.threads:
            thread.join(timeout=self.timeout + 5)

    def statuses(self):
        counts = {}
        for status, _, _ in self.results:
            counts[status] = counts.get(status, 0) + 1
        return counts


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


@contextmanager
def idle_connections(port, count, trickle_every=1.0):
    """``count`` connections that send half a request header and then one byte now and then (a slow client)."""
    sockets = []
    stop_event = threading.Event()
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sockets.append(sock)

        def trickle():
            while not stop_event.wait(trickle_every):
                for sock in sockets:
                    try:
                        sock.send(b"X")
                    except OSError:
                        pass  # the front closed it: that is the point

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        yield sockets
    finally:
        stop_event.set()
        for sock in sockets:
            sock.close()


class Cluster:
    """A PostgreSQL cluster of our own, run as the postgres user when we are root (initdb refuses root)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="mapservice-pg-"))
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.run(PG_BIN / "initdb", "-D", self.dir / "data", "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--no-sync")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/mapservice"

    def run(self, *args):
        subprocess.run([*self.as_user, *map(str, args)], check=True, capture_output=True, timeout=120)

    def start(self):
        self.run(PG_BIN / "pg_ctl", "-D", self.dir / "data", "-l", self.dir / "server.log", "-w", "-t", "60",
                 "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self):
        self.run(PG_BIN / "pg_ctl", "-D", self.dir / "data", "-m", "fast", "-w", "stop")

    def remove(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)
