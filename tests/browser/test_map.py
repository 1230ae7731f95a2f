"""The map page in headless Chromium against the DOM contract: languages, layers and levels with the API's
legend, the year filter, the project popup (every field against the database), XSS, the table view, the share
URL and the PNG download. SpatiaLite only (the data layer is tested on both databases elsewhere)."""
import io
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from PIL import Image

from mapservice.store import vocabulary
from tests.browser.conftest import COMMUNES, KHMER_TITLE, XSS_TITLE, XSS_TITLE_KM

pytestmark = pytest.mark.browser

KHMER = re.compile(r"[\u1780-\u17FF]")
MONEY_FIELDS = ("budget", "contract_value", "expenditure")
DATE_FIELDS = ("planned_start", "planned_end", "actual_start", "actual_end")
TEXT_FIELDS = ("title_km", "title_en", "contract_number", "awarded_tenderer")
CODE_FIELDS = {"sector": vocabulary.SECTORS, "project_type": vocabulary.PROJECT_TYPES,
               "eia_status": vocabulary.EIA_STATUSES}
POPUP_FIELDS = (TEXT_FIELDS + MONEY_FIELDS + DATE_FIELDS + tuple(CODE_FIELDS)
                + ("number_of_bidders", "eia_required", "location_precision"))


def layer_responses(map_page, name):
    """URLs of the layer GeoJSON the page fetched, in order."""
    return [url for url in map_page.responses if f"/api/v1/layers/{name}?" in url or url.endswith(f"/layers/{name}")]


def choose(map_page, selector, value):
    """Pick an option and wait for the data layer's redraw."""
    before = map_page.drawn()
    map_page.page.select_option(selector, value)
    map_page.wait_drawn_after(before)


def assert_legend_matches(map_page, api):
    """#legend shows the API's classes in order (bounds in data-min/data-max), and its title."""
    classes = api["legend"]["classes"]
    shown = map_page.attributes("#legend .legend-class", "data-min", "data-max")
    extra = shown[len(classes):]
    assert len(shown) - len(classes) in (0, 1), (shown, classes)
    assert all(not item["data-max"] for item in extra), f"only a 'no data' item may follow the classes: {extra}"
    bounds = [(item["data-min"] or None, item["data-max"] or None) for item in shown[:len(classes)]]
    expected = [(None if c["min"] is None else _number_text(c["min"]), None if c["max"] is None
                 else _number_text(c["max"])) for c in classes]
    assert [tuple(None if v is None else _number_text(float(v)) for v in pair) for pair in bounds] == expected
    lang = map_page.page.evaluate("document.documentElement.lang")
    assert api["legend"]["title"][lang] in map_page.page.inner_text("#legend")


def _number_text(value):
    return f"{float(value):.6g}"


def area_codes_on_map(map_page):
    """Codes of the choropleth areas drawn, sorted."""
    return sorted(item["data-code"] for item in map_page.attributes("#map path.area", "data-code"))


def test_page_in_khmer_by_default_and_in_english(map_page, dataset):
    for query, lang in (("", "km"), ("lang=en", "en")):
        map_page.open(query)
        page = map_page.page
        assert page.evaluate("document.documentElement.lang") == lang
        layers = {layer["name"]: layer["title"][lang] for layer in map_page.api("/api/v1/layers")["layers"]}
        options = dict(page.eval_on_selector_all("select#layer option", "os => os.map(o => [o.value, o.text.trim()])"))
        assert options == {name: layers[name] for name in
                           ("project_points", "project_count", "expenditure", "budget_vs_actual", "budget_by_area")}
        sectors = dict(page.eval_on_selector_all("select#sector option", "os => os.map(o => [o.value, o.text.trim()])"))
        label = 0 if lang == "en" else 1
        assert {code: text for code, text in sectors.items() if code} == {
            code: labels[label] for code, labels in vocabulary.SECTORS.items()}
        page.click("button#view-table")
        table = page.inner_text("#table-view")
        # place names in the page's script: Banteay Meanchey holds known projects
        assert ("បន្ទាយមានជ័យ" in table) == (lang == "km") and ("Banteay Meanchey" in table) == (lang == "en")
        assert bool(KHMER.search(page.inner_text("label[for=layer]"))) == (lang == "km")
        other = "en" if lang == "km" else "km"
        assert parse_qs(urlsplit(page.get_attribute(f"a[hreflang={other}]", "href")).query)["lang"] == [other]
    assert map_page.errors == []


