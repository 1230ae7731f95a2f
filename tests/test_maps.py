"""The map page and the embed (local assets only, the DOM contract, the state from the URL, no data inlined),
the PNG for reports and the standalone HTML map; both databases."""
import io
import json
import re
from html.parser import HTMLParser

import pytest
from PIL import Image

from layers import REGISTRY
from mapservice.web import exports
from mapservice.read.filters import FilterError
from mapservice.read.mapstate import MapState, parse_map_state, shown_level
from tests.test_pages import client, load_projects, make_client, scaffold_script, site  # noqa: F401 (fixtures)

AREA_CODES = {"01", "0105", "010501", "18"}


class Elements(HTMLParser):
    """Every element's tag and attributes, by id; the option values of each select; every URL attribute."""

    def __init__(self, page):
        super().__init__()
        self.by_id, self.options, self.urls, self.tags = {}, {}, [], []
        self._select = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.by_id[attributes["id"]] = (tag, attributes)
        if tag == "select":
            self._select = attributes.get("id")
            self.options[self._select] = []
        if tag == "option":
            self.options[self._select].append((attributes["value"], "selected" in attributes))
        self.urls += [attributes[name] for name in ("src", "href") if attributes.get(name)]


def selected(elements, select):
    return [value for value, chosen in elements.options[select] if chosen]


@pytest.mark.parametrize("asked, zoom, area_level, expected", [
    ("auto", 6, None, "province"),
    ("auto", 7, None, "province"),
    ("auto", 8, None, "district"),
    ("auto", 9, None, "district"),
    ("auto", 10, None, "commune"),
    ("auto", 14, None, "commune"),
    ("auto", 6, "province", "district"),   # a province is shown by its districts, whatever the zoom
    ("auto", 12, "province", "commune"),
    ("auto", 7, "district", "commune"),
    ("auto", 7, "commune", "commune"),
    ("province", 14, None, "province"),    # an explicit level wins
    ("district", 5, "commune", "district"),
])
def test_shown_level(asked, zoom, area_level, expected):
    assert shown_level(asked, zoom, area_level) == expected


@pytest.mark.parametrize("query, zoom, expected", [
    ({"layer": "budget_by_area"}, 6, "district"),  # budgets are per district and commune: never provinces
    ({"layer": "budget_by_area"}, 10, "commune"),
    ({"layer": "budget_by_area", "province": "01"}, 7, "district"),
    ({"layer": "budget_by_area", "level": "commune"}, 6, "commune"),
    ({"layer": "expenditure"}, 6, "province"),
])
def test_the_budget_layer_is_drawn_by_districts_or_communes(query, zoom, expected):
    state = parse_map_state({**query, "zoom": str(zoom), "lat": "12.6", "lon": "104.9"}, AREA_CODES, 2014, 2019)
    assert state.level_shown == expected


@pytest.mark.parametrize("query, message", [
    ({"layer": "roads"}, 'layer was "roads"; expected one of project_points, project_count, expenditure, budget_vs_actual, '
     'budget_by_area'),
    ({"layer": "budget_by_area", "level": "province"},
     'level was "province"; expected auto or district or commune for the budget_by_area layer'),
    ({"layer": "budget_by_area", "sector": "well"},
     'sector was "well"; expected no sector filter on the budget_by_area layer (it takes year, province, district, commune)'),
    ({"level": "village"}, 'level was "village"; expected one of auto, province, district, commune'),
    ({"view": "list"}, 'view was "list"; expected one of map, table'),
    ({"lat": "91", "lon": "104"}, 'lat was "91"; expected a number from -90 to 90'),
    ({"lat": "12", "lon": "east"}, 'lon was "east"; expected a number from -180 to 180'),
    ({"zoom": "7.5"}, 'zoom was "7.5"; expected a whole number from 0 to 20'),
    ({"zoom": "21"}, 'zoom was "21"; expected a number from 0 to 20'),
    ({"lat": "12.5"}, 'lon was ""; expected both lat and lon, or neither'),
    ({"year": "2013"}, 'year was "2013"; expected a year from 2014 to 2019, or a range such as 2014-2019'),
    ({"province": "99"}, 'province was "99"; expected a province code of 2 digits that exists (see /api/v1/places)'),
])
def test_bad_map_parameters_name_the_parameter(query, message):
    with pytest.raises(FilterError) as raised:
        parse_map_state(query, AREA_CODES, 2014, 2019)
    assert str(raised.value) == message


