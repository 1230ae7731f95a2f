"""The map on a 360x740 phone and a 1280x800 desktop, by keyboard, with a screen reader's landmarks, while
loading and failing, and in short money forms: the details (a bottom sheet on a phone) inside the screen and
clear of the legend and zoom buttons, the panel button on the first screen, Tab counts, where the focus goes,
area names that never overlap, the retry button, and the JS formatter against the server's.
SpatiaLite only (the data layer is tested on both databases elsewhere)."""
import re

import pytest

from mapservice.formats import locale
from tests.browser.conftest import READY_TIMEOUT_MS
from tests.browser.test_map import project_url

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
MAX_TABS_TO_LAYER = 10
KHMER = re.compile(r"[\u1780-\u17FF]")

BOX = "(sel) => { const e = document.querySelector(sel); if (!e) return null; const r = e.getBoundingClientRect(); " \
      "return r.width && r.height ? {left: r.left, top: r.top, right: r.right, bottom: r.bottom} : null; }"


def box(page, selector):
    return page.evaluate(BOX, selector)


def inside(inner, outer_width, outer_height):
    return inner["left"] >= 0 and inner["top"] >= 0 and inner["right"] <= outer_width and inner["bottom"] <= outer_height


def overlap(a, b):
    return a and b and a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def open_project(map_page, dataset, project_id, lang):
    """Open the points layer on a project and click its marker; the details once the record is in."""
    map_page.open(project_url(dataset, project_id, lang=lang, zoom=15))
    marker = f".project-marker[data-project-id='{project_id}']"
    map_page.page.wait_for_selector(marker, timeout=10_000)
    map_page.page.click(marker)
    map_page.page.wait_for_selector("#details:not([hidden]) [data-field=project_page]", timeout=10_000)


@pytest.mark.parametrize("size, lang", [("phone", "km"), ("desktop", "en")])
def test_project_details_fit_the_screen_and_take_the_focus(open_page, dataset, size, lang):
    map_page = open_page(**SIZES[size])
    page = map_page.page
    open_project(map_page, dataset, "BT-01", lang)
    width, height = SIZES[size]["viewport"]["width"], SIZES[size]["viewport"]["height"]
    details = box(page, "#details")
    assert inside(details, width, height), details
    if size == "phone":  # a bottom sheet: full width, on the bottom edge
        assert details["left"] == 0 and details["right"] == width and details["bottom"] == pytest.approx(height, abs=1)
    for control in (".leaflet-control-zoom", "#legend"):
        assert not overlap(details, box(page, control)), control
    assert page.evaluate("document.activeElement.id") == "details-title"
    # scrolled to its end, the close button and the project page's link are still in view
    page.evaluate("document.querySelector('#details .details-content').scrollTop = 1e6")
    for control in ("#details .details-close", "#details [data-field=project_page]"):
        assert inside(box(page, control), width, height), control
    assert page.get_attribute("#details [data-field=project_page]", "href").startswith("/projects/BT-01")
    page.keyboard.press("Escape")
    assert page.is_hidden("#details")
    assert page.evaluate("document.activeElement.id") == "map"  # the marker was clicked: back to the map
    assert map_page.errors == []


def test_the_panel_button_is_on_the_first_screen_of_a_phone(open_page):
    phone = open_page(**PHONE)
    page = phone.open("lang=km").page
    toggle = box(page, "#panel-toggle")
    assert toggle and inside(toggle, 360, 740), toggle
    assert KHMER.search(page.inner_text("#panel-toggle"))
    for control in (".leaflet-control-zoom", "#legend", ".leaflet-control-attribution"):
        assert not overlap(toggle, box(page, control)), control
    # the legend starts folded on a phone; unfolded it still leaves the zoom buttons free
    assert page.get_attribute("#legend .legend-toggle", "aria-expanded") == "false"
    page.click("#legend .legend-toggle")
    assert page.is_visible("#legend .legend-class") and not overlap(box(page, "#legend"), box(page, ".leaflet-control-zoom"))
    page.click("#panel-toggle")
    assert page.evaluate("document.activeElement.id") == "layer"
    assert inside(box(page, "#layer"), 360, 740) and inside(box(page, "#year-from"), 360, 740)
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "panel-toggle"
    assert page.get_attribute("#panel-toggle", "aria-expanded") == "false"
    assert not overlap(box(page, "#panel"), box(page, "#map"))


def tabs_to(page, element_id, limit):
    """How many Tabs from the top of a freshly loaded page focus #element_id (None if not within ``limit``)."""
    for count in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return count
    return None


@pytest.mark.parametrize("size, lang", [("phone", "km"), ("desktop", "en")])
def test_keyboard_reaches_the_layer_control_and_the_areas_not_one_tab_stop_each(open_page, size, lang):
    map_page = open_page(**SIZES[size])
    page = map_page.open(f"lang={lang}&layer=project_count&level=commune&lat=13.6&lon=103.0&zoom=10").page
    assert page.eval_on_selector_all("#map path.area", "els => els.length") > 40
    assert tabs_to(page, "layer", MAX_TABS_TO_LAYER) is not None
    # inside the map only the map itself and Leaflet's own controls are Tab stops, never an area
    stops = page.eval_on_selector_all("#map [tabindex]:not([tabindex='-1']), #map a[href]", "els => els.length")
    assert page.eval_on_selector_all("#map path[tabindex], #map .leaflet-marker-icon[tabindex]", "els => els.length") == 0
    assert stops <= 4 and page.get_attribute("#map", "tabindex") == "0"
    # the second skip link leads to the list of the areas in view: one Tab stop, arrows along it
    page.reload()
    map_page.wait_ready()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.get_attribute(":focus", "href") == "#areas-in-view"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.dataset.code")
    assert first and page.evaluate("document.activeElement.closest('#areas-in-view') !== null")
    page.keyboard.press("ArrowDown")
    second = page.evaluate("document.activeElement.dataset.code")
    assert second and second != first
    assert page.evaluate(f"document.querySelector('#map path.area[data-code=\"{second}\"]').getAttribute('stroke-width')") == "4"
    listed = page.eval_on_selector_all("#areas-in-view button", "els => els.map(e => e.tabIndex)")
    assert listed.count(0) == 1 and len(listed) > 10
    # Enter selects the commune as a click would: its details take the focus, Escape gives it back to the list
    before = map_page.drawn()
    page.keyboard.press("Enter")
    page.wait_for_selector("#details:not([hidden]) [data-field=area_page]")
    assert page.evaluate("document.activeElement.id") == "details-title"
    map_page.wait_drawn_after(before)
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.dataset.code") == second
    assert map_page.errors == []