def test_the_browser_language_chooses_when_the_url_does_not(open_page):
    english = open_page(locale="en-US").open()
    assert english.page.evaluate("document.documentElement.lang") == "en"
    assert english.page.inner_text("label[for=layer]") == "Layer"


def test_language_links_keep_the_state(map_page):
    map_page.open("layer=project_count&level=district&year=2016&sector=well&lang=en")
    params = parse_qs(urlsplit(map_page.page.get_attribute("a[hreflang=km]", "href")).query)
    assert {k: params.get(k) for k in ("layer", "level", "year", "sector", "lang")} == {
        "layer": ["project_count"], "level": ["district"], "year": ["2016"], "sector": ["well"], "lang": ["km"]}


def test_switching_layer_and_level_redraws_with_the_api_legend(map_page):
    map_page.open("lang=en&layer=project_count&level=province")
    choose(map_page, "select#layer", "expenditure")
    api = map_page.api(layer_responses(map_page, "expenditure")[-1])
    assert area_codes_on_map(map_page) == sorted(f["properties"]["code"] for f in api["features"])
    assert len(api["features"]) == 25
    assert_legend_matches(map_page, api)

    choose(map_page, "select#level", "district")
    api = map_page.api(layer_responses(map_page, "expenditure")[-1])
    assert "level=district" in layer_responses(map_page, "expenditure")[-1]
    assert len(area_codes_on_map(map_page)) == len(api["features"]) == 197
    assert_legend_matches(map_page, api)

    choose(map_page, "select#layer", "budget_vs_actual")
    api = map_page.api(layer_responses(map_page, "budget_vs_actual")[-1])
    assert_legend_matches(map_page, api)
    assert map_page.errors == []


def summary_values(map_page):
    """The raw numbers of the summary: projects, budget, spent."""
    return {item["data-summary"]: int(item["data-value"]) for item in map_page.attributes(
        "#summary [data-summary=projects], #summary [data-summary=budget], #summary [data-summary=spent]",
        "data-summary", "data-value")}


def test_year_slider_numbers_match_the_api(map_page, dataset):
    map_page.open("lang=en&layer=expenditure&level=province")
    everything = map_page.api("/api/v1/statistics?level=province")["totals"]
    assert summary_values(map_page) == {"projects": 48, "budget": everything["budget"],
                                        "spent": everything["expenditure"]}
    for selector in ("input#year-from", "input#year-to"):
        before = map_page.drawn()
        map_page.page.fill(selector, "2016")
        map_page.wait_drawn_after(before)
    totals = map_page.api("/api/v1/statistics?level=province&year=2016")["totals"]
    stored = dataset.database.rows("SELECT count(*), sum(budget), sum(expenditure) FROM project "
                                   "WHERE fiscal_year = 2016")[0]
    assert (totals["project_count"], totals["budget"], totals["expenditure"]) == tuple(stored)
    assert summary_values(map_page) == {"projects": stored[0], "budget": stored[1], "spent": stored[2]}
    assert "2016" in map_page.page.inner_text("#year-label")
    bars = {item["data-value"] for item in map_page.attributes("#chart-years [data-value]", "data-value")}
    assert str(stored[0]) in bars or str(stored[2]) in bars, bars


def project_url(dataset, project_id, lang="en", zoom=16):
    """The query of the points layer centred on a project (zoomed in so that markers show)."""
    row = dataset.project(project_id)
    return f"lang={lang}&layer=project_points&lat={row['lat']:.6f}&lon={row['lon']:.6f}&zoom={zoom}"


def open_popup(map_page, project_id):
    """Click a project's marker; its popup's [data-field] elements by field."""
    marker = f".project-marker[data-project-id='{project_id}']"
    map_page.page.wait_for_selector(marker, timeout=10_000)
    map_page.page.click(marker)
    map_page.page.wait_for_selector("#details [data-field=title_km]", timeout=10_000)
    shown = map_page.attributes("#details [data-field]", "data-field", "data-value", "datetime", "href")
    return {item["data-field"]: item for item in shown}


