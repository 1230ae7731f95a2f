"""The app's vector tiles in MapLibre GL JS: a page of another origin gives MapLibre a style whose sources are the
TileJSON URLs of the communes (year=2016) and of the projects; MapLibre reads them, loads the tiles of their templates
in its workers, and draws a fill layer coloured by `expenditure` and a circle layer. The test reads the features back
from MapLibre (querySourceFeatures, queryRenderedFeatures) and compares them with the API and the database.

MapLibre needs WebGL: this module launches its own Chromium with SwiftShader (ANGLE's software Vulkan backend, shipped
with Debian's chromium) on top of the usual flags. SpatiaLite only (the data layer is tested on both databases
elsewhere)."""
import io
import json
import re
import urllib.request
from urllib.parse import urlencode

import pytest
from PIL import Image

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, COMMUNES, READY_TIMEOUT_MS, new_context

pytestmark = pytest.mark.browser

# Software WebGL. With --disable-gpu, WebGL can only come from SwiftShader; Chromium is phasing out that silent
# fallback (it will need --enable-unsafe-swiftshader). Debian's headless Chromium 156 still gives it without these
# flags, but the test asks for it explicitly rather than depend on the default.
WEBGL_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
YEAR = 2016
ZOOM = 8  # MapLibre's 512 px tiles: the 8 communes of the known projects fit in the 512 x 512 map
# The page's colours (maplibre_tiles.html): fill by expenditure, red circles
SPENT, SPENT_MORE, PROJECT = (0x74, 0xA9, 0xCF), (0x04, 0x5A, 0x8D), (0xD7, 0x30, 0x1F)


@pytest.fixture(scope="module")
def webgl_browser(browser):
    """Another headless Chromium of the session's Playwright, with software WebGL."""
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + WEBGL_ARGS)
    yield chromium
    chromium.close()


