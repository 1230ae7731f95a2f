"""The embed inside an iframe of another origin (a host page served from a second port): it draws the map with
its legend, posts its height to the parent, works with iframe-resizer, and pans with two fingers on touch screens;
the generated code sizes every frame of ours on a page with the service's resize script (two frames of different
widths) and, without it, is a 4:3 box in which the credit, the SAMPLE badge and "Open the full map" stay in view.
SpatiaLite only (the data layer is tested on both databases elsewhere)."""
import re
from urllib.parse import quote

import pytest

from tests.browser.conftest import READY_TIMEOUT_MS

pytestmark = pytest.mark.browser

EMBED_QUERY = "layer=expenditure&level=province&year=2016&lang=en"


def host_url(host_server, live_server, page="embed_host.html", query=EMBED_QUERY):
    """The host page (other origin) framing /embed?query."""
    return f"{host_server}/pages/{page}?src={quote(f'{live_server}/embed?{query}', safe='')}"


def embed_frame(page):
    """The embed's frame in the host page, once its first data layer is drawn."""
    page.wait_for_selector("iframe#embedded")
    frame = page.frame(url=re.compile(r"/embed\?"))
    assert frame is not None, [f.url for f in page.frames]
    frame.wait_for_function("document.body && document.body.dataset.ready === 'true'", timeout=READY_TIMEOUT_MS)
    return frame


def test_embed_in_a_cross_origin_iframe_draws_and_posts_its_height(map_page, host_server, live_server):
    page = map_page.page
    page.goto(host_url(host_server, live_server))
    frame = embed_frame(page)
    assert host_server != live_server  # another port is another origin
    api = map_page.api("/api/v1/layers/expenditure?level=province&year=2016")
    codes = sorted(item.get_attribute("data-code") for item in frame.query_selector_all("#map path.area"))
    assert codes == sorted(f["properties"]["code"] for f in api["features"])
    assert len(frame.query_selector_all("#legend .legend-class")) >= len(api["legend"]["classes"])
    assert api["legend"]["title"]["en"] in frame.text_content("#legend .legend-title")  # folded on 600 px
    assert frame.inner_text(".leaflet-control-attribution").strip()
    # minimal chrome: no filter controls inside the embed
    assert frame.query_selector("select#layer") is None and frame.query_selector("input#year-from") is None
    page.wait_for_function("window.__heights.length > 0", timeout=READY_TIMEOUT_MS)
    heights, origins = page.evaluate("[window.__heights, window.__origins]")
    assert all(origin == live_server for origin in origins)
    assert 150 <= heights[-1] <= 3000, heights
    assert page.evaluate("document.getElementById('embedded').getBoundingClientRect().height") == pytest.approx(
        heights[-1], abs=1)
    assert map_page.errors == []


def test_embed_works_with_iframe_resizer(map_page, host_server, live_server):
    page = map_page.page
    page.goto(host_url(host_server, live_server, page="embed_resizer_host.html"))
    frame = embed_frame(page)
    page.wait_for_function("window.__resized.length > 0", timeout=READY_TIMEOUT_MS)
    resized = page.evaluate("window.__resized")
    assert resized[-1]["height"] == int(frame.evaluate("document.body.dataset.wantedHeight")), resized
    assert page.evaluate("document.getElementById('embedded').getBoundingClientRect().height") == pytest.approx(
        resized[-1]["height"], abs=1)


def touch(frame, fingers, kind):
    """Dispatch a touch event with ``fingers`` touches on the map; the map container's classes after it."""
    return frame.evaluate("""([fingers, kind]) => {
        const map = document.getElementById("map");
        const box = map.getBoundingClientRect();
        const touches = Array.from({length: fingers}, (_, i) => new Touch({identifier: i + 1, target: map,
            clientX: box.left + box.width / 2 + 40 * i, clientY: box.top + box.height / 2}));
        map.dispatchEvent(new TouchEvent(kind, {touches, targetTouches: touches, changedTouches: touches,
                                                bubbles: true, cancelable: true}));
        return [...map.classList];
    }""", [fingers, kind])


