"""What the benchmark scripts share: the PostgreSQL server they use and its admin statements, a fresh database
for a run, the CPU seconds of processes read from /proc, and an nginx configuration for an nginx run as the
script's own process (its own prefix, 127.0.0.1 only)."""
import os
from pathlib import Path

import sqlalchemy as sa

SERVER = os.environ.get("MAPSERVICE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
TICKS = os.sysconf("SC_CLK_TCK")


def pg_admin(*statements):
    """Run statements (CREATE/DROP DATABASE...) on the server's ``postgres`` database, outside a transaction."""
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    admin.dispose()


def fresh_database(backend, workdir, name):
    """The URL of a new, empty database called ``name``: a SQLite file in ``workdir``, or a PostgreSQL database
    (dropped first if a run left it)."""
    if backend == "spatialite":
        return f"sqlite:///{Path(workdir) / f'{name}.sqlite'}"
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    return f"{SERVER}/{name}"


def cpu_seconds(pids, children=True):
    """User + system CPU seconds of the processes that still run, with (``children``) those of their reaped
    children."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15 if children else 13])  # utime, stime, cutime, cstime
    return total / TICKS


def nginx_config(prefix, http, types, workers=1, load_module=""):
    """An nginx configuration in the foreground under ``prefix`` (pid, logs, temporary files there): the
    ``types`` (``"media/type ext;"`` lines) and the ``http`` block's own directives and servers."""
    return f"""{load_module}
daemon off;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types {{ {types} }}
    client_body_temp_path {prefix}/tmp_body;
    proxy_temp_path {prefix}/tmp_proxy;
    fastcgi_temp_path {prefix}/tmp_fastcgi;
    uwsgi_temp_path {prefix}/tmp_uwsgi;
    scgi_temp_path {prefix}/tmp_scgi;
{http}
}}
"""