@pytest.mark.parametrize("project_id", ["BT-01", "BT-18"])
def test_project_popup_shows_every_field_of_the_record(map_page, dataset, project_id):
    record = map_page.api(f"/api/v1/projects/{project_id}")
    stored = dataset.project(project_id)
    for name in MONEY_FIELDS + ("contract_number", "awarded_tenderer", "number_of_bidders", "eia_required"):
        assert record[name] == stored[name], name  # the API serves the stored record
    map_page.open(project_url(dataset, project_id))
    shown = open_popup(map_page, project_id)
    problems = [problem for name in POPUP_FIELDS if (problem := field_problem(name, shown.get(name), record[name]))]
    assert problems == [], "\n".join(problems)
    assert urlsplit(shown["project_page"]["href"]).path == f"/projects/{project_id}"
    if record["pid_url"]:
        assert shown["pid_url"]["href"] == record["pid_url"]
    else:
        assert "pid_url" not in shown or not shown["pid_url"]["href"]
    assert map_page.errors == []


def field_problem(name, element, value):
    """Why a popup element does not show the record's value (None when it does)."""
    if value is None:
        ok = element is None or not element["data-value"] or element["data-value"] == ""
        return None if ok else f"{name}: record has no value, popup shows {element}"
    if element is None:
        return f"{name}: missing from the popup (record: {value!r})"
    raw = element["data-value"]
    if name in TEXT_FIELDS:
        expected, got = str(value), element["text"]
    elif name in MONEY_FIELDS or name == "number_of_bidders":
        expected, got = str(value), raw
    elif name in DATE_FIELDS:
        expected, got = value, raw or element["datetime"]
    elif name == "eia_required":
        expected, got = "true" if value else "false", raw
    else:
        expected, got = value, raw
        labels = CODE_FIELDS.get(name)
        if labels and element["text"] != labels[value][0]:
            return f"{name}: text {element['text']!r}, expected the label {labels[value][0]!r}"
    return None if got == expected else f"{name}: expected {expected!r}, got {got!r}"


def test_titles_are_text_never_html(map_page, dataset):
    map_page.page.add_init_script("window.__xss = undefined;")
    map_page.open(project_url(dataset, "BT-10"))
    shown = open_popup(map_page, "BT-10")
    assert shown["title_en"]["text"] == XSS_TITLE
    assert shown["title_km"]["text"] == XSS_TITLE_KM
    assert map_page.page.query_selector("#details img, #details script") is None
    map_page.page.fill("input#search", "onerror")
    button = map_page.page.wait_for_selector("#search-results li > button[data-project-id='BT-10']", timeout=10_000)
    assert XSS_TITLE in button.text_content()
    assert map_page.page.evaluate("typeof window.__xss") == "undefined"


def test_search_finds_khmer_places_and_titles(map_page):
    map_page.open()
    map_page.page.fill("input#search", "អូរជ្រៅ")
    map_page.page.wait_for_selector("#search-results li > button[data-code='0105']", timeout=10_000)
    map_page.page.fill("input#search", KHMER_TITLE[:6])
    button = map_page.page.wait_for_selector("#search-results li > button[data-project-id='BT-03']", timeout=10_000)
    assert button.text_content().strip().startswith(KHMER_TITLE)


def test_table_view_has_the_summary_totals_and_a_sentence(map_page, dataset):
    map_page.open("lang=en&layer=expenditure&year=2016&province=01")
    map_page.page.click("button#view-table")
    map_page.page.wait_for_selector("#table-view", state="visible")
    stored = dataset.database.rows("SELECT count(*), sum(budget), sum(expenditure) FROM project "
                                   "WHERE fiscal_year = 2016 AND province_code = '01'")[0]
    summary = summary_values(map_page)
    assert summary == {"projects": stored[0], "budget": stored[1], "spent": stored[2]}
    columns = {}
    for item in map_page.attributes("#table-view tbody td[data-column][data-value]", "data-column", "data-value"):
        columns[item["data-column"]] = columns.get(item["data-column"], 0) + int(item["data-value"])
    assert columns == summary
    sentence = map_page.page.inner_text("#summary-sentence")
    assert "2016" in sentence and f"{stored[0]:,}" in sentence and "Banteay Meanchey" in sentence, sentence
    assert sentence.rstrip().endswith(".")


