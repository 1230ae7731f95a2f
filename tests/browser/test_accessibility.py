"""Accessibility and phones: an axe-core scan (no serious or critical violations) in both languages and in the
table view, and the Khmer page on a 360x740 phone (screenshot, no sideways scrolling, 44px touch targets).
SpatiaLite only (the data layer is tested on both databases elsewhere)."""
import pytest
from PIL import Image, ImageStat

from tests.browser.conftest import ARTIFACTS, BROWSER_DIR

pytestmark = pytest.mark.browser

AXE = BROWSER_DIR / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
MIN_TARGET = 44  # px, WCAG 2.5.5 / Apple and Android guidance for touch targets
# Every visible control a thumb uses: form fields, buttons, links styled as buttons, Leaflet's zoom buttons.
CONTROLS = ("select, button, input:not([type=hidden]), textarea, [role=button], "
            ".leaflet-control-zoom a, .leaflet-control-layers-toggle")


def axe_violations(page):
    """Run axe-core in the page; the serious and critical violations, described for the assertion message."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10, "axe-core checked almost nothing: is the page empty?"
    return [f"{v['impact']}: {v['id']} ({v['help']}) at " + ", ".join(
        " ".join(node["target"]) for node in v["nodes"][:5]) for v in result["violations"] if v["impact"] in BLOCKING]


@pytest.mark.parametrize("query", ["", "lang=en", "lang=en&view=table", "lang=km&layer=project_points&zoom=12"
                                   "&lat=13.48&lon=103.03"])
def test_no_serious_accessibility_violations(map_page, query):
    map_page.open(query)
    violations = axe_violations(map_page.page)
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
    assert phone.errors == []
