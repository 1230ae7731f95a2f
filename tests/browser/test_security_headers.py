"""The Content-Security-Policy in a real browser: every page and the embed (also framed by another origin) load
without a single CSP violation, and a page of ours refuses to be framed by another site.
SpatiaLite only (the data layer is tested on both databases elsewhere)."""
import time
from urllib.parse import quote

import pytest

from tests.browser.conftest import READY_TIMEOUT_MS, new_context

pytestmark = pytest.mark.browser

# Every HTML page of the site (the map in its views, profiles, project, data, about, docs, OGC's HTML, an error)
PAGES = [
    "/", "/?lang=en&view=table", "/?layer=project_points&zoom=13&lat=13.6&lon=102.97&lang=en",
    "/projects/BT-01?lang=en", "/areas", "/areas/01?lang=en", "/areas/010201", "/data", "/about?lang=en",
    "/api/v1/docs", "/ogc?f=html", "/ogc/collections?f=html", "/ogc/collections/projects/items?f=html&limit=5",
    "/projects/NO-SUCH-PROJECT", "/embed?layer=expenditure&level=province&year=2016&lang=en",
    "/embed?layer=project_points&lang=km",
]
# the pages without a map (every other one draws one)
NO_MAP = {"/areas", "/data", "/about?lang=en", "/api/v1/docs", "/ogc?f=html", "/ogc/collections?f=html",
          "/ogc/collections/projects/items?f=html&limit=5", "/projects/NO-SUCH-PROJECT"}
# recorded by the page itself (an init script runs before any of the page's own)
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`));
"""


def wait_until(target, expression, timeout_ms=READY_TIMEOUT_MS):
    """Poll ``expression`` through the DevTools protocol (``wait_for_function`` would eval in the page: refused)."""
    for _ in range(timeout_ms // 100):
        if target.evaluate(expression):
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {expression}")


@pytest.fixture
def watched(browser):
    """A fresh context with the site's policy enforced whose pages record every CSP violation and console error."""
    context = new_context(browser, enforce_csp=True)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    yield page, console
    context.close()


def violations(page, console):
    return page.evaluate("window.__csp") + [text for text in console if "Content Security Policy" in text]


def test_no_csp_violation_on_any_page(watched, live_server):
    page, console = watched
    found = {}
    for path in PAGES:  # one browser page for all: a fresh context each would cost a second per page
        response = page.goto(live_server + path)
        policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
        assert policy["script-src"] == "'self'", path  # no hash, no 'unsafe-inline': no inline script at all
        if path.startswith(("/?", "/embed")) or path == "/":
            wait_until(page, "document.body.dataset.ready === 'true'")
        else:
            page.wait_for_load_state("networkidle")
        if path not in NO_MAP:
            # the map's folium scaffold, a script from /maps/scaffold.js, ran and Leaflet drew the map
            wait_until(page, "!!(window.map && document.querySelector('#map .leaflet-pane'))")
        found[path] = violations(page, console)
        console.clear()
    assert found == {path: [] for path in PAGES}


def test_embed_framed_by_another_site_without_violation(watched, host_server, live_server):
    page, console = watched
    page.goto(f"{host_server}/pages/embed_host.html?src="
              + quote(f"{live_server}/embed?layer=expenditure&level=province&year=2016&lang=en", safe=""))
    page.wait_for_selector("iframe#embedded")
    frame = next(f for f in page.frames if "/embed?" in f.url)
    wait_until(frame, "!!document.body && document.body.dataset.ready === 'true'")
    assert frame.evaluate("window.__csp") == []
    assert [text for text in console if "Content Security Policy" in text] == []


def test_a_page_refuses_another_site_as_frame(watched, host_server, live_server):
    page, console = watched
    page.goto(f"{host_server}/pages/embed_host.html?src=" + quote(f"{live_server}/about?lang=en", safe=""))
    page.wait_for_selector("iframe#embedded")
    page.wait_for_timeout(500)
    # Chromium refuses to show it and says why (the frame keeps its error page, not ours)
    assert any("frame-ancestors" in text for text in console), console