def test_map_state_round_trips_its_parameters():
    query = {"layer": "project_points", "level": "district", "year": "2015-2016", "district": "0105", "sector": "well",
             "eia_required": "no", "lat": "13.6", "lon": "102.9", "zoom": "11", "view": "table"}
    state = parse_map_state(query, AREA_CODES, 2014, 2019)
    assert state.params() == {"layer": "project_points", "level": "district", "year": "2015-2016", "district": "0105",
                              "sector": "well", "eia_required": "no", "lat": 13.6, "lon": 102.9, "zoom": 11,
                              "view": "table"}
    assert (state.area_level, state.level_shown, MapState().level_shown) == ("district", "district", "province")


def without_card(page):
    """The page without its Open Graph and Twitter-card tags: their (absolute) URLs are for the apps a link is
    shared in, never loaded by the page."""
    cards = re.findall(r'<meta (?:property="og:|name="twitter:)[^>]*>', page)
    assert {url for tag in cards for url in re.findall(r"https?://[^/\s\"'<>]+", tag)} <= {"http://localhost"}
    return re.sub(r'<meta (?:property="og:|name="twitter:)[^>]*>', "", page)


def test_map_page_references_only_local_assets(site):
    page = without_card(site.client.get("/?lang=km").get_data(as_text=True))
    elements = Elements(page)
    assert [url for url in elements.urls if re.match(r"(https?:)?//", url)] == []
    assert re.findall(r"https?://[^\s\"'<>]+", page) == []
    scripts = [a["src"] for tag, a in elements.tags if tag == "script" and "src" in a]
    assert scripts == ["/static/vendor/leaflet/leaflet.js", "/maps/scaffold.js?kind=page&lat=12.6&lon=104.9&zoom=7&lang=km",
                       "/static/js/map-page.js"]
    for url in scripts + [a["href"] for tag, a in elements.tags if tag == "link" and a.get("rel") == "stylesheet"]:
        assert site.client.get(url).status_code == 200, url
    # no dataset goes into the page: the modules fetch the API
    assert "FeatureCollection" not in page and '"coordinates"' not in page and len(page) < 40_000


def test_the_configured_basemap_is_the_only_other_host(site):
    client = make_client(site.db, MAPSERVICE_BASEMAP_URL="https://tiles.example.org/{z}/{x}/{y}.png",
                         MAPSERVICE_BASEMAP_ATTRIBUTION="&copy; Example")
    page = without_card(client.get("/?lang=en").get_data(as_text=True))
    script = scaffold_script(client, page)
    assert set(re.findall(r"https?://[^/\s\"'<>]+", page + script)) == {"https://tiles.example.org"}
    assert 'L.tileLayer(\n                "https://tiles.example.org/{z}/{x}/{y}.png"' in script


CONTRACT_IDS = {
    "map": "div", "layer": "select", "level": "select", "year-from": "input", "year-to": "input", "year-label": "output",
    "sector": "select", "status": "select", "eia": "select", "reset-filters": "button", "search": "input",
    "search-results": "ul", "locate-me": "button", "locate-result": "p", "legend": "div", "summary": "section",
    "chart-years": "svg", "chart-sectors": "svg", "view-table": "button", "table-view": "section",
    "summary-sentence": "p", "share": "button", "share-url": "input", "embed": "button", "embed-dialog": "dialog",
    "embed-code": "textarea", "download-png": "a", "download-html": "a",
}


@pytest.mark.parametrize("lang", ["km", "en"])
def test_map_page_has_the_dom_contract(site, lang):
    page = site.client.get(f"/?lang={lang}").get_data(as_text=True)
    elements = Elements(page)
    assert f'<html lang="{lang}">' in page
    assert {name: elements.by_id[name][0] for name in CONTRACT_IDS if name in elements.by_id} == CONTRACT_IDS
    assert [v for v, _ in elements.options["layer"]] == ["project_points", "project_count", "expenditure", "budget_vs_actual",
                                                        "budget_by_area"]
    assert [v for v, _ in elements.options["level"]] == ["auto", "province", "district", "commune"]
    assert [v for v, _ in elements.options["eia"]] == ["", "yes", "no"]
    for year in ("year-from", "year-to"):
        attributes = elements.by_id[year][1]
        assert {k: attributes[k] for k in ("type", "min", "max", "step")} == {
            "type": "range", "min": "2014", "max": "2019", "step": "1"}
    assert [a["hreflang"] for tag, a in elements.tags if tag == "a" and "hreflang" in a] == ["km", "en"]
    for name in ("projects", "budget", "spent", "top-sectors"):
        assert f'data-summary="{name}"' in page
    assert "legend-title" in page and "legend-classes" in page
    config = json.loads(re.search(r'<script type="application/json" id="app-config">(.*?)</script>', page).group(1))
    assert config["urls"]["api"] == "/api/v1/" and config["usdRate"] == 4100.0 and config["lang"] == lang
    assert config["layers"]["expenditure"]["title"] == REGISTRY["expenditure"].title[lang]