def test_embed_pans_with_two_fingers_on_touch_screens(open_page, host_server, live_server):
    phone = open_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    phone.page.goto(host_url(host_server, live_server, query=EMBED_QUERY.replace("lang=en", "lang=km")))
    frame = embed_frame(phone.page)
    assert frame.evaluate("document.documentElement.lang") == "km"
    # one finger scrolls the host page and shows the hint; two fingers move the map
    assert "leaflet-gesture-handling-touch-warning" in touch(frame, 1, "touchstart")
    assert "leaflet-gesture-handling-touch-warning" not in touch(frame, 2, "touchmove")
    assert "leaflet-gesture-handling-touch-warning" in touch(frame, 1, "touchmove")


FOOTER = (".embed-footer a", ".embed-credit", ".sample-badge")


def embed_code(map_page, query):
    """The code of "Embed this map" on the map page, once its live preview has taken the height it asked for."""
    page = map_page.open(query).page
    page.click("button#embed")
    preview = page.wait_for_selector("dialog#embed-dialog[open] iframe#embed-preview")
    frame = preview.content_frame()
    frame.wait_for_function("document.body && document.body.dataset.ready === 'true'", timeout=READY_TIMEOUT_MS)
    page.wait_for_function("""() => { const f = document.getElementById('embed-preview');
        return Math.abs(f.getBoundingClientRect().height - Number(f.contentDocument.body.dataset.wantedHeight)) <= 1; }""",
                           timeout=READY_TIMEOUT_MS)
    return page.input_value("textarea#embed-code")


def frames_of(page, count):
    """The host page's embed frames, each once drawn: (iframe element, its frame)."""
    page.wait_for_function(f"document.querySelectorAll('iframe').length === {count}")
    found = []
    for index in range(count):
        element = page.wait_for_selector(f"iframe#frame-{index}")
        frame = element.content_frame()
        frame.wait_for_function("document.body && document.body.dataset.ready === 'true'", timeout=READY_TIMEOUT_MS)
        found.append((element, frame))
    return found


def footer_in_view(frame):
    """Which of the footer's credit, SAMPLE badge and full-map link are not entirely inside the frame's window."""
    return frame.evaluate("""(selectors) => selectors.filter(s => { const e = document.querySelector(s);
        if (!e) return true; const r = e.getBoundingClientRect();
        return !(r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5); })""",
                          list(FOOTER))


def test_the_generated_code_sizes_every_frame_of_ours_to_its_content(map_page, host_server, live_server):
    code = embed_code(map_page, "lang=km&layer=expenditure&level=province")
    assert f'src="{live_server}/static/js/embed-resize.js"' in code and "aspect-ratio:4/3" in code
    page = map_page.page
    page.goto(f"{host_server}/pages/embed_code_host.html?widths=320,900&code={quote(code, safe='')}")
    sized = []
    for element, frame in frames_of(page, 2):
        page.wait_for_function("""([el, wanted]) => Math.abs(el.getBoundingClientRect().height - wanted) <= 1""",
                               arg=[element, int(frame.evaluate("document.body.dataset.wantedHeight"))],
                               timeout=READY_TIMEOUT_MS)
        sized.append(element.bounding_box())
        assert footer_in_view(frame) == []
        assert frame.evaluate("document.getElementById('map').getBoundingClientRect().height") >= 0.74 * sized[-1]["width"] - 2
    assert [round(b["width"]) for b in sized] == [320, 900]
    assert sized[0]["height"] < sized[1]["height"]  # each its own height, not the first one's for both
    assert map_page.errors == []


@pytest.mark.parametrize("widths", ["280,1200"])
def test_without_the_script_the_box_keeps_credit_badge_and_link_in_view(map_page, host_server, live_server, widths):
    code = embed_code(map_page, "lang=en&layer=project_count&level=province")
    page = map_page.page
    page.goto(f"{host_server}/pages/embed_code_host.html?noscript=1&widths={widths}&code={quote(code, safe='')}")
    for element, frame in frames_of(page, 2):
        box = element.bounding_box()
        assert box["height"] == pytest.approx(max(320, box["width"] * 3 / 4), abs=1)  # the 4:3 box of the code
        assert footer_in_view(frame) == []
        assert frame.evaluate("document.getElementById('map').getBoundingClientRect().height") > 100
