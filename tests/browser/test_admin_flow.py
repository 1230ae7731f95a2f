"""Publishing over the web in headless Chromium, on both databases, with the site's Content-Security-Policy
enforced: a district officer signs in, uploads a template CSV with a refused row (the report names line and
column), discards it, uploads a good one (the preview map marks the conflict), publishes it, finds the project on
the public map and in /api/v1/projects, corrects it, and rolls the data back. The Khmer run checks that the admin
pages show no Latin words outside tests/khmer_chrome.py's allow-list.

The screenshots of the manual (/admin/help) are taken here: SpatiaLite in Khmer, PostGIS in English. A run writes
them into its temporary folder (and checks each is an 800 x 600 PNG), so the checkout stays as committed; with
MAPSERVICE_UPDATE_MANUAL=1 it writes static/manual/km/*.png and static/manual/en/*.png, the files the manual shows
(commit them after looking at them):

    MAPSERVICE_UPDATE_MANUAL=1 scripts/test.sh tests/browser/test_admin_flow.py"""
import json
import os
import struct
import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from mapservice.config import PROJECT_ROOT
from mapservice.store import accounts
from mapservice.web import create_app
from tests.browser.conftest import READY_TIMEOUT_MS, _serve, new_context
from tests.browser.test_accessibility import latin_in_chrome
from tests.browser.test_security_headers import RECORD_VIOLATIONS, violations
from tests.conftest import Database, _admin_engine, _copy_database, make_config

pytestmark = pytest.mark.browser

MANUAL = PROJECT_ROOT / "static" / "manual"
OFFICER, ADMIN, PASSWORD = "ouchrov", "odc-admin", "ou chrov officer 2026"
LANGUAGES = {"spatialite": "km", "postgis": "en"}
SHOT = {"width": 800, "height": 600}


def template_csv(points, bad=False):
    """Three Ou Chrov (0105) projects, the third stating commune 010501 with a point in 010502 (a conflict);
    ``bad``: the second with a year out of range and an amount in words."""
    lon, lat = points["010502"]
    rows = ["project_id,title_en,title_km,sector,fiscal_year,commune_code,budget,expenditure,lon,lat",
            "OC-B-01,Laterite road Changha,ផ្លូវក្រួសក្រហម ឃុំចង្ហា,rural_road,2016,010501,41000000,39950000,,",
            "OC-B-02,Well Ta Phaok,អណ្តូងទឹក ភូមិតាផោក,well,2031,010502,12 million,8100000,,"
            if bad else "OC-B-02,Well Ta Phaok,អណ្តូងទឹក ភូមិតាផោក,well,2016,010502,8200000,8100000,,",
            f"OC-B-03,Culvert Kouk Romiet,លូ ភូមិគោករមៀត,culvert,2017,010501,15000000,14800000,{lon:.6f},{lat:.6f}"]
    return ("\n".join(rows) + "\n").encode("utf-8")


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
def site(request, templates, tmp_path_factory):
    """A database of the real boundaries with an editor of Ou Chrov district, the app on a live server."""
    url, pg_name = _copy_database(request.param, templates(request.param, True), tmp_path_factory.mktemp("admin"))
    database = Database(make_config(url))
    with database.sessions() as session:
        accounts.create_user(session, OFFICER, "editor", ["0105"], password=PASSWORD)
        accounts.create_user(session, ADMIN, "admin", [], password=PASSWORD)
        session.commit()
    points = {code: (lon, lat) for code, lon, lat in database.rows(
        "SELECT code, label_lon, label_lat FROM admin_area WHERE code IN ('010501', '010502')")}
    app = create_app({"DATABASE_URL": url, "MAPSERVICE_DATA_DIR": database.config["MAPSERVICE_DATA_DIR"],
                      "MAPSERVICE_SECRET_KEY": "browser-test-" + "s" * 32})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    _serve(server)
    yield {"url": f"http://127.0.0.1:{server.server_port}", "backend": request.param, "points": points,
           "lang": LANGUAGES[request.param], "tmp": tmp_path_factory.mktemp("files")}
    server.shutdown()
    database.engine.dispose()
    if pg_name:
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


class Officer:
    """One browser page with the policy enforced, its CSP violations and script errors recorded."""

    def __init__(self, browser, site, **options):
        self.site, self.lang = site, site["lang"]
        self.context = new_context(browser, enforce_csp=True, viewport=SHOT, **options)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.console, self.errors, self.problems = [], [], {}
        self.page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def url(self, path):
        return f"{self.site['url']}{path}{'&' if '?' in path else '?'}lang={self.lang}"

    def goto(self, path):
        self.page.goto(self.url(path))
        return self.checked()

    def checked(self):
        """The page as it is now: no CSP violation, no script error; in Khmer no Latin chrome."""
        self.page.wait_for_load_state("load")
        path = self.page.url.split("?")[0].removeprefix(self.site["url"])
        found = violations(self.page, self.console) + self.errors
        if self.lang == "km":
            found += [f"Latin words in Khmer: {words}" for words in [latin_in_chrome(self.page)] if words]
        if found:
            self.problems[path] = found
        self.console.clear()
        self.errors.clear()
        return self.page

    def wait_until(self, expression):
        for _ in range(READY_TIMEOUT_MS // 100):
            if self.page.evaluate(expression):
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")

    def shot(self, name, selector=None):
        """A screenshot for the manual, of the viewport scrolled to ``selector``."""
        if selector:
            self.page.locator(selector).first.scroll_into_view_if_needed()
            self.page.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'start'}})")
        folder = MANUAL if os.environ.get("MAPSERVICE_UPDATE_MANUAL") == "1" else self.site["tmp"] / "manual"
        target = folder / self.lang / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(target))
        head = target.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (800, 600), name

    def upload(self, content, name="ou-chrov-2016.csv"):
        path = self.site["tmp"] / name
        path.write_bytes(content)
        self.page.set_input_files("input[type=file]", str(path))