def map_params(map_page):
    """The state the page shares: click #share and parse input#share-url."""
    map_page.page.click("button#share")
    map_page.page.wait_for_function("document.querySelector('input#share-url').value.length > 0")
    url = map_page.page.input_value("input#share-url")
    return url, {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def drag_map(page, dx, dy):
    """Pan the map with the mouse by (dx, dy) pixels."""
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 6):
        page.mouse.move(x + dx * step / 5, y + dy * step / 5)
    page.mouse.up()


def test_share_url_restores_the_whole_state(map_page, open_page):
    map_page.open("lang=en")
    page = map_page.page
    choose(map_page, "select#layer", "project_count")
    choose(map_page, "select#level", "district")
    for selector, value in (("input#year-from", "2015"), ("input#year-to", "2016")):
        before = map_page.drawn()
        page.fill(selector, value)
        map_page.wait_drawn_after(before)
    choose(map_page, "select#sector", "rural_road")
    drag_map(page, -150, 80)
    url, params = map_params(map_page)
    assert {k: params.get(k) for k in ("layer", "level", "year", "sector", "lang")} == {
        "layer": "project_count", "level": "district", "year": "2015-2016", "sector": "rural_road", "lang": "en"}
    assert {"lat", "lon", "zoom"} <= params.keys()
    restored = open_page()
    restored.page.goto(url)
    restored.wait_ready()
    values = {selector: restored.page.input_value(selector) for selector in (
        "select#layer", "select#level", "select#sector", "input#year-from", "input#year-to")}
    assert values == {"select#layer": "project_count", "select#level": "district", "select#sector": "rural_road",
                      "input#year-from": "2015", "input#year-to": "2016"}
    _, again = map_params(restored)
    assert float(again["lat"]) == pytest.approx(float(params["lat"]), abs=0.01)
    assert float(again["lon"]) == pytest.approx(float(params["lon"]), abs=0.01)
    assert again["zoom"] == params["zoom"]
    assert summary_values(restored) == summary_values(map_page)


def test_png_download_is_a_png_of_the_view(map_page):
    map_page.open("lang=en&layer=expenditure&level=province&year=2016")
    href = urljoin(map_page.page.url, map_page.page.get_attribute("a#download-png", "href"))
    params = parse_qs(urlsplit(href).query)
    assert params["layer"] == ["expenditure"] and params["year"] == ["2016"]
    response = map_page.page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.body()))
    assert image.format == "PNG" and 300 <= image.width <= 3000 and 200 <= image.height <= 3000
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 10, "the PNG is nearly blank"


def test_projects_of_a_commune_appear_as_markers_when_zoomed_in(map_page, dataset):
    commune = COMMUNES[0]
    ids = [row[0] for row in dataset.database.rows(
        "SELECT project_id FROM project WHERE commune_code = :c ORDER BY project_id", c=commune)]
    map_page.open(project_url(dataset, ids[0], zoom=14))
    map_page.page.wait_for_selector(".project-marker[data-project-id]", timeout=10_000)
    shown = {item["data-project-id"] for item in map_page.attributes(".project-marker", "data-project-id")}
    assert set(ids) <= shown


def test_street_zoom_projects_come_from_the_vector_tiles_with_the_filters(map_page, dataset):
    rows = dataset.database.rows("SELECT project_id, fiscal_year FROM project WHERE commune_code = :c "
                                 "ORDER BY project_id", c=COMMUNES[0])
    year = rows[0][1]
    map_page.open(project_url(dataset, rows[0][0], zoom=14) + f"&year={year}")
    map_page.page.wait_for_selector(".project-marker[data-project-id]", timeout=10_000)
    tiles = [url for url in map_page.responses if "/tiles/projects/14/" in url]
    assert tiles and all(parse_qs(urlsplit(url).query) == {"year": [str(year)]} for url in tiles), tiles
    assert not layer_responses(map_page, "project_points"), "no GeoJSON points at street zooms"
    shown = {item["data-project-id"] for item in map_page.attributes(".project-marker", "data-project-id")}
    assert {pid for pid, fiscal_year in rows if fiscal_year == year} <= shown
    assert all(dataset.project(pid)["fiscal_year"] == year for pid in shown), "the tiles applied the year filter"


