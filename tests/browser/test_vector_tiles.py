"""The app's vector tiles in a real client: Leaflet + Leaflet.VectorGrid on a page of another origin reads the
TileJSON of the commune layer, loads /tiles/communes/{z}/{x}/{y}.mvt, decodes the tiles and draws their features.
SpatiaLite only (the data layer is tested on both databases elsewhere)."""
from urllib.parse import urlencode

import pytest

from tests.browser.conftest import READY_TIMEOUT_MS

pytestmark = pytest.mark.browser

MVT_TYPES = ("application/vnd.mapbox-vector-tile", "application/x-protobuf")


def test_vector_grid_draws_the_commune_tiles(map_page, host_server, live_server, dataset):
    page = map_page.page
    tiles = []
    page.on("response", lambda r: tiles.append((r.url, r.status, r.headers.get("content-type", "")))
            if r.url.endswith(".mvt") or ".mvt?" in r.url else None)
    query = urlencode({"app": live_server, "layer": "communes", "lat": 13.6, "lon": 103.0, "zoom": 9})
    page.goto(f"{host_server}/pages/vector_tiles.html?{query}")
    page.wait_for_function("window.__tiles && window.__tiles.done", timeout=READY_TIMEOUT_MS)
    report = page.evaluate("window.__tiles")
    assert report["errors"] == [], report["errors"]
    assert report["tilejson"]["tiles"][0] == f"{live_server}/tiles/communes/{{z}}/{{x}}/{{y}}.mvt"
    assert set(report["layers"]) <= {layer["id"] for layer in report["tilejson"]["vector_layers"]}
    assert tiles, "the page requested no tiles"
    failed = [(url, status) for url, status, _ in tiles if status != 200]
    assert failed == [], f"tile requests that failed: {failed}"
    assert all(kind.split(";")[0] in MVT_TYPES for _, _, kind in tiles), tiles
    assert report["loaded"] == len({url for url, _, _ in tiles}) and report["features"] > 0, report
    drawn = page.evaluate("document.querySelectorAll('#map .leaflet-tile path').length")
    assert drawn > 0, f"VectorGrid decoded {report['features']} features but drew none"
    # the tiles carry the communes' codes and totals: Banteay Neang (010201) holds 6 known projects
    communes = {code for (code,) in dataset.database.rows("SELECT code FROM admin_area WHERE level = 'commune'")}
    assert set(report["properties"]) <= communes and "010201" in report["properties"]
    assert report["properties"]["010201"]["project_count"] == dataset.database.rows(
        "SELECT count(*) FROM project WHERE commune_code = '010201'")[0][0]
    assert map_page.errors == []
