"""Amounts given in another currency: the project page shows, beside the riel, the amount as given and the rate it
was converted at, in Khmer and English; a project in riel shows nothing more."""
import re

import pandas as pd
import pytest

from mapservice.ingest.pipelines import import_records
from mapservice.web import create_app
from tests.khmer_chrome import latin_words
from tests.test_oc4ids_export import DOLLARS


@pytest.fixture
def client(db):
    riel = {**DOLLARS, "line": 3, "project_id": "khr-1", "currency": "KHR", "budget": "4000000"}
    import_records(db.sessions, db.config, pd.DataFrame([DOLLARS, riel]), "test.csv", "template", "0" * 64)
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "MAPSERVICE_DATA_DIR": db.config["MAPSERVICE_DATA_DIR"],
                      "TESTING": True})
    return app.test_client()


def originals(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return dict(re.findall(r'<dd class="original-amount" data-original="(\w+)">([^<]*)</dd>',
                           response.get_data(as_text=True)))


def test_the_project_page_shows_the_amounts_as_given(client):
    assert originals(client, "/projects/usd-1?lang=en") == {
        "budget": "given as $25,000.50 (4,059 riel per US Dollar)",
        "contract_value": "given as $24,000.00 (4,059 riel per US Dollar)",
        "expenditure": "given as $20,000.00 (4,059 riel per US Dollar)"}
    khmer = originals(client, "/projects/usd-1?lang=km")
    assert khmer["budget"] == "ដូចដែលបានផ្តល់៖ 25,000.50$ (អត្រា 4,059 រៀល ក្នុងមួយ ដុល្លារ\u200bអាមេរិក)"
    assert set(khmer) == {"budget", "contract_value", "expenditure"}
    assert not any(latin_words(text) for text in khmer.values())
    assert originals(client, "/projects/khr-1?lang=en") == {}
