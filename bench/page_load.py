"""Benchmark: loading the map page in headless Chromium with N projects (default 50,000) on SpatiaLite.

Prints, per network condition (this machine's loopback, and "slow 3G": 400 ms latency, 400 kbit/s each way, through
CDP Network.emulateNetworkConditions), the time from navigation start until the first choropleth is drawn
(``document.body.dataset.ready``), DOMContentLoaded, and the bytes transferred (encoded sizes with headers, as
Chromium counts them; basemap tiles and any other host excluded) until then and once the network is idle.
Each load uses a fresh browser context (empty cache); the server is warmed once first. The app runs under
gunicorn as in production (`mapservice serve`, here 1 worker x 8 threads so that the one warm-up load warms
the only worker's caches), or in-process under werkzeug's threaded
development server with --server werkzeug.

    .venv/bin/python bench/page_load.py                      # 50,000 projects, 3 loads per condition
    .venv/bin/python bench/page_load.py --projects 15000 --runs 5 --database var/bench-pages.sqlite
    .venv/bin/python bench/page_load.py --server werkzeug

With --dense, instead: a street-zoom view of the projects (default zoom 12 over central Phnom Penh, where the sample
is densest) drawn from the vector tiles, loaded --runs times in fresh contexts: ms until the points are drawn, the
points, how they were drawn (markers or canvas), the elements of the page and of the map, the JS heap, the main
thread's long tasks (> 50 ms) until then, and the tiles' bytes; then a pan by half the view, timed until redrawn.
--database-url serves an existing database (e.g. the 1M PostGIS one of bench/scale_db.py) instead of building one.

    .venv/bin/python bench/page_load.py --dense --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x_1000000

Localhost only: the app listens on 127.0.0.1 and every request to another host is refused.
"""
import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from mapservice.config import load_config  # noqa: E402
from mapservice.ingest.pipelines import import_boundaries, import_sample  # noqa: E402
from mapservice.store.db import create_db_engine, init_schema, make_session_factory  # noqa: E402
from mapservice.web import create_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CONDITIONS = {
    "loopback": None,
    "slow 3G": {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8},
}
HEAVIEST = 6  # responses listed by size under the table
DENSE_VIEW = {"lat": 11.5564, "lon": 104.9160}  # central Phnom Penh
# The main thread's long tasks (> 50 ms), from the page's own clock: how long the page could not answer input.
LONG_TASKS_PROBE = """
window.__longTasks = [];
new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.__longTasks.push(entry.duration); })
  .observe({ type: "longtask", buffered: true });
"""
# Records, from the page's own clock, when the first data layer is drawn (the contract's ready flag).
READY_PROBE = """
new MutationObserver((changes, observer) => {
  if (document.body && document.body.dataset.ready === "true") {
    window.__readyAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ["data-ready"]});
"""


def build_database(path, n_projects):
    """A SpatiaLite file with the boundaries and n_projects sample projects (reused when it already has them)."""
    config = load_config({"DATABASE_URL": f"sqlite:///{path}"})
    engine = create_db_engine(config)
    init_schema(engine)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM project")).scalar()
    if stored != n_projects:
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        import_boundaries(sessions, config)
        import_sample(sessions, config, n_projects, seed=0)
        print(f"built {path}: boundaries + {n_projects:,} sample projects in {time.perf_counter() - started:.1f} s")
    engine.dispose()
    return config


@contextlib.contextmanager
def werkzeug_server(config):
    """The app on 127.0.0.1:<free port>, threaded werkzeug in a daemon thread; yields its base URL."""
    app = create_app({"DATABASE_URL": config["DATABASE_URL"]})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def gunicorn_server(config, timeout_s=60):
    """`mapservice serve` (gunicorn, 1 worker x 8 threads) on 127.0.0.1:<free port>; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "mapservice.cli", "--database-url", config["DATABASE_URL"], "serve",
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--threads", "8"]
    process = subprocess.Popen(command, cwd=root, env=os.environ | {"PYTHONPATH": str(root)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                urllib.request.urlopen(base_url + "/api/v1/", timeout=5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{' '.join(command)} did not start (exit status {process.poll()})")
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


class Transfer:
    """Bytes Chromium received per request (CDP Network events), split into the app's and the rest."""

    def __init__(self, cdp, origin):
        self.origin, self.urls, self.finished = origin, {}, []
        cdp.on("Network.responseReceived", lambda e: self.urls.__setitem__(e["requestId"], e["response"]["url"]))
        cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event):
        url = self.urls.get(event["requestId"], "")
        if url.startswith(self.origin):  # basemap tiles and any other host are not ours to count
            self.finished.append((time.perf_counter(), event["encodedDataLength"], url.removeprefix(self.origin)))

    def until(self, moment=None):
        """Bytes and requests finished by ``moment`` (perf_counter), or all of them."""
        items = [size for at, size, _ in self.finished if moment is None or at <= moment]
        return sum(items), len(items)

    def heaviest(self, n):
        """The n largest responses as (bytes, path)."""
        return sorted(((size, path) for _, size, path in self.finished), reverse=True)[:n]