@pytest.mark.parametrize("lang", ["km", "en"])
def test_area_names_show_where_they_fit_without_overlaps(map_page, lang):
    page = map_page.open(f"lang={lang}&layer=project_count&level=commune&lat=13.6&lon=102.95&zoom=11").page
    page.wait_for_function("Number(document.getElementById('map').dataset.labels) > 5", timeout=READY_TIMEOUT_MS)
    labels = page.eval_on_selector_all(".area-label:not(.province-label) span", """els => els.map(e => {
        const r = e.getBoundingClientRect();
        const area = document.querySelector(`#map path.area[data-code="${e.dataset.code}"]`).getBoundingClientRect();
        return {text: e.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                fits: r.width <= area.width && r.height <= area.height}; })""")
    assert len(labels) > 5
    assert not any(overlap(a, b) for i, a in enumerate(labels) for b in labels[i + 1:])
    assert all(label["fits"] for label in labels), [label["text"] for label in labels if not label["fits"]]
    assert all(bool(KHMER.search(label["text"])) == (lang == "km") for label in labels)
    # fewer names than areas: those that do not fit are left out, not squeezed in
    assert len(labels) < page.eval_on_selector_all("#map path.area", "els => els.length")


def test_loading_shows_a_bar_and_a_failure_a_retry_button(map_page):
    page = map_page.page
    held = []
    page.route(re.compile(r"/api/v1/layers/expenditure\?"), lambda route: held.append(route))
    page.goto(map_page.base_url + "/?lang=km&layer=expenditure&level=province")
    page.wait_for_function("document.getElementById('map-status').dataset.state === 'loading'", timeout=READY_TIMEOUT_MS)
    assert page.is_visible("#map-status .map-progress") and KHMER.search(page.inner_text("#map-status"))
    page.wait_for_function("true")  # let the held request reach the handler
    assert held
    held.pop().abort()
    page.wait_for_selector("#map-status[data-state=error] .map-retry:visible", timeout=READY_TIMEOUT_MS)
    message = page.inner_text("#map-status .map-status-text")
    assert KHMER.search(message) and not re.search(r"[A-Za-z]{3}", message), message
    assert inside(box(page, "#map-status .map-retry"), 1280, 800)
    page.unroute(re.compile(r"/api/v1/layers/expenditure\?"))
    page.click("#map-status .map-retry")
    map_page.wait_ready()
    assert page.get_attribute("#map-status", "data-state") == "idle"
    assert page.eval_on_selector_all("#map path.area", "els => els.length") == 25
    # the connection lost: said on the map; back: the message goes
    map_page.page.context.set_offline(True)
    page.wait_for_selector("#map-status[data-state=error] .map-retry:visible")
    assert KHMER.search(page.inner_text("#map-status .map-status-text"))
    map_page.page.context.set_offline(False)
    page.wait_for_selector("#map-status[data-state=idle]", state="attached")


AMOUNTS = [123, 999_999, 2_500_000, 48_050_000, 988_013_000, 1_537_234_000, 45_200_000_000]
RANGES = [(988_013_000, 1_537_234_000, "money"), (None, 40_000_000, "money"), (2_500_000_000, None, "money"),
          (0.8, 0.95, "share"), (3, 12, "count")]


@pytest.mark.parametrize("lang", ["km", "en"])
def test_the_js_formatter_writes_money_as_the_server_does(map_page, lang):
    page = map_page.open(f"lang={lang}&layer=expenditure&level=province").page
    rate = page.evaluate("JSON.parse(document.getElementById('app-config').textContent).usdRate")
    shown = page.evaluate("""async ([amounts, ranges]) => {
        const f = await import('/static/js/format.js');
        return {money: amounts.map(a => f.formatCompactMoney(a)), usd: amounts.map(a => f.formatUsd(a, true)),
                ranges: ranges.map(([low, high, kind]) => f.formatRange(low, high, kind))}; }""", [AMOUNTS, RANGES])
    assert shown == {"money": [locale.format_compact_money(a, lang, rate) for a in AMOUNTS],
                     "usd": [locale.format_usd(a, lang, rate, compact=True) for a in AMOUNTS],
                     "ranges": [locale.format_range(low, high, kind, lang, rate) for low, high, kind in RANGES]}
    assert shown["money"][5] == {"km": "1.5 ប៊ីលាន រៀល (≈ $375,000)", "en": "1.5 billion riel (≈ $375,000)"}[lang]
    legend = page.eval_on_selector_all("#legend .legend-class", "els => els.map(e => e.textContent)")
    assert legend and all("≈ $" in text and re.search("លាន|million|billion|ប៊ីលាន", text) for text in legend[1:]), legend
