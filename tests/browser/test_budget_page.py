"""The budget infographic in headless Chromium: the Khmer page on a 360 px phone (no sideways scrolling, the
imported numbers in the bars, no script at all, no serious axe-core violation), and the project popup's link to its district's budget.
SpatiaLite only, on the browser tests' live server (the numbers are tested on both databases in test_budgets.py)."""
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image, ImageStat

from mapservice.ingest.budget_pipeline import import_budgets
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_map import open_popup, project_url
from tests.test_budgets import imported

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "budgets_en.csv"


@pytest.fixture(scope="module")
def budgets(dataset):
    """budgets_en.csv (Ou Chrov 2015-2016, Changha 2016) in the browser tests' database."""
    import_budgets(dataset.database.sessions, dataset.config, FIXTURE)
    return imported()


def test_the_infographic_on_a_phone_in_khmer(budgets, open_page):
    phone = open_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = phone.page
    response = page.goto(phone.base_url + "/areas/0105/budget/2016")
    assert response.status == 200
    assert page.evaluate("document.documentElement.lang") == "km"
    assert "អូរជ្រៅ" in page.inner_text("h1")
    assert page.evaluate("document.scripts.length") == 0  # nothing to run: the charts are server-rendered SVG
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    bars = page.eval_on_selector_all("[data-kind] li[data-line]", """els => els.map(li => ({
        kind: li.closest('[data-kind]').dataset.kind, line: li.dataset.line,
        approved: Number(li.querySelector('[data-field=approved]').dataset.value),
        actual: Number(li.querySelector('[data-field=actual]').dataset.value),
        width: li.querySelector('svg.bar').getBoundingClientRect().width,
        bar: li.querySelector('rect.bar-actual').getBoundingClientRect().width,
        label: li.querySelector('.bar-label').getBoundingClientRect().right}))""")
    assert {(b["kind"], b["line"]): (b["approved"], b["actual"]) for b in bars} == {
        key[2:]: value for key, value in budgets.items() if key[:2] == ("0105", 2016)}
    for bar in bars:
        assert 200 < bar["width"] <= 340 and bar["label"] <= 360, bar  # the chart fits the phone
    largest = max(bars, key=lambda b: b["actual"])
    assert largest["bar"] > 0.9 * max(b["bar"] for b in bars)  # the longest bar is the largest amount
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "budget-phone-km.png"
    page.screenshot(path=str(target), full_page=True)
    with Image.open(target) as image:
        assert image.size[0] == 720 and ImageStat.Stat(image.convert("L")).stddev[0] > 10
    violations = axe_violations(page)
    assert violations == [], "\n".join(violations)
    link = urlsplit(page.get_attribute("[data-link=map]", "href"))
    assert (link.path, parse_qs(link.query)) == ("/", {"lang": ["km"], "year": ["2016"], "district": ["0105"]})
    page.click("[data-link=map]")
    phone.wait_ready()
    assert phone.errors == []


def test_the_project_popup_links_to_its_district_budget(budgets, map_page, dataset):
    map_page.open(project_url(dataset, "BT-03"))  # Changha (0105), 2015
    shown = open_popup(map_page, "BT-03")
    assert urlsplit(shown["budget_page"]["href"]).path == "/areas/0105/budget/2015"
    map_page.page.click(".project-popup [data-field=budget_page]")
    map_page.page.wait_for_selector(".budget-infographic[data-code='0105'][data-year='2015']")
    assert map_page.errors == []


def test_the_budget_layer_on_the_map(budgets, map_page):
    """The map's layer menu offers the budget by area: districts drawn with the imported amounts, no project filters."""
    map_page.open("layer=budget_by_area&year=2016&view=table&lang=en")
    page = map_page.page
    assert page.eval_on_selector("#layer", "select => select.value") == "budget_by_area"
    assert page.eval_on_selector_all("#sector, #status, #eia", "els => els.map(e => e.disabled)") == [True, True, True]
    assert page.eval_on_selector("#level option[value=province]", "option => option.disabled") is True
    page.wait_for_selector("#table-view tbody tr[data-code='0105']")
    cells = {cell["data-column"]: cell["data-value"] for cell in
             map_page.attributes("#table-view tbody tr[data-code='0105'] td[data-column]", "data-column", "data-value")}
    expected = {kind_line: amounts for kind_line, amounts in budgets.items() if kind_line[:2] == ("0105", 2016)}
    approved = sum(a for (_, _, kind, _), (a, _) in expected.items() if kind == "expenditure")
    actual = sum(b for (_, _, kind, _), (_, b) in expected.items() if kind == "expenditure")
    assert (int(cells["approved"]), int(cells["actual"])) == (approved, actual)
    codes = page.eval_on_selector_all("#table-view tbody tr[data-code]", "rows => rows.map(r => r.dataset.code)")
    assert codes and all(len(code) == 4 for code in codes)  # districts, not provinces
    page.select_option("#layer", "project_count")
    map_page.wait_ready()
    assert page.eval_on_selector("#sector", "select => select.disabled") is False
    assert map_page.errors == []