def api(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def features(page, query):
    """Features MapLibre returns for ``query`` (JS evaluated with `map` in scope), as {id, properties}."""
    return page.evaluate(f"(() => ({query}).map(f => ({{id: f.id, properties: f.properties}})))()")


def pixels(page, color, tolerance=6):
    """How many pixels of the map's screenshot are ``color``."""
    with Image.open(io.BytesIO(page.locator("#map canvas").screenshot())) as image:
        counts = image.convert("RGB").getcolors(maxcolors=1_000_000)
    return sum(n for n, rgb in counts if all(abs(a - b) <= tolerance for a, b in zip(rgb, color)))


def test_maplibre_reads_the_tilejson_and_draws_the_tiles(webgl_browser, host_server, live_server, dataset):
    context = new_context(webgl_browser)
    page = context.new_page()
    errors, responses = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # the context sees the requests of the page's workers too (MapLibre fetches tiles in workers)
    context.on("response", lambda r: responses.append((r.url, r.status, r.headers.get("content-type", ""),
                                                       r.headers.get("content-length"))))
    points = {code: (lon, lat) for code, lon, lat in dataset.database.rows(
        "SELECT code, label_lon, label_lat FROM admin_area WHERE level = 'commune'")}
    lon = sum(points[code][0] for code in COMMUNES) / len(COMMUNES)
    lat = sum(points[code][1] for code in COMMUNES) / len(COMMUNES)
    query = urlencode({"app": live_server, "year": YEAR, "lat": round(lat, 5), "lon": round(lon, 5), "zoom": ZOOM})
    try:
        page.goto(f"{host_server}/pages/maplibre_tiles.html?{query}")
        page.wait_for_function("window.__maplibre && (window.__maplibre.idle || window.__maplibre.errors.length)",
                               timeout=READY_TIMEOUT_MS)
        report = page.evaluate("window.__maplibre")
        assert report["webgl"], "no WebGL in this Chromium: MapLibre cannot draw"
        assert report["errors"] == [] and errors == [], (report["errors"], errors)

        # the tiles MapLibre asked for are the TileJSON templates: communes with the year, projects without a filter
        tile_url = re.compile(rf"^{re.escape(live_server)}/tiles/(communes|projects)/\d+/\d+/\d+\.mvt(\?.*)?$")
        assert report["tiles"] and all(tile_url.match(url) for url in report["tiles"]), report["tiles"]
        by_layer = {name: [url for url in report["tiles"] if f"/tiles/{name}/" in url]
                    for name in ("communes", "projects")}
        assert by_layer["communes"] and all(url.endswith(f".mvt?year={YEAR}") for url in by_layer["communes"])
        assert by_layer["projects"] and all(url.endswith(".mvt") for url in by_layer["projects"])
        assert all(f"/{ZOOM}/" in url for url in report["tiles"]), report["tiles"]
        fetched = {url: (status, kind, size) for url, status, kind, size in responses if ".mvt" in url}
        assert set(fetched) == set(report["tiles"]), "every tile MapLibre asked for was fetched, and no other"
        assert all(status == 200 and kind.startswith("application/vnd.mapbox-vector-tile")
                   for status, kind, _ in fetched.values()), fetched
        # the view reaches into Thailand: empty tiles (200, no body) are read as "no features", without an error
        assert any(size == "0" for _, _, size in fetched.values()), fetched
        tilejson = {url for url, *_ in responses if "/tiles/" in url and ".json" in url}
        assert tilejson == {f"{live_server}/tiles/communes.json?year={YEAR}", f"{live_server}/tiles/projects.json"}
        attribution = api(f"{live_server}/tiles/communes.json?year={YEAR}")["attribution"]
        assert attribution in page.inner_html(".maplibregl-ctrl-attrib-inner")  # the TileJSON's, with its links

        # communes: the tiles' expenditure for 2016 is the API's, for the known projects' communes and the others
        expected = {f["properties"]["code"]: f["properties"]
                    for f in api(f"{live_server}/api/v1/layers/expenditure?level=commune&year={YEAR}")["features"]}
        decoded = features(page, "map.querySourceFeatures('communes', {sourceLayer: 'communes'})")
        communes = {}
        for feature in decoded:
            code = feature["properties"]["code"]
            assert feature["id"] == int(code), feature  # the feature id is the code as a number
            assert communes.setdefault(code, feature["properties"]) == feature["properties"], code  # same in every tile
        assert set(COMMUNES) <= set(communes), sorted(set(COMMUNES) - set(communes))
        assert set(communes) <= set(expected)
        for code, properties in communes.items():
            assert properties["expenditure"] == expected[code]["expenditure"], (code, properties, expected[code])
            assert properties["project_count"] == expected[code]["project_count"], (code, properties, expected[code])
            assert (properties["name_en"], properties["name_km"]) == (expected[code]["name_en"],
                                                                      expected[code]["name_km"])
        spent = {code for code in COMMUNES if expected[code]["expenditure"] > 0}
        assert spent == set(COMMUNES)  # every commune of the known projects has 2016 spending
        assert all(communes[code]["expenditure"] == 0 for code in set(communes) - set(COMMUNES))
        rendered = features(page, "map.queryRenderedFeatures({layers: ['communes-fill']})")
        assert set(COMMUNES) <= {f["properties"]["code"] for f in rendered}

        # projects: points with their project_id (promoteId makes it the feature id), as stored
        decoded = features(page, "map.querySourceFeatures('projects', {sourceLayer: 'projects'})")
        projects = {f["properties"]["project_id"]: f for f in decoded}
        assert projects, "no project point in the tiles"
        assert all(f["id"] == f["properties"]["project_id"] for f in decoded)
        assert {dataset.project(pid)["commune_code"] for pid in projects} == set(COMMUNES)  # thinned, never emptied
        for project_id, feature in projects.items():
            stored = dataset.project(project_id)
            assert feature["properties"]["fiscal_year"] == int(stored["fiscal_year"]), feature
            assert feature["properties"].get("expenditure") == stored["expenditure"], (feature, stored["expenditure"])
        rendered = features(page, "map.queryRenderedFeatures({layers: ['projects']})")
        assert rendered and {f["id"] for f in rendered} <= set(projects)

        # and it is drawn: spending communes in the fill's blues, project points in red
        assert pixels(page, SPENT) + pixels(page, SPENT_MORE) > 500
        assert pixels(page, PROJECT) > 20
        assert errors == [] and page.evaluate("window.__maplibre.errors") == []
    finally:
        context.close()
