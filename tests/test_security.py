"""Security by default, without a browser: the headers of every kind of response (one policy, set in one place),
links only for http(s) URLs whatever the database holds, the CSV cell rule, 405 with Allow.
(tests/browser/test_security_headers.py proves the policy in Chromium; tests/test_corpus.py the import side.)"""
import re

import pytest
import sqlalchemy as sa

from mapservice.formats.csv_cells import neutralise_cell
from mapservice.ingest.records import is_web_url
from mapservice.web.security import content_security_policy
from tests.test_pages import load_projects, make_client

PAGES = ["/", "/about", "/data", "/areas", "/areas/01", "/projects/OC-2015-01", "/api/v1/docs", "/ogc?f=html",
         "/no-such-page"]
EMBEDDABLE = ["/embed", "/api/v1/projects", "/api/v1/layers/expenditure?level=province", "/api/v1/openapi.json",
              "/tiles/provinces.json", "/tiles/provinces/5/24/14.mvt", "/api/v1/no-such"]


@pytest.fixture
def client(make_db):
    """The headers do not depend on the database: SpatiaLite (the links test below runs on both)."""
    db = make_db("spatialite")
    load_projects(db)
    return make_client(db)


def directives(response):
    return dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))


def test_every_response_carries_the_headers(client):
    static = client.get("/static/js/map-page.js")
    for path in PAGES + EMBEDDABLE + ["/static/js/map-page.js"]:
        response = client.get(path) if path != "/static/js/map-page.js" else static
        policy = directives(response)
        assert policy["script-src"].split()[0] == "'self'" and "'unsafe-inline'" not in policy["script-src"], path
        assert (policy["object-src"], policy["base-uri"]) == ("'none'", "'none'"), path
        assert policy["frame-ancestors"] == ("*" if path in EMBEDDABLE else "'self'"), path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert "geolocation=(self)" in response.headers["Permissions-Policy"], path
        assert response.headers.get("X-Frame-Options") == (None if path in EMBEDDABLE else "SAMEORIGIN"), path


def test_no_page_carries_an_inline_script_the_map_scaffold_is_a_url(client):
    for path, kind in (("/", "page"), ("/embed", "embed"), ("/projects/OC-2015-01", "marker"), ("/areas/01", "page")):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert directives(response)["script-src"] == "'self'", path  # no hash, no 'unsafe-inline'
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL)
        run = [(attributes, text) for attributes, text in scripts if 'type="application/json"' not in attributes]
        assert run and all(' src="/' in attributes and not text.strip() for attributes, text in run), path
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers either
        assert "javascript:" not in html, path
        src = re.search(r'<script src="(/maps/scaffold\.js\?[^"]+)"', html).group(1).replace("&amp;", "&")
        assert f"kind={kind}" in src, path
        script = client.get(src)
        assert script.status_code == 200 and script.mimetype == "text/javascript", path
        text = script.get_data(as_text=True)
        assert 'var map = L.map("map"' in text, path
        assert ("L.circleMarker(" in text) is (kind == "marker"), path
        assert ("gestureHandling" in text) is (kind == "embed"), path
        assert client.get(src).get_data(as_text=True) == text, path  # the same URL, the same script: cacheable


def test_the_scaffold_script_is_where_the_url_says_and_refuses_a_bad_position(client):
    text = client.get("/maps/scaffold.js?kind=marker&lat=11.5&lon=104.9&zoom=13&lang=en").get_data(as_text=True)
    assert "center: [11.5, 104.9]" in text and re.search(r"L\.circleMarker\(\s*\[11\.5, 104\.9\]", text)
    assert '"zoom": 13' in text
    embed = client.get("/maps/scaffold.js?kind=embed&lat=12&lon=105&zoom=7&lang=en").get_data(as_text=True)
    assert "Use two fingers to move the map" in embed
    for query, named in (("kind=page&lat=91&lon=104&zoom=7", "lat"), ("kind=page&lat=12&lon=104&zoom=7.5", "zoom"),
                         ("kind=script&lat=12&lon=104&zoom=7", "kind"), ("kind=page&lat=12&lon=104", "zoom"),
                         ("kind=page&lat=12&lon=104&zoom=7&lang=fr", "lang")):
        response = client.get(f"/maps/scaffold.js?{query}")
        assert response.status_code == 400, query
        assert named in response.get_data(as_text=True), query


def test_policy_text():
    assert content_security_policy("/about").endswith("frame-ancestors 'self'")
    assert "frame-ancestors *" in content_security_policy("/embed")
    assert "frame-ancestors 'self'" in content_security_policy("/embedded-elsewhere")
    assert "frame-ancestors *" in content_security_policy("/api/v1/projects", "application/json")
    assert "frame-ancestors 'self'" in content_security_policy("/api/v1/docs", "text/html")


def test_links_only_for_web_urls_whatever_the_database_holds(db):
    load_projects(db)
    client = make_client(db)
    with db.engine.begin() as conn:  # as if written by an old import or by hand
        conn.execute(sa.text("UPDATE project SET pid_url = 'javascript:alert(1)', "
                             "eia_document_url = 'data:text/html,<script>alert(2)</script>' "
                             "WHERE project_id = 'OC-2015-01'"))
        conn.execute(sa.text("UPDATE data_version SET version = version + 1"))
    html = client.get("/projects/OC-2015-01?lang=en").get_data(as_text=True)
    assert "javascript:" not in html and "data:text/html" not in html
    assert 'data-field="pid_url"' not in html


@pytest.mark.parametrize("text, web", [
    ("https://example.org/a.pdf", True), ("http://db.ncdd.gov.kh/pid?id=1", True), ("HTTPS://EXAMPLE.ORG", True),
    ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), ("java\tscript:alert(1)", False),
    ("data:text/html,x", False), ("vbscript:x", False), ("//evil.example/x", False), ("https:///nohost", False),
    ("ftp://example.org/x", False), ("example.org/x.pdf", False), (None, False),
])
def test_is_web_url(text, web):
    assert is_web_url(text) is web


@pytest.mark.parametrize("value, written", [
    ('=HYPERLINK("http://evil.example/","Click")', '\'=HYPERLINK("http://evil.example/","Click")'),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-", "'-"),
    ("-12.5", "-12.5"), ("+3", "+3"), ("-1e5", "-1e5"), (-12, -12), (3.5, 3.5), (None, None),
    ("Laterite road", "Laterite road"), ("ផ្លូវ", "ផ្លូវ"), ("a=b", "a=b"), ("", ""),
])
def test_neutralise_cell(value, written):
    assert neutralise_cell(value) == written


def test_method_not_allowed_says_which_are(client):
    response = client.post("/api/v1/projects")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD", "OPTIONS"}
    assert response.get_json() == {"ok": False, "status": 405, "error": response.get_json()["error"]}
    page = client.delete("/about")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]
