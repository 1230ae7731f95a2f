"""The index and area pages, and the one error body."""
import html

import pandas as pd
import pytest

from mapservice import create_app
from mapservice.importer import import_records


@pytest.fixture
def client(db):
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True})
    return app.test_client()


def test_index_lists_the_25_provinces_with_counts(db, client):
    rows = [{"line": 2, "project_id": "p1", "title_en": "Well", "sector": "well", "fiscal_year": "2015",
             "commune_code": "010501", "budget": "4000000", "expenditure": "3900000"}]
    import_records(db.sessions, db.config, pd.DataFrame(rows), "t.csv", "template", "0" * 64)
    page = client.get("/").get_data(as_text=True)
    assert "25 provinces · 197 districts · 1,633 communes" in page
    assert page.count("<tr><td><a href=\"/area/") == 25
    assert '<td lang="km">បន្ទាយមានជ័យ</td><td>Banteay Meanchey</td>\n      <td class="num">1</td>' in page
    assert "3,900,000" in page
    assert "SAMPLE" not in page


def test_area_page_lists_sub_areas(client):
    page = client.get("/area/0105").get_data(as_text=True)
    assert "អូរជ្រៅ" in page and "Ou Chrov" in page
    assert page.count('<td lang="km">') == 7  # Ou Chrov's seven communes


def test_unknown_area_is_404_with_its_reason(client):
    response = client.get("/area/9999")
    assert response.status_code == 404
    assert 'area "9999" does not exist' in html.unescape(response.get_data(as_text=True))


def test_api_errors_use_the_one_json_body(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"ok": False, "status": 404, "error": response.get_json()["error"]}
    assert response.get_json()["error"].startswith("The requested URL was not found")