def test_map_page_restores_the_state_of_its_url(site):
    query = ("layer=project_points&level=district&year=2016&sector=well&status=completion&eia_required=no"
             "&province=01&lat=13.5&lon=103.0&zoom=9&view=table&lang=en")
    page = site.client.get(f"/?{query}").get_data(as_text=True)
    elements = Elements(page)
    assert {name: selected(elements, name) for name in ("layer", "level", "sector", "status", "eia")} == {
        "layer": ["project_points"], "level": ["district"], "sector": ["well"], "status": ["completion"], "eia": ["no"]}
    assert (elements.by_id["year-from"][1]["value"], elements.by_id["year-to"][1]["value"]) == ("2016", "2016")
    assert "hidden" not in elements.by_id["table-view"][1]
    assert re.search(r'var map = L\.map\("map", \{center: \[13\.5, 103\.0\], crs: L\.CRS\.EPSG3857,\s*\.\.\.\{\s*"zoom": 9',
                     scaffold_script(site.client, page))
    png = elements.by_id["download-png"][1]["href"]
    assert png == ("/maps/view.png?lang=en&layer=project_points&level=district&year=2016&province=01&sector=well"
                   "&status=completion&eia_required=no&lat=13.5&lon=103.0&zoom=9&view=table")
    links = {a["hreflang"]: a["href"] for tag, a in elements.tags if tag == "a" and "hreflang" in a}
    assert links["km"] == "/?" + query.replace("&lang=en", "") + "&lang=km"


@pytest.mark.parametrize("lang", ["km", "en"])
def test_embed_page_is_one_layer_with_minimal_chrome(site, lang):
    response = site.client.get(f"/embed?layer=project_count&province=01&year=2016&lang={lang}")
    page = response.get_data(as_text=True)
    elements = Elements(page)
    assert response.status_code == 200 and f'<html lang="{lang}">' in page
    assert {"map", "legend"} <= set(elements.by_id) and not {"layer", "summary", "search"} & set(elements.by_id)
    scripts = [a["src"] for tag, a in elements.tags if tag == "script" and "src" in a]
    assert scripts == ["/static/vendor/leaflet/leaflet.js",
                       "/static/vendor/leaflet-gesture-handling/leaflet-gesture-handling.min.js",
                       f"/maps/scaffold.js?kind=embed&lat=12.6&lon=104.9&zoom=7&lang={lang}",
                       "/static/vendor/iframe-resizer/iframeResizer.contentWindow.min.js", "/static/js/embed-page.js"]
    script = scaffold_script(site.client, page)
    assert '"gestureHandling": true' in script
    touch = {"km": "ប្រើម្រាមដៃពីរ ដើម្បីរំកិលផែនទី", "en": "Use two fingers to move the map"}[lang]
    assert json.loads(re.search(r'"touch": ("[^"]*")', script).group(1)) == touch
    assert [url for url in elements.urls if re.match(r"(https?:)?//", url)] == []
    assert 'href="/?lang=' in page  # "open the full map" keeps the state
    assert "mapservice:height" in site.client.get("/static/js/embed-page.js").get_data(as_text=True)


def png_of(client, query):
    response = client.get(f"/maps/view.png?{query}")
    assert (response.status_code, response.mimetype) == (200, "image/png")
    return Image.open(io.BytesIO(response.get_data()))


@pytest.mark.parametrize("lang, place", [("km", "បន្ទាយមានជ័យ"), ("en", "Banteay Meanchey")])
def test_png_is_the_choropleth_titled_in_the_language(site, lang, place):
    image = png_of(site.client, f"layer=expenditure&province=01&year=2015-2016&width=800&height=600&lang={lang}")
    assert (image.format, image.size) == ("PNG", (800, 600))
    assert image.text["Title"] == REGISTRY["expenditure"].title[lang]
    assert image.text["Description"] == f"2015–2016 · {place}"
    # Banteay Meanchey's districts: Ou Chrov spent 48,050,000 riel, the eight others nothing: two classes
    colors = {color for _, color in image.convert("RGB").getcolors(1_000_000)}
    assert {(0xf1, 0xee, 0xf6), (0xbd, 0xc9, 0xe1)} <= colors