def test_clicking_an_area_drills_down_and_sets_it_in_the_url(map_page):
    map_page.open("lang=en&layer=project_count&level=province")
    before = map_page.drawn()
    map_page.page.locator("#map path.area[data-code='01']").click()
    map_page.wait_drawn_after(before)
    assert parse_qs(urlsplit(map_page.page.url).query)["province"] == ["01"]
    districts = map_page.api("/api/v1/statistics?level=district&province=01")["areas"]
    assert area_codes_on_map(map_page) == sorted(area["code"] for area in districts)
    assert summary_values(map_page)["projects"] == sum(area["project_count"] for area in districts) == 24


def leaflet_size_and_box(page):
    """Leaflet's idea of the map's size, and the map's box on the page, in whole pixels."""
    return page.evaluate("""() => { const r = document.getElementById('map').getBoundingClientRect();
        const size = window.map.getSize(); return [[size.x, size.y], [Math.round(r.width), Math.round(r.height)]]; }""")


def paths_outside_the_map(page, selector):
    """The codes of the areas of ``selector`` that are drawn (partly) outside the map's box."""
    return page.evaluate("""(selector) => { const map = document.getElementById('map').getBoundingClientRect();
        return [...document.querySelectorAll(selector)].filter((path) => { const r = path.getBoundingClientRect();
          return r.left < map.left - 1 || r.top < map.top - 1 || r.right > map.right + 1 || r.bottom > map.bottom + 1;
        }).map((path) => path.dataset.code); }""", selector)


def test_the_first_view_and_a_chosen_area_fit_the_map_as_it_is_shown(map_page):
    """The panels around the map settle after the first view (the list of areas fills, the area bar shows): the
    map keeps its size or Leaflet is told, so the whole country fits the first view and a province clicked fits
    the view it is zoomed to (the view was fitted to a taller map, the south of the country hidden)."""
    page = map_page.open("lang=en&layer=project_count&level=province").page
    size, box = leaflet_size_and_box(page)
    assert size == box
    assert page.eval_on_selector_all("#map path.area", "els => els.length") == 25
    assert paths_outside_the_map(page, "#map path.area") == []
    before = map_page.drawn()
    page.locator("#map path.area[data-code='01']").click()
    map_page.wait_drawn_after(before)
    assert page.is_visible("#area-bar")
    size, box = leaflet_size_and_box(page)
    assert size == box
    # the province's districts fill the view it was fitted to, inside the map
    assert paths_outside_the_map(page, "#map path.area") == []


def test_embed_code_holds_the_current_state(map_page, live_server):
    map_page.open("lang=km&layer=project_count&level=district&year=2016&sector=bridge")
    map_page.page.click("button#embed")
    map_page.page.wait_for_selector("dialog#embed-dialog[open] textarea#embed-code")
    code = map_page.page.input_value("textarea#embed-code")
    src = re.search(r'<iframe[^>]* src="([^"]+)"', code).group(1).replace("&amp;", "&")
    assert src.startswith(f"{live_server}/embed?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(src).query).items()}
    assert {k: params.get(k) for k in ("layer", "level", "year", "sector", "lang")} == {
        "layer": "project_count", "level": "district", "year": "2016", "sector": "bridge", "lang": "km"}
    assert re.search(r'<iframe[^>]* title="[^"]+"', code), "an iframe needs a title for screen readers"


def test_locate_me_names_the_commune_of_the_device(open_page, dataset):
    row = dataset.project("BT-01")  # an exact point in Banteay Neang (010201)
    located = open_page(geolocation={"latitude": row["lat"], "longitude": row["lon"]}, permissions=["geolocation"])
    located.open()
    located.page.click("button#locate-me")
    located.page.wait_for_function("document.querySelector('#locate-result').textContent.includes('បន្ទាយនាង')",
                                   timeout=10_000)


def test_filters_without_a_control_apply_from_the_url_and_are_shared(map_page, dataset):
    map_page.open("lang=en&layer=expenditure&level=province&eia_status=approved")
    fetched = layer_responses(map_page, "expenditure")[-1]
    assert "eia_status=approved" in fetched
    api = map_page.api(fetched)
    stored = dataset.database.rows("SELECT count(*) FROM project WHERE eia_status = 'approved'")[0][0]
    assert 0 < sum(f["properties"]["project_count"] for f in api["features"]) == stored
    assert summary_values(map_page)["projects"] == stored
    _, params = map_params(map_page)
    assert params["eia_status"] == "approved"
