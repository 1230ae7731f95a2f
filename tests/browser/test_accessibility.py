"""Accessibility, phones and the Khmer chrome: axe-core finds no violation of any impact on the map, embed,
project, area, data and about pages in both languages (and the map's table and points views); each page has one
h1 and its landmarks; the Khmer pages show no Latin words outside tests/khmer_chrome.py's allow-list; the Khmer
page on a 360x740 phone (screenshot, no sideways scrolling, 44px touch targets).
SpatiaLite only (the data layer is tested on both databases elsewhere)."""
import pytest
from PIL import Image, ImageStat

from tests import khmer_chrome
from tests.browser.conftest import ARTIFACTS, BROWSER_DIR, READY_TIMEOUT_MS

pytestmark = pytest.mark.browser

AXE = BROWSER_DIR / "vendor" / "axe-core" / "axe.min.js"
MIN_TARGET = 44  # px, WCAG 2.5.5 / Apple and Android guidance for touch targets
# Every visible control a thumb uses: form fields, buttons, links styled as buttons, Leaflet's zoom buttons.
CONTROLS = ("select, button, input:not([type=hidden]), textarea, [role=button], "
            ".leaflet-control-zoom a, .leaflet-control-layers-toggle")
# page, and whether it draws a map (then wait for body[data-ready])
PAGES = [("/", True), ("/embed?layer=expenditure&level=province", True), ("/projects/BT-01", True),
         ("/areas/01", True), ("/data", False), ("/about", False)]

# The text a reader sees in Khmer chrome: visible text and UI attributes, outside data values (translate="no"),
# another language's text (lang="en"), code and the embed code to copy.
VISIBLE_CHROME = """() => {
  const skip = (node) => node.closest('script, style, code, textarea, [translate="no"]')
    || (node.closest('[lang]') && node.closest('[lang]').lang !== 'km');
  const seen = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || skip(parent) || !parent.getClientRects().length) continue;
    seen.push(node.textContent.trim());
  }
  for (const element of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
    if (skip(element)) continue;
    for (const name of ['title', 'aria-label', 'placeholder', 'alt']) if (element.getAttribute(name)) seen.push(element.getAttribute(name));
  }
  return seen;
}"""


def axe_violations(page):
    """Run axe-core in the page; every violation (any impact), described for the assertion message."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10, "axe-core checked almost nothing: is the page empty?"
    return [f"{v['impact']}: {v['id']} ({v['help']}) at " + ", ".join(
        " ".join(node["target"]) for node in v["nodes"][:5]) for v in result["violations"]]


def latin_in_chrome(page):
    """The Latin words of the page's visible chrome that the allow-list does not allow."""
    return sorted({word for text in page.evaluate(VISIBLE_CHROME) for word in khmer_chrome.latin_words(text)})


def load(map_page, path, draws_a_map, lang):
    page = map_page.page
    page.goto(f"{map_page.base_url}{path}{'&' if '?' in path else '?'}lang={lang}")
    if draws_a_map:
        page.wait_for_function("document.body && document.body.dataset.ready === 'true'", timeout=READY_TIMEOUT_MS)
    return page


@pytest.mark.parametrize("lang", ["km", "en"])
@pytest.mark.parametrize("path, draws_a_map", PAGES)
def test_every_page_passes_axe_has_one_h1_and_khmer_chrome(map_page, path, draws_a_map, lang):
    page = load(map_page, path, draws_a_map, lang)
    assert page.eval_on_selector_all("h1", "els => els.length") == 1
    assert page.eval_on_selector_all("main", "els => els.length") == 1
    violations = axe_violations(page)
    assert violations == [], "\n".join(violations)
    if lang == "km":
        assert latin_in_chrome(page) == []
    assert map_page.errors == []


@pytest.mark.parametrize("query", ["lang=en&view=table", "lang=km&layer=project_points&zoom=15&lat=13.4810&lon=103.0306"])
def test_the_map_views_pass_axe_with_the_details_open(map_page, query):
    map_page.open(query)
    page = map_page.page
    if "project_points" in query:
        assert latin_in_chrome(page) == []  # with the legend's classes
        page.click(".project-marker[data-project-id='BT-01']")
        page.wait_for_selector("#details:not([hidden]) [data-field=project_page]")
        assert latin_in_chrome(page) == []
    violations = axe_violations(page)
    assert violations == [], "\n".join(violations)


def test_phone_in_khmer(open_page):
    phone = open_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                      device_scale_factor=2)
    phone.open()
    page = phone.page
    assert page.evaluate("document.documentElement.lang") == "km"
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "phone-km.png"
    page.screenshot(path=str(target))
    with Image.open(target) as image:
        assert image.size == (720, 1480)
        stat = ImageStat.Stat(image.convert("L"))
        assert stat.stddev[0] > 10, "the phone screenshot is blank"
        assert len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 50
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    small = page.eval_on_selector_all(CONTROLS, """(els, min) => els
        .filter(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                       return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; })
        .filter(e => e.getBoundingClientRect().height < min)
        .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')}: `
                  + `${Math.round(e.getBoundingClientRect().height)}px`)""", MIN_TARGET)
    assert small == [], f"controls under {MIN_TARGET}px tall on a phone: {small}"
    assert page.eval_on_selector_all(CONTROLS, "els => els.length") >= 5
    assert latin_in_chrome(page) == []
    assert phone.errors == []