def load_once(browser, base_url, network, timeout_s):
    """One cold load of / : ms to ready and to DOMContentLoaded, bytes and requests to ready and in all."""
    # bypass_csp: Playwright's wait_for_function evaluates a string in the page, which the strict CSP refuses;
    # the page loads the same files either way
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.route(lambda url: not url.startswith(base_url), lambda route: route.abort())
    context.add_init_script(READY_PROBE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if network:
        cdp.send("Network.emulateNetworkConditions", network)
    transfer = Transfer(cdp, base_url)
    try:
        page.goto(base_url + "/", wait_until="commit", timeout=timeout_s * 1000)
        page.wait_for_function("window.__readyAt !== undefined", timeout=timeout_s * 1000)
        ready_moment = time.perf_counter()
        ready_ms = page.evaluate("window.__readyAt")
        dom_ms = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
        page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
        to_ready, requests_to_ready = transfer.until(ready_moment)
        total, requests = transfer.until()
    finally:
        context.close()
    return {"ready_ms": ready_ms, "dom_ms": dom_ms, "bytes_ready": to_ready, "requests_ready": requests_to_ready,
            "bytes_total": total, "requests_total": requests, "heaviest": transfer.heaviest(HEAVIEST)}


def dense_once(browser, base_url, zoom, timeout_s):
    """One cold load of a street-zoom view of the projects: what drawing it cost, and a pan."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.route(lambda url: not url.startswith(base_url), lambda route: route.abort())
    context.add_init_script(READY_PROBE + LONG_TASKS_PROBE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    transfer = Transfer(cdp, base_url)
    query = f"lang=km&layer=project_points&lat={DENSE_VIEW['lat']}&lon={DENSE_VIEW['lon']}&zoom={zoom}"
    try:
        page.goto(f"{base_url}/?{query}", wait_until="commit", timeout=timeout_s * 1000)
        page.wait_for_function("window.__readyAt !== undefined", timeout=timeout_s * 1000)
        ready_ms = page.evaluate("window.__readyAt")
        tiles = [size for _, size, path in transfer.finished if path.startswith("/tiles/projects/")]
        state = page.evaluate("""() => ({
          points: Number(document.getElementById("map").dataset.pointCount || 0),
          drawing: document.getElementById("map").dataset.points,
          elements: document.querySelectorAll("*").length,
          mapElements: document.querySelectorAll("#map *").length,
          heap: performance.memory ? performance.memory.usedJSHeapSize : 0,
          longTasks: window.__longTasks.reduce((sum, ms) => sum + ms, 0),
          longest: Math.max(0, ...window.__longTasks),
        })""")
        # a pan by half the view (the arrow keys on the focused map; Leaflet pans 80 px a press): new tiles, redrawn
        drawn = int(page.evaluate("document.body.dataset.drawn"))
        page.focus("#map")
        started = time.perf_counter()
        for _ in range(8):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(f"Number(document.body.dataset.drawn) > {drawn}", timeout=timeout_s * 1000)
        pan_ms = (time.perf_counter() - started) * 1000
    finally:
        context.close()
    return {"ready_ms": ready_ms, "tiles": len(tiles), "tile_bytes": sum(tiles), "pan_ms": pan_ms, **state}


def measure_dense(base_url, runs, zoom, timeout_s):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            dense_once(browser, base_url, zoom, timeout_s)  # the server's tile cache filled; not reported
            return [dense_once(browser, base_url, zoom, timeout_s) for _ in range(runs)]
        finally:
            browser.close()


def print_dense(label, zoom, loads):
    median = lambda name: statistics.median(load[name] for load in loads)  # noqa: E731
    ready = [load["ready_ms"] for load in loads]
    print(f"\nDense view, {label}, zoom {zoom} over central Phnom Penh, 1280x800, warm server (median of "
          f"{len(loads)} cold loads)")
    print(f"  points drawn: {median('points'):,.0f} ({loads[0]['drawing']}) from {median('tiles'):.0f} tiles, "
          f"{median('tile_bytes') / 1024:,.0f} KB on the wire")
    print(f"  ready (points drawn): {statistics.median(ready):,.0f} ms [{min(ready):,.0f}-{max(ready):,.0f}]; "
          f"long tasks until then {median('longTasks'):,.0f} ms (longest {median('longest'):,.0f} ms)")
    print(f"  elements: page {median('elements'):,.0f}, map {median('mapElements'):,.0f}; "
          f"JS heap {median('heap') / 1e6:,.1f} MB")
    print(f"  a pan by half the view, until redrawn: {median('pan_ms'):,.0f} ms")


def measure(base_url, runs, timeout_s):
    """Warm the server once, then ``runs`` cold loads per network condition."""
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            load_once(browser, base_url, None, timeout_s)  # server-side caches filled; not reported
            for name, network in CONDITIONS.items():
                results[name] = [load_once(browser, base_url, network, timeout_s) for _ in range(runs)]
        finally:
            browser.close()
    return results


def print_table(n_projects, server, results):
    """The figures per network condition, and the heaviest responses."""
    print(f"\nMap page load, {n_projects:,} projects, SpatiaLite, {server}, headless Chromium, cold browser cache, "
          f"warm server (median of {len(next(iter(results.values())))} loads; min-max in brackets)")
    header = ("network", "ready ms", "DOMContentLoaded ms", "KB to ready", "requests", "KB total", "requests")
    rows = []
    for name, loads in results.items():
        ready = [load["ready_ms"] for load in loads]
        rows.append((name, f"{statistics.median(ready):,.0f} [{min(ready):,.0f}-{max(ready):,.0f}]",
                     f"{statistics.median(load['dom_ms'] for load in loads):,.0f}",
                     f"{statistics.median(load['bytes_ready'] for load in loads) / 1024:,.1f}",
                     f"{statistics.median(load['requests_ready'] for load in loads):.0f}",
                     f"{statistics.median(load['bytes_total'] for load in loads) / 1024:,.1f}",
                     f"{statistics.median(load['requests_total'] for load in loads):.0f}"))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).rjust(width) if i else str(cell).ljust(width)
                        for i, (cell, width) in enumerate(zip(row, widths))))
    print("\nHeaviest responses of the last loopback load (bytes on the wire, headers included):")
    for size, path in next(iter(results.values()))[-1]["heaviest"]:
        print(f"  {size / 1024:8,.1f} KB  {path}")


def main(argv=None):
    """Build or reuse the database, serve it, load the page, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3, help="cold loads per network condition")
    parser.add_argument("--database", help="SpatiaLite file to build or reuse (default: a temporary file)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds allowed for one page load")
    parser.add_argument("--server", choices=["gunicorn", "werkzeug"], default="gunicorn")
    parser.add_argument("--dense", action="store_true", help="a street-zoom view of the projects instead")
    parser.add_argument("--zoom", type=int, default=12, help="the zoom of --dense")
    parser.add_argument("--database-url", help="serve this database as it is (nothing built)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())} at the start")
    with tempfile.TemporaryDirectory() as workdir:
        if args.database_url:
            config = load_config({"DATABASE_URL": args.database_url})
        else:
            config = build_database(Path(args.database or Path(workdir) / "pages.sqlite").resolve(), args.projects)
        server = gunicorn_server if args.server == "gunicorn" else werkzeug_server
        with server(config) as base_url:
            if args.dense:
                loads = measure_dense(base_url, args.runs, args.zoom, args.timeout)
            else:
                results = measure(base_url, args.runs, args.timeout)
    if args.dense:
        label = args.database_url.rsplit("/", 1)[-1] if args.database_url else f"{args.projects:,} projects"
        print_dense(label, args.zoom, loads)
    else:
        print_table(args.projects, args.server, results)
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
