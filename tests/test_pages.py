"""The HTML pages (project, area profiles, data, about, errors) in Khmer and English, with real values from a
small imported fixture, on both databases."""
import html
import io
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from PIL import Image

from mapservice.config import PROJECT_ROOT
from mapservice.ingest.pipelines import import_records
from mapservice.web import create_app
from tests.conftest import BACKENDS, Database, copied_database

# Three projects: two in Ou Chrov district (Banteay Meanchey), one in Ou Chrov commune of Preah Sihanouk (18).
PROJECTS = [
    {"line": 2, "project_id": "OC-2015-01", "pid_reference": "1234",
     "pid_url": "http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=1234",
     "title_en": "Laterite road <b>Changha</b>", "title_km": "ផ្លូវក្រួសក្រហម ឃុំចង្ហា", "sector": "rural_road",
     "project_type": "rehabilitation", "status": "completion", "fiscal_year": "2015", "funding_source": "cs_fund",
     "planned_start": "2015-03-01", "planned_end": "2015-06-30", "actual_start": "2015-03-05", "actual_end": "2015-07-10",
     "budget": "41000000", "contract_value": "40000000", "expenditure": "39950000", "cs_fund": "36000000",
     "local_contribution": "3950000", "contract_number": "001/15 KCS-010501",
     "awarded_tenderer": "Sok Heng Construction Co., Ltd.", "number_of_bidders": "3", "eia_required": "no",
     "eia_status": "not_required", "commune_code": "010501"},
    {"line": 3, "project_id": "OC-2016-02", "title_en": "Well, Ta Phaok village", "title_km": "អណ្តូងទឹក ភូមិតាផោក",
     "sector": "well", "status": "completion", "fiscal_year": "2016", "budget": "8200000", "expenditure": "8100000",
     "eia_required": "no", "commune_code": "010502"},
    {"line": 4, "project_id": "OS-2016-03", "title_en": "School building", "title_km": "អគារសិក្សា", "sector": "school",
     "status": "implementation", "fiscal_year": "2016", "budget": "410000000", "expenditure": "400000000",
     "eia_required": "yes", "eia_status": "approved", "commune_code": "180205"},
]


def load_projects(db, rows=PROJECTS, is_sample=False):
    """Import rows as one batch (the same path as `mapservice import-projects`)."""
    import_records(db.sessions, db.config, pd.DataFrame(rows), "t.csv", "template", "0" * 64, is_sample=is_sample)


def make_client(db, **config):
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "MAPSERVICE_DATA_DIR": db.config["MAPSERVICE_DATA_DIR"],
                      "TESTING": True, **config})
    return app.test_client()



def scaffold_script(client, page):
    """The text of a page's folium map scaffold, a script from /maps/scaffold.js (no page has an inline script)."""
    src = re.search(r'<script src="(/maps/scaffold\.js\?[^"]+)"></script>', page).group(1)
    return client.get(html.unescape(src)).get_data(as_text=True)

@dataclass
class Site:
    db: Database
    client: object


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, templates, tmp_path_factory):
    """One database per backend with PROJECTS loaded, and one app on it, shared by a module's read-only tests:
    a fresh database and data snapshot per test would take these tests from seconds to minutes. Tests that
    change data use the `db` fixture (a fresh database each)."""
    with copied_database(templates, request.param, tmp_path_factory.mktemp("site")) as database:
        load_projects(database)
        yield Site(database, make_client(database))


@pytest.fixture
def client(site):
    return site.client


