"""A dense street-zoom view (a city at 1M projects holds thousands of points per tile): the map page draws them on
one canvas, not as one element each, and a project is still reached by a click (the popup) and by the keyboard
(the list of the view), and the table view lists the first 500. The dense tile is made here (mapbox_vector_tile, the service's own encoder on SpatiaLite)
and answered in place of the one tile holding BT-01, with BT-01 itself in it; the other tiles come from the app.
SpatiaLite only."""
import math
import re

import mapbox_vector_tile
import pytest

from mapservice.formats import tiles
from tests.browser.test_map import project_url

pytestmark = pytest.mark.browser

ZOOM = 14
GRID = 45  # 2,025 points in the tile, one every 91 units (~6 px at 256 px a tile)
CLEAR_UNITS = 400  # no made-up point within ~25 px of BT-01: a click there is BT-01's
KHMER = re.compile(r"[\u1780-\u17FF]")


def tile_of(lon, lat, z):
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return math.floor((lon + 180) / 360 * n), math.floor(y)


def units_in(lon, lat, z, x, y):
    xmin, ymin, xmax, ymax = tiles.tile_bounds(z, x, y)
    mx, my = tiles.to_mercator(lon, lat)
    return (round((float(mx) - xmin) / (xmax - xmin) * tiles.EXTENT),
            round((ymax - float(my)) / (ymax - ymin) * tiles.EXTENT))


def dense_tile(project, z, x, y):
    """A projects tile of GRID x GRID made-up projects (Khmer titles) and the real ``project`` at its point."""
    own = units_in(project["lon"], project["lat"], z, x, y)
    features = [{"geometry": f"POINT ({own[0]} {own[1]})", "properties": {
        "project_id": project["project_id"], "title_km": project["title_km"], "title_en": project["title_en"],
        "sector": project["sector"], "fiscal_year": int(project["fiscal_year"]), "budget": int(project["budget"])}}]
    step = tiles.EXTENT // GRID
    for i in range(GRID):
        for j in range(GRID):
            point = (step // 2 + i * step, step // 2 + j * step)
            if abs(point[0] - own[0]) < CLEAR_UNITS and abs(point[1] - own[1]) < CLEAR_UNITS:
                continue
            features.append({"geometry": f"POINT ({point[0]} {point[1]})", "properties": {
                "project_id": f"DENSE-{i:02d}{j:02d}", "title_km": f"ផ្លូវក្រុង {i}-{j}",
                "title_en": f"Zone street {i}-{j}", "sector": "rural_road", "fiscal_year": 2016, "budget": 1000}})
    body = mapbox_vector_tile.encode([{"name": "projects", "features": features}],
                                     default_options={"extents": tiles.EXTENT, "y_coord_down": True})
    return body, len(features)


def test_a_dense_street_view_is_drawn_on_a_canvas_and_reached_by_click_and_keyboard(map_page, dataset):
    project = dataset.project("BT-01")
    x, y = tile_of(project["lon"], project["lat"], ZOOM)
    body, count = dense_tile(project, ZOOM, x, y)
    asked = []

    def answer(route):
        asked.append(route.request.url)
        route.fulfill(status=200, body=body, headers={"Content-Type": tiles.MVT})
    map_page.page.route(re.compile(rf"/tiles/projects/{ZOOM}/{x}/{y}\.mvt(\?|$)"), answer)
    map_page.open(project_url(dataset, "BT-01", zoom=ZOOM).replace("lang=en", "lang=km"))
    page = map_page.page
    assert asked, "the page did not ask for the tile of BT-01"
    assert page.get_attribute("#map", "data-points") == "canvas"
    # ~2,000 points drawn: no marker element, the map's DOM as small as with a handful of markers
    assert page.locator("#map .project-marker").count() == 0
    assert page.locator("#map .leaflet-overlay-pane canvas").count() == 1
    assert page.evaluate("document.querySelectorAll('#map *').length") < 250
    listed = page.locator("#areas-in-view button[data-project-id]")
    assert listed.count() == 150  # the list's cap, with the note of how many are in view
    note = page.text_content("#areas-in-view .area-list-note")
    assert KHMER.search(note) and "150" in note.translate(str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")), note

    # a click on BT-01's point (the centre of the map) opens its popup from /api/v1/projects/BT-01
    page.locator("#map").click()
    page.wait_for_selector("#details .project-popup[data-project-id='BT-01']", timeout=10_000)
    assert page.text_content("#details [data-field=title_km]").strip() == project["title_km"]
    page.keyboard.press("Escape")

    # the keyboard: the list (one Tab stop), the arrow keys, Enter on a made-up project asks the API for it
    first = listed.first
    first.focus()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.dataset.projectId")
    assert focused and focused != first.get_attribute("data-project-id")
    with page.expect_request(lambda request: request.url.endswith(f"/api/v1/projects/{focused}")):
        page.keyboard.press("Enter")
    page.keyboard.press("Escape")

    # the table view lists the first 500 of them, and its caption says so (in Khmer)
    page.click("button#view-table")
    page.wait_for_selector("#table-view", state="visible")
    assert page.locator("#view-table-data tbody tr").count() == 500
    caption = page.text_content("#view-table-data caption")
    assert KHMER.search(caption) and "500" in caption.translate(str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")), caption
    assert map_page.errors == []