def test_png_size_defaults_and_language_from_the_browser(site):
    image = Image.open(io.BytesIO(site.client.get("/maps/view.png?layer=project_count",
                                                  headers={"Accept-Language": "en-US,en;q=0.8"}).get_data()))
    assert image.size == (1200, 900)
    assert image.text["Title"] == "Number of projects per area"


@pytest.mark.parametrize("query, message", [
    ("width=10", 'width was "10"; expected a whole number of pixels from 300 to 3000'),
    ("height=big", 'height was "big"; expected a whole number of pixels from 200 to 3000'),
    ("layer=roads", 'layer was "roads"; expected one of project_points, project_count, expenditure, budget_vs_actual'),
    ("year=20x9", 'year was "20x9"; expected a year from 2014 to 2019, or a range such as 2014-2019'),
    ("lang=fr", 'lang was "fr"; expected km or en'),
])
def test_bad_picture_parameters_are_400(site, query, message):
    for path in ("/maps/view.png", "/maps/view.html"):
        response = site.client.get(f"{path}?{query}")
        if path.endswith(".html") and query.startswith(("width", "height")):
            continue  # the HTML map has no pixel size
        assert response.status_code == 400, path
        assert message in response.get_data(as_text=True).replace("&#34;", '"').replace("&quot;", '"')


@pytest.mark.parametrize("lang, district", [("km", "អូរជ្រៅ"), ("en", "Ou Chrov")])
def test_html_export_is_a_standalone_file(site, lang, district):
    response = site.client.get(f"/maps/view.html?layer=expenditure&province=01&lang={lang}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="expenditure-district-01.html"'
    assert page.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in page
    assert "<script src=" not in page and '<link rel="stylesheet" href=' not in page
    # nothing is loaded from elsewhere (Leaflet's own attribution link to leafletjs.com is only a link)
    assert re.findall(r"""src=["']?https?://|<link[^>]*href=["']?https?://|url\(["']?https?://""", page) == []
    assert "Leaflet 1.9.4" in page and "L.geoJson(" in page  # Leaflet itself is inside
    data = json.loads(re.search(r"_add\((\{\"features\".*?\})\);\n", page).group(1))
    rows = {f["id"]: f["properties"] for f in data["features"]}
    assert sorted(rows) == ["0102", "0103", "0104", "0105", "0106", "0107", "0108", "0109", "0110"]
    money = {"km": "48 លាន រៀល (≈ $12,000)", "en": "48 million riel (≈ $12,000)"}[lang]  # the short forms
    assert rows["0105"] == {"label": district, "value_text": money, "color": "#bdc9e1"}
    assert rows["0102"]["color"] == "#f1eef6"
    assert REGISTRY["expenditure"].title[lang] in page


@pytest.mark.parametrize("query, message", [
    ("layer=expenditure&level=commune",
     'level was "commune"; expected a selection of at most 250 areas for an HTML map (this one has 1,633): '
     "choose a district first, or download the PNG"),
])
def test_html_export_refuses_large_selections(site, query, message):
    response = site.client.get(f"/maps/view.html?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#34;", '"')


def test_html_export_of_points_at_any_zoom_and_its_limit(site, monkeypatch):
    """Two projects in one commune export at the country's zoom; the limit counts projects, the advice fits the view."""
    response = site.client.get("/maps/view.html?layer=project_points&zoom=7&lang=en")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    monkeypatch.setattr(exports, "MAX_EXPORT_PROJECTS", 1)
    for query, message in (
            ("layer=project_points&zoom=7", 'province was ""; expected a selection of at most 1 projects with a '
                                            "point for an HTML map (this one has 3): choose a province"),
            ("layer=project_points&province=01&district=0105", "this one has 2): choose a commune"),
            ("layer=project_points&district=0105", 'commune was ""; expected a selection of at most 1 projects with a '
                                                   "point for an HTML map (this one has 2): choose a commune"),
            ("layer=project_points&province=01&district=0105&commune=010501,010502",
             "this one has 2): narrow the years, the sector or the status")):
        response = site.client.get(f"/maps/view.html?{query}&lang=en")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True).replace("&#34;", '"'), query