def text_of(response):
    """The page's text with tags removed and entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def field(page, name):
    """The text of the element carrying data-field="name"."""
    match = re.search(rf'data-field="{name}"[^>]*>(.*?)</(dd|p|h3)>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()) if match else None


@pytest.mark.parametrize("lang, expected", [
    ("km", {"title": "ផ្លូវក្រួសក្រហម ឃុំចង្ហា", "budget": "41,000,000 រៀល (≈ $10,000)",
            "expenditure": "39,950,000 រៀល (≈ $9,744)", "planned_start": "1 មីនា 2015", "actual_end": "10 កក្កដា 2015",
            "sector": "ផ្លូវជនបទ", "status": "បានបញ្ចប់", "eia_required": "ទេ", "eia_status": "មិនតម្រូវ",
            "number_of_bidders": "3", "province": "បន្ទាយមានជ័យ 01", "rate": "1 ដុល្លារអាមេរិក = 4,100 រៀល"}),
    ("en", {"title": "Laterite road <b>Changha</b>", "budget": "41,000,000 riel (≈ $10,000)",
            "expenditure": "39,950,000 riel (≈ $9,744)", "planned_start": "Mar 1, 2015", "actual_end": "Jul 10, 2015",
            "sector": "Rural road", "status": "Completed", "eia_required": "No", "eia_status": "Not required",
            "number_of_bidders": "3", "province": "Banteay Meanchey 01", "rate": "1 US dollar = 4,100 riel"}),
])
def test_project_page_shows_the_whole_record_in_the_language(site, client, lang, expected):
    response = client.get(f"/projects/OC-2015-01?lang={lang}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in page
    assert html.unescape(re.search(r"<h1[^>]*>(.*?)</h1>", page).group(1)) == expected["title"]
    assert "&lt;b&gt;Changha&lt;/b&gt;" in page and "<b>Changha</b>" not in page  # a title is text, never markup
    for name in ("budget", "expenditure", "planned_start", "actual_end", "sector", "status", "eia_required",
                 "eia_status", "number_of_bidders", "province"):
        assert field(page, name) == expected[name], name
    assert 'data-field="budget" data-value="41000000"' in page
    assert field(page, "awarded_tenderer") == "Sok Heng Construction Co., Ltd."
    assert field(page, "contract_number") == "001/15 KCS-010501"
    assert expected["rate"] in text_of(response)
    assert 'href="http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=1234"' in page
    for code in ("01", "0105", "010501"):
        assert f'href="/areas/{code}?lang={lang}"' in page
    assert 'href="/api/v1/projects/OC-2015-01"' in page and 'href="/api/v1/projects/OC-2015-01?format=geojson"' in page
    # the mini map carries this one point (the commune's point: no point was given) and fetches the outline
    lat, lon = site.db.rows("SELECT lat, lon FROM project WHERE project_id = 'OC-2015-01'")[0]
    script = scaffold_script(site.client, page)
    marker = re.search(r"L\.circleMarker\(\s*\[([-\d.]+), ([-\d.]+)\]", script)
    assert (float(marker.group(1)), float(marker.group(2))) == (lat, lon)
    assert script.count("L.circleMarker(") == 1 and '"type":"Feature' not in (page + script).replace(" ", "")
    settings = json.loads(re.search(r'<script type="application/json" id="mini-map">(.*?)</script>', page).group(1))
    assert settings == {"outline": "/api/v1/layers/admin_outlines?level=commune&commune=010501", "fit": False}


@pytest.mark.parametrize("lang, name, other, years_title", [
    ("km", "អូរជ្រៅ", "Ou Chrov", "ការចំណាយតាមឆ្នាំ"),
    ("en", "Ou Chrov", "អូរជ្រៅ", "Spending per year"),
])
def test_area_page_profile_in_the_language(client, lang, name, other, years_title):
    response = client.get(f"/areas/0105?lang={lang}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"<h1>(.*?)</h1>", page).group(1) == name
    assert other in page and years_title in page
    assert 'data-summary="projects" data-value="2"' in page
    assert 'data-summary="budget" data-value="49200000"' in page
    assert 'data-summary="spent" data-value="48050000"' in page
    years = dict(re.findall(r'<rect [^>]*data-key="(\d{4})" data-value="(\d+)"', page))
    assert years == {"2014": "0", "2015": "39950000", "2016": "8100000", "2017": "0", "2018": "0", "2019": "0"}
    sectors = re.findall(r'<rect [^>]*data-key="([a-z_]+)" data-value="(\d+)"', page)
    assert sectors == [("rural_road", "39950000"), ("well", "8100000")]
    assert len(re.findall(r'<tr data-code="0105\d\d">', page)) == 7  # Ou Chrov's seven communes
    assert re.findall(r'<tr data-project-id="([^"]+)">', page) == ["OC-2015-01", "OC-2016-02"]
    assert 'href="/api/v1/downloads/projects.csv?district=0105"' in page
    assert 'href="/api/v1/projects?district=0105"' in page


def test_area_page_follows_the_year_filter(client):
    page = client.get("/areas/0105?year=2016&lang=en").get_data(as_text=True)
    assert 'data-summary="projects" data-value="1"' in page
    assert 'data-summary="spent" data-value="8100000"' in page
    assert re.findall(r'<tr data-project-id="([^"]+)">', page) == ["OC-2016-02"]
    assert re.search(r'<a href="/areas/0105\?year=2016&amp;lang=en" aria-current="true">2016</a>', page)


@pytest.mark.parametrize("lang, cambodia", [("km", "កម្ពុជា"), ("en", "Cambodia")])
def test_country_page_lists_the_provinces(client, lang, cambodia):
    page = client.get(f"/areas?lang={lang}").get_data(as_text=True)
    assert re.search(r"<h1>(.*?)</h1>", page).group(1) == cambodia
    assert len(re.findall(r'<tr data-code="\d\d">', page)) == 25
    assert 'data-summary="projects" data-value="3"' in page
    assert 'data-summary="spent" data-value="448050000"' in page
    banteay = re.search(r'<tr data-code="01">.*?</tr>', page, re.S).group(0)
    assert '<td class="num" data-value="2">2</td>' in banteay


def test_country_json_has_the_api_area_shape(client):
    body = client.get("/areas.json?year=2016").get_json()
    assert (body["level"], body["name_en"], body["totals"]) == ("country", "Cambodia", {
        "project_count": 2, "budget": 418200000, "contract_value": 0, "expenditure": 408100000})
    assert body["by_year"] == [{"fiscal_year": 2016, "project_count": 2, "budget": 418200000, "contract_value": 0,
                                "expenditure": 408100000}]
    assert [(s["sector"], s["project_count"]) for s in body["by_sector"]] == [("school", 1), ("well", 1)]
    assert len(body["sub_areas"]) == 25


@pytest.mark.parametrize("lang, heading", [("km", "ទិន្នន័យសម្រាប់ទាញយក"), ("en", "Data to download")])
def test_data_page_lists_every_download(client, lang, heading):
    page = client.get(f"/data?lang={lang}").get_data(as_text=True)
    assert heading in page
    assert re.findall(r'href="(/api/v1/downloads/projects\.\w+)"', page) == [
        "/api/v1/downloads/projects.csv", "/api/v1/downloads/projects.xlsx", "/api/v1/downloads/projects.geojson",
        "/api/v1/downloads/projects.gpkg"]
    datasets = re.findall(r'href="/api/v1/datasets/((projects|expenditure)-by-province-(\d{4})\.(csv|xlsx|json))"', page)
    assert len(datasets) == 36
    assert {(kind, year) for _, kind, year, _ in datasets} == {
        (kind, str(year)) for kind in ("projects", "expenditure") for year in range(2014, 2020)}


@pytest.mark.parametrize("lang, words", [
    ("km", ["ប្រភព និងអាជ្ញាបណ្ណ", "គុណភាពទិន្នន័យបច្ចុប្បន្ន"]),
    ("en", ["Sources and licences", "Data quality now", "CC BY 4.0", "geoBoundaries (Runfola et al. 2020"]),
])
def test_about_page_sources_and_live_quality(client, lang, words):
    response = client.get(f"/about?lang={lang}")
    page = response.get_data(as_text=True)
    for word in words:
        assert word in page
    assert '<dd data-quality="projects">3</dd>' in page
    assert '<dd data-quality="conflicts">0</dd>' in page
    assert re.search(r'<tr data-join-status="code_only"><th scope="row">[^<]+</th><td class="num">3</td>', page)
    assert "sample-note" not in page


@pytest.mark.parametrize("url, status, message", [
    ("/projects/nope?lang=en", 404, 'Project "nope" does not exist.'),
    ("/projects/nope?lang=km", 404, "គ្មានគម្រោង «nope» ទេ។"),
    ("/areas/9999?lang=en", 404, 'Area "9999" does not exist: expected a province, district or commune code.'),
    ("/areas/0105?year=20x9", 400, 'year was "20x9"; expected a year from 2014 to 2019, or a range such as 2014-2019'),
    ("/areas?lang=fr", 400, 'lang was "fr"; expected km or en'),
    ("/?layer=roads", 400, 'layer was "roads"; expected one of project_points, project_count, expenditure, '
                           "budget_vs_actual, budget_by_area"),
])
def test_error_pages_say_why(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    assert re.search(r'<p class="error-message">(.*?)</p>', html.unescape(response.get_data(as_text=True))).group(1) == message


def test_old_area_urls_redirect(client):
    response = client.get("/area/0105")
    assert (response.status_code, response.headers["Location"]) == (301, "/areas/0105")


SAMPLE_PAGES = ["/", "/embed", "/projects/OC-2015-01", "/areas", "/areas/01", "/areas/010501", "/data", "/about",
                "/projects/nope"]


@pytest.mark.parametrize("lang, notice", [("km", "គំរូ"), ("en", "SAMPLE")])  # Khmer only on Khmer pages
def test_every_page_says_when_sample_data_are_loaded(db, lang, notice):
    load_projects(db, is_sample=True)
    client = make_client(db)
    for url in SAMPLE_PAGES:
        page = client.get(f"{url}?lang={lang}").get_data(as_text=True)
        assert re.search(rf'data-sample="true"[^>]*>\s*(<strong>)?{re.escape(notice)}', page), url


def test_no_sample_notice_for_real_records(client):
    for url in SAMPLE_PAGES:
        assert 'data-sample="true"' not in client.get(url).get_data(as_text=True), url


@pytest.mark.parametrize("lang", ["km", "en"])
def test_every_link_between_the_pages_works(client, lang):
    """Follow every same-site link of the pages (one hop from each page): none leads to an error, and links between
    pages keep the language."""
    start = ["/", "/areas", "/areas/01", "/areas/0105", "/areas/010501", "/projects/OC-2015-01", "/data", "/about"]
    checked = {}
    for page in start:
        response = client.get(f"{page}?lang={lang}")
        assert response.status_code == 200, page
        for href in re.findall(r'href="(/[^"]*)"', response.get_data(as_text=True)):
            href = html.unescape(href)
            if href.startswith(("/static/", "//")) or href in checked:
                continue
            checked[href] = client.get(href).status_code
            if href.startswith(("/areas/", "/projects/")):  # the language switcher's links name the other one
                assert re.search(r"[?&]lang=(km|en)(&|$)", href), f"{page} links to {href} without a language"
    assert {href: status for href, status in checked.items() if status != 200} == {}
    assert any(href.startswith("/areas/0105") for href in checked) and any("/projects/" in h for h in checked)


def test_static_scripts_and_styles_are_compressed_for_slow_connections(client):
    import brotli

    plain = client.get("/static/vendor/leaflet/leaflet.js")
    packed = client.get("/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip, br"})
    assert (packed.status_code, packed.headers["Content-Encoding"]) == (200, "br")
    assert brotli.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data) / 3
    again = client.get("/static/vendor/leaflet/leaflet.js",
                       headers={"Accept-Encoding": "gzip, br", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    image = client.get("/static/vendor/leaflet/images/marker-icon.png", headers={"Accept-Encoding": "gzip, br"})
    assert image.status_code == 200 and "Content-Encoding" not in image.headers


@pytest.mark.parametrize("page, entry", [("/", "map-page.js"), ("/embed", "embed-page.js"),
                                         ("/areas/0105", "mini-map.js")])
def test_pages_preload_every_module_their_script_imports(client, page, entry):
    """One round trip for the ES modules on a slow connection: each module the entry imports, directly or through
    another module, is named by a <link rel="modulepreload">, and each of them is served."""
    text = client.get(page).get_data(as_text=True)
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/js/([\w-]+\.js)">', text))
    imports, todo = set(), [entry]
    while todo:
        source = (PROJECT_ROOT / "static" / "js" / todo.pop()).read_text(encoding="utf-8")
        for name in set(re.findall(r'from "\./([\w-]+\.js)"', source)) - imports:
            imports.add(name)
            todo.append(name)
    assert preloaded == imports - {entry} and preloaded
    assert all(client.get(f"/static/js/{name}").status_code == 200 for name in preloaded)


def social_card(page):
    """The Open Graph and Twitter-card tags of a page: {property or name: content}."""
    return {name: html.unescape(content) for name, content in
            re.findall(r'<meta (?:property|name)="((?:og|twitter):[\w:]+)" content="([^"]*)">', page)}


@pytest.mark.parametrize("url, lang, title, words", [
    ("/?layer=project_count&province=01&year=2015", "en", "Number of projects", ["1 project, spent 40 million riel", "Banteay Meanchey", "2015"]),
    ("/?layer=expenditure", "km", "ការចំណាយ", ["កម្ពុជា", "រៀល"]),
    ("/embed?layer=expenditure&level=province", "en", "expenditure", ["Cambodia", "riel"]),
    ("/areas/0105", "km", "អូរជ្រៅ", ["អូរជ្រៅ", "គម្រោង"]),
    ("/areas", "en", "Cambodia", ["Cambodia", "spent"]),
    ("/projects/OC-2015-01", "en", "Laterite road", ["2015", "Budget"]),
    ("/data", "en", "Sub-national infrastructure projects", ["roads"]),
    ("/about", "km", "គម្រោង", ["ផ្លូវ"]),
])
def test_every_page_carries_a_card_for_sharing_with_a_picture_of_its_map(client, url, lang, title, words):
    page = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}").get_data(as_text=True)
    card = social_card(page)
    assert card["twitter:card"] == "summary_large_image" and card["og:locale"] == {"km": "km_KH", "en": "en_US"}[lang]
    assert title in card["og:title"] and card["twitter:title"] == card["og:title"]
    assert all(word in card["og:description"] for word in words), card["og:description"]
    assert card["og:url"].startswith("http://localhost/") and f"lang={lang}" in card["og:url"]
    image = urlsplit(card["og:image"])
    assert (image.scheme, image.netloc, image.path) == ("http", "localhost", "/maps/view.png")
    query = parse_qs(image.query)
    assert (query["width"], query["height"], query["lang"]) == (["1200"], ["630"], [lang])
    if url.startswith("/areas/"):
        assert query["district"] == ["0105"]
    if "province=01" in url:
        assert query["province"] == ["01"] and query["layer"] == ["project_count"] and query["year"] == ["2015"]


def test_the_card_picture_is_a_1200x630_png_of_the_area(client):
    page = client.get("/areas/01?lang=en").get_data(as_text=True)
    image = urlsplit(social_card(page)["og:image"])
    first = client.get(f"{image.path}?{image.query}")
    assert first.status_code == 200 and first.mimetype == "image/png"
    with Image.open(io.BytesIO(first.data)) as picture:
        assert picture.size == (1200, 630)
    again = client.get(f"{image.path}?{image.query}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_map_form_without_javascript_leaves_out_its_blank_choices(client):
    """The <noscript> form sends "All sectors" as sector=; /choose drops the blanks and shows the map of the rest,
    while the map itself still answers a blank filter with 400."""
    form = "lang=en&layer=expenditure&level=auto&sector=&status=+&eia_required=&province=01"
    response = client.get(f"/choose?{form}")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert (target.path, parse_qs(target.query)) == ("/", {"lang": ["en"], "layer": ["expenditure"], "level": ["auto"],
                                                          "province": ["01"]})
    assert client.get(f"{target.path}?{target.query}").status_code == 200
    assert client.get(f"/?{form}").status_code == 400
    assert 'action="/choose"' in client.get("/?lang=en").get_data(as_text=True)
