"""Browser-test fixtures: one SpatiaLite database of known projects, the app on a live server, a second
static server for cross-origin host pages, and headless Chromium (Debian's /usr/bin/chromium through Playwright).

Browser tests run on SpatiaLite only: the data layer is tested on both databases elsewhere.
Without /usr/bin/chromium (or Playwright) the tests fail, naming it; they skip only when MAPSERVICE_TEST_SKIP
names chromium (tests/conftest.py: require).
"""
import functools
import http.server
import json
import os
import re
import shutil
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from werkzeug.serving import make_server

from mapservice.ingest.pipelines import import_records
from mapservice.web import create_app
from tests.conftest import Database, make_config, require

CHROMIUM = os.environ.get("MAPSERVICE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BROWSER_DIR = Path(__file__).resolve().parent
ARTIFACTS = BROWSER_DIR / "artifacts"
READY_TIMEOUT_MS = 15_000
# Only the two local servers are reachable: a basemap tile server on the internet is refused at once, so that
# tests never wait on the network (and stay offline-safe).
EXTERNAL = re.compile(r"^(?!https?://127\.0\.0\.1[:/])(?!data:)(?!blob:)(?!about:)")

# Communes of Banteay Meanchey (01) and Battambang (02) that hold the known projects.
COMMUNES = ["010201", "010202", "010501", "010502", "020101", "020102", "020201", "020202"]
SECTORS = ["rural_road", "culvert", "bridge", "well", "irrigation", "school"]
TYPES = ["construction", "rehabilitation", "replacement", "expansion"]
EIA = [("yes", "approved"), ("no", "not_required"), ("yes", "pending"), ("yes", "not_done")]
COMPANIES = ["Sokha Construction Co., Ltd.", "Angkor Build Enterprise", "Mekong Road Works", "ក្រុមហ៊ុន ស៊ីម សំណង់"]
XSS_TITLE = '<img src=x onerror="window.__xss=1">'
XSS_TITLE_KM = "<script>window.__xss=2</script>ផ្លូវ"
KHMER_TITLE = "ស្ពានបេតុងភូមិអូរជ្រៅ"
SAMPLE_PROJECT = "BT-48"  # marked SAMPLE, so that every page shows its SAMPLE notice and badge


def pytest_configure(config):
    """Register the browser marker (so that -m "not browser" deselects these tests)."""
    config.addinivalue_line("markers", "browser: runs in headless Chromium against a live server")


def known_rows(label_points):
    """48 projects, 6 in each of 8 communes, 2015-2017, every open-contracting field; ids BT-01..BT-48."""
    rows = []
    for i in range(48):
        commune, slot = COMMUNES[i % 8], i // 8
        year = 2015 + slot % 3
        lon, lat = label_points[commune]
        code_only = slot == 5 and commune.startswith("02")  # placed at the commune's label point by the join
        eia_required, eia_status = EIA[i % 4]
        sector = SECTORS[i % 6]
        rows.append({
            "line": i + 2, "project_id": f"BT-{i + 1:02d}", "pid_reference": f"{9000 + i}" if i % 3 == 0 else None,
            "title_en": f"{sector.replace('_', ' ').title()} works {i + 1}",
            "title_km": f"គម្រោង {i + 1}", "sector": sector, "project_type": TYPES[i % 4],
            "status": "completion" if year < 2017 else "implementation", "fiscal_year": str(year),
            "funding_source": "cs_fund", "currency": "KHR",
            "planned_start": f"{year}-02-{1 + i % 27:02d}", "planned_end": f"{year}-09-{1 + i % 27:02d}",
            "actual_start": f"{year}-03-{1 + i % 27:02d}", "actual_end": f"{year}-10-{1 + i % 27:02d}",
            "budget": str(40_000_000 + 1_250_000 * i), "contract_value": str(38_000_000 + 1_100_000 * i),
            "expenditure": str(36_000_000 + 1_000_000 * i), "cs_fund": str(30_000_000 + 1_000_000 * i),
            "local_contribution": str(500_000 * (i % 5)), "contract_number": f"CN-{year}-{commune}-{i + 1:03d}",
            "awarded_tenderer": COMPANIES[i % 4], "number_of_bidders": str(1 + i % 5),
            "eia_required": eia_required, "eia_status": eia_status, "commune_code": commune,
            # 0.004 degrees (~430 m, ~90 px at zoom 15) between the projects of a commune, so markers do not overlap
            "lon": None if code_only else f"{lon + 0.004 * (slot % 3 - 1):.6f}",
            "lat": None if code_only else f"{lat + 0.004 * (slot // 3) - 0.002:.6f}",
        })
    rows[9].update(title_en=XSS_TITLE, title_km=XSS_TITLE_KM)       # BT-10, 020102, 2016
    rows[2].update(title_en=None, title_km=KHMER_TITLE)            # BT-03, 010501, 2015, Khmer title only
    rows[17].update(contract_number=None, number_of_bidders=None,  # BT-18, fields missing as in real records
                    eia_required=None, eia_status=None, actual_end=None, expenditure=None)
    return rows


@dataclass
class Dataset:
    """The database of known projects: its config and a reader for its rows."""

    database: Database

    @property
    def config(self):
        """The database's settings (DATABASE_URL, MAPSERVICE_DATA_DIR...)."""
        return self.database.config

    def project(self, project_id):
        """The stored row of a project straight from SQLite (the tests' ground truth next to the API)."""
        rows = self.database.rows("SELECT * FROM project WHERE project_id = :id", id=project_id)
        return dict(rows[0]._mapping)


@pytest.fixture(scope="session")
def dataset(templates, tmp_path_factory):
    """A SpatiaLite copy of the boundaries template with the 48 known projects loaded (one of them SAMPLE)."""
    target = tmp_path_factory.mktemp("browser") / "browser.sqlite"
    shutil.copy(templates("spatialite").removeprefix("sqlite:///"), target)
    database = Database(make_config(f"sqlite:///{target}"))
    points = {code: (lon, lat) for code, lon, lat in database.rows(
        "SELECT code, label_lon, label_lat FROM admin_area WHERE level = 'commune'")}
    import_records(database.sessions, database.config, pd.DataFrame(known_rows(points)), "browser.csv", "template",
                   "0" * 64, is_sample={SAMPLE_PROJECT})
    yield Dataset(database)
    database.engine.dispose()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="session")