def api_status(site, path):
    try:
        with urllib.request.urlopen(site["url"] + path, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_sign_in_upload_check_publish_see_correct_and_roll_back(browser, site):
    officer = Officer(browser, site)
    page = officer.goto("/admin")
    assert "/admin/login" in page.url
    officer.shot("login")
    page.fill("#name", OFFICER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    officer.checked()
    assert page.url.split("?")[0].endswith("/admin")

    # a file with a refused row: the report names its line and columns; discarded
    officer.upload(template_csv(site["points"], bad=True))
    officer.shot("upload", "#upload")
    page.click(".upload-form button[type=submit]")
    officer.checked()
    problems = officer.page.eval_on_selector_all(
        "table.problems tbody tr", "rows => rows.map(r => [r.dataset.line, r.dataset.column, r.dataset.code])")
    assert sorted(problems) == [["3", "budget", "not_an_amount"], ["3", "fiscal_year", "year_out_of_range"]]
    officer.shot("report", "#report")
    page.click("#discard")
    officer.checked()
    assert page.locator("tr[data-draft] .status-discarded").count() == 1

    # a good file: the preview map marks the conflict; the differences and totals; published
    officer.upload(template_csv(site["points"]))
    page.click(".upload-form button[type=submit]")
    officer.checked()
    officer.wait_until("document.body.dataset.ready === 'true'")
    assert page.evaluate("[document.body.dataset.previewCount, document.body.dataset.previewConflicts]") == ["3", "1"]
    assert page.locator(".preview-marker.preview-conflict").count() == 1
    assert page.locator("#preview-status").inner_text() == ""
    officer.shot("preview", "#preview")
    assert page.locator("table.new-projects tbody tr").count() == 3
    assert page.locator("table.totals tr[data-area='0105']").count() == 1
    officer.shot("differences", "#differences")
    page.click("#publish")
    officer.checked()
    assert page.locator("#draft-status").get_attribute("data-status") == "published"
    officer.shot("published")

    # on the public site: the API, the project's page and the map
    status, record = api_status(site, "/api/v1/projects/OC-B-01")
    assert status == 200 and record["title_en"] == "Laterite road Changha" and record["budget"] == 41_000_000
    status, listed = api_status(site, "/api/v1/projects?district=0105")
    assert status == 200 and sorted(p["project_id"] for p in listed["projects"]) == ["OC-B-01", "OC-B-02", "OC-B-03"]
    lon, lat = site["points"]["010502"]
    officer.goto(f"/?layer=project_points&zoom=15&lat={lat:.5f}&lon={lon:.5f}")
    officer.page.wait_for_selector(".project-marker[data-project-id='OC-B-03']", timeout=READY_TIMEOUT_MS)
    officer.shot("public-map")

    # correct one project: a one-project draft, published
    officer.goto("/admin")
    page.fill("#project_id", "OC-B-01")
    page.click("#correct button[type=submit]")
    officer.checked()
    assert page.input_value("#field-budget") == "41000000"
    page.fill("#field-budget", "42000000")
    officer.shot("correct", "#field-budget")
    page.click(".correction-form button[type=submit]")
    officer.checked()
    assert page.locator("tr[data-project='OC-B-01'][data-field='budget']").count() == 1
    page.click("#publish")
    officer.checked()
    assert api_status(site, "/api/v1/projects/OC-B-01")[1]["budget"] == 42_000_000

    # history: back to the version before the first publish (the boundaries only)
    officer.goto("/admin/versions")
    actions = page.eval_on_selector_all("tr[data-version]", "rows => rows.map(r => r.dataset.action)")
    assert actions[:2] == ["correction", "publish"]
    officer.shot("history")
    before = page.eval_on_selector_all("tr[data-version]", "rows => rows.map(r => r.dataset.version)")[2]
    page.click(f"button[data-rollback='{before}']")
    officer.checked()
    assert page.locator(".notice-success").count() == 1
    assert api_status(site, "/api/v1/projects/OC-B-01")[0] == 404
    assert page.eval_on_selector_all("tr[data-version]", "rows => rows.map(r => r.dataset.action)")[0] == "rollback"

    # the manual shows this language's screenshots
    officer.goto("/admin/help")
    images = page.eval_on_selector_all("img[data-shot]", "imgs => imgs.map(i => i.dataset.shot)")
    assert sorted(images) == sorted(
        ["login", "upload", "report", "preview", "differences", "published", "public-map", "correct", "history"])
    for image in page.locator("img[data-shot]").all():
        image.scroll_into_view_if_needed()
    officer.wait_until("[...document.querySelectorAll('img[data-shot]')]"
                       ".every(i => i.complete && i.naturalWidth === 800)")
    assert officer.problems == {}
    officer.context.close()


def test_the_admin_pages_fit_a_phone(browser, site):
    """Also the admins' pages (audit log, accounts, with an account added through the form)."""
    officer = Officer(browser, site, is_mobile=True, has_touch=True)
    officer.page.set_viewport_size({"width": 360, "height": 740})
    page = officer.goto("/admin/login")
    page.fill("#name", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    officer.goto("/admin/users")
    page.fill("#name", "malai")
    page.select_option("#role", "editor")
    page.fill("#areas", "0109")
    page.click(".admin-form button[type=submit]")
    officer.checked()
    assert len(page.inner_text("#new-password")) >= 10
    assert page.locator("tr[data-user='malai']").count() == 1
    for path in ("/admin", "/admin/versions", "/admin/help", "/admin/audit", "/admin/users"):
        officer.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    assert officer.problems == {}
    officer.context.close()

