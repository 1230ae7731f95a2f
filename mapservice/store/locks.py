"""One import at a time: boundary imports, project imports and the sample all take the same lock.

SpatiaLite: an exclusive ``flock`` on a file beside the database (``<database>.import-lock``), which also holds the
holder's pid and start time. PostGIS: a session-level advisory lock, the holder's pid and start time carried in its
connection's ``application_name``. A second import waits up to ``wait_seconds``, then refuses with
"another import is running since HH:MM (pid N)". Either lock is released when its process ends, even by a crash."""
import fcntl
import os
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

ADVISORY_KEY = 0x6D617073  # "maps": the one advisory lock key of mapservice imports
POLL_SECONDS = 0.2


class ImportLocked(RuntimeError):
    """Another import holds the lock; the message says since when and which process."""


def _holder_text(pid, since):
    return f"another import is running since {since} (pid {pid}); wait for it to finish and try again"


@contextmanager
def import_lock(engine, wait_seconds=0):
    """Hold the import lock of ``engine``'s database for the block (wait up to ``wait_seconds`` for it)."""
    if engine.url.get_backend_name() == "sqlite":
        with _file_lock(engine.url.database, wait_seconds):
            yield
    else:
        with _advisory_lock(engine, wait_seconds):
            yield


def _until(wait_seconds, attempt):
    """Call ``attempt()`` until it returns True or ``wait_seconds`` pass; True when it got the lock."""
    deadline = time.monotonic() + wait_seconds
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


@contextmanager
def _file_lock(database, wait_seconds):
    if not database or database == ":memory:":
        yield  # a private in-memory database has no second importer
        return
    path = Path(f"{database}.import-lock")
    with open(path, "a+", encoding="utf-8") as handle:
        def attempt():
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        if not _until(wait_seconds, attempt):
            handle.seek(0)
            pid, _, since = handle.read().partition(" ")
            raise ImportLocked(_holder_text(pid or "?", since.strip() or "?"))
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {datetime.now():%H:%M}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(engine, wait_seconds):
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("SELECT set_config('application_name', :name, false)"),
                     {"name": f"mapservice import pid {os.getpid()} since {datetime.now():%H:%M}"})

        def attempt():
            return conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()

        if not _until(wait_seconds, attempt):
            name = conn.execute(sa.text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.objid = :key AND l.granted"), {"key": ADVISORY_KEY}).scalar() or ""
            words = name.split()
            pid, since = (words[3], words[5]) if len(words) == 6 else ("?", "?")
            raise ImportLocked(_holder_text(pid, since))
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key), set_config('application_name', '', false)"),
                         {"key": ADVISORY_KEY})