def live_server(dataset):
    """The app on 127.0.0.1:<free port> in a background thread (threaded werkzeug); yields its base URL."""
    app = create_app({"DATABASE_URL": dataset.config["DATABASE_URL"],
                      "MAPSERVICE_DATA_DIR": dataset.config["MAPSERVICE_DATA_DIR"]})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    _serve(server)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def host_server():
    """tests/browser/ served from another port (another origin): host pages for the embed and vector tiles."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(BROWSER_DIR)))
    _serve(server)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, shared by the session."""
    if not Path(CHROMIUM).exists():
        require("chromium", f"{CHROMIUM} does not exist (scripts/setup.sh test installs it: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("chromium", "the playwright package is not installed (pip install -e .[test])")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class MapPage:
    """A browser page on the live server, with the contract's waits and the API at hand."""

    def __init__(self, page, base_url):
        self.page, self.base_url = page, base_url
        self.errors, self.responses = [], []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", lambda response: self.responses.append(response.url))

    def open(self, query="", path="/"):
        """Load a page of the app and wait until its first data layer is drawn."""
        self.page.goto(self.base_url + path + (f"?{query}" if query else ""))
        self.wait_ready()
        return self

    def wait_ready(self, page=None):
        """Wait for document.body.dataset.ready === "true" (the contract's first-draw flag) and for the
        summary of the current filters (body[data-summary-pending] gone)."""
        (page or self.page).wait_for_function("document.body && document.body.dataset.ready === 'true' "
                                              "&& !document.body.dataset.summaryPending",
                                              timeout=READY_TIMEOUT_MS)

    def drawn(self):
        """How many times the data layer was drawn (body[data-drawn])."""
        return int(self.page.evaluate("document.body.dataset.drawn || '0'"))

    def wait_drawn_after(self, before):
        """Wait until the data layer was redrawn since the counter read ``before`` and the summary is in."""
        self.page.wait_for_function(f"parseInt(document.body.dataset.drawn || '0', 10) > {before} "
                                    "&& !document.body.dataset.summaryPending", timeout=READY_TIMEOUT_MS)

    def api(self, path_or_url):
        """GET a JSON document of the app (a path or the absolute URL the page used)."""
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))

    def attributes(self, selector, *names):
        """For every element matching ``selector``: its trimmed text and the given attributes."""
        return self.page.eval_on_selector_all(
            selector, "(els, names) => els.map(e => Object.assign({text: e.textContent.trim()}, "
                      "Object.fromEntries(names.map(n => [n, e.getAttribute(n)]))))", list(names))


def new_context(browser, **options):
    """A fresh browser context (a Cambodian browser: Accept-Language km-KH) whose requests beyond the local
    servers are refused. Playwright's waits (``wait_for_function``) evaluate strings in the page, which the
    site's Content-Security-Policy forbids, so these contexts bypass it: test_security_headers.py runs every page
    and embed with the policy enforced (``enforce_csp=True``)."""
    enforce = options.pop("enforce_csp", False)
    context = browser.new_context(**({"viewport": {"width": 1280, "height": 800}, "locale": "km-KH",
                                      "bypass_csp": not enforce} | options))
    context.route(EXTERNAL, lambda route: route.abort())
    return context


@pytest.fixture
def map_page(browser, live_server):
    """A desktop-size page (1280x800) in a fresh context."""
    context = new_context(browser)
    yield MapPage(context.new_page(), live_server)
    context.close()


@pytest.fixture
def open_page(browser, live_server):
    """Factory: a MapPage in a fresh context with the given context options (viewport, touch, locale...)."""
    contexts = []

    def make(**options):
        context = new_context(browser, **options)
        contexts.append(context)
        return MapPage(context.new_page(), live_server)

    yield make
    for context in contexts:
        context.close()
