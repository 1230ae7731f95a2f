"""The pages of many projects (read as plain rows, their area names looked up in the snapshot, serialised by orjson:
read/projects.py ``records_page``, ``features_page``) hold the values of each project's own record (read joined to
its areas, rendered by ``jsonify``), type for type: the /api/v1/projects page against each project, and the OGC
items' points against round(lon, 6), on both databases, with a rate of many digits, a point of many decimals, a
whole-number rate, booleans, dates and Khmer names."""
import pandas as pd
import pytest

from mapservice.ingest.pipelines import import_records
from mapservice.web import create_app
from tests.test_ogc import ROWS

AWKWARD = [
    {**ROWS[0], "project_id": "USD-2017-006", "currency": "USD", "budget": "25000.50", "fiscal_year": "2017",
     "lon": "102.91234567891", "lat": "13.6500004999"},
    {**ROWS[1], "project_id": "USD-2016-007", "currency": "USD", "budget": "100", "fiscal_year": "2016",
     "lon": "102.9999995", "lat": "13.1"},
]


@pytest.fixture
def client(db):
    rows = [{"line": i + 2, **row} for i, row in enumerate([*ROWS, *AWKWARD])]
    config = {**db.config, "MAPSERVICE_EXCHANGE_RATES": "USD:2016=4000,2017=4051.123456789012"}
    import_records(db.sessions, config, pd.DataFrame(rows), "json.csv", "template", "0" * 64)
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "MAPSERVICE_DATA_DIR": db.config["MAPSERVICE_DATA_DIR"],
                      "TESTING": True})
    return app.test_client()


def typed(value):
    """A value with its JSON type, so that 4000 and 4000.0, or 1 and true, differ."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return type(value).__name__, value


def test_a_page_of_records_equals_each_record_read_alone(client):
    page = client.get("/api/v1/projects?limit=100").get_json()
    assert page["total"] == len(page["projects"]) == 7
    for record in page["projects"]:
        one = client.get(f"/api/v1/projects/{record['project_id']}").get_json()
        assert typed(record) == typed(one)
    named = [r for r in page["projects"] if r["commune_code"]]
    assert named and all(r["commune_name_km"] and r["district_name_en"] and r["province_name_km"] for r in named)
    assert all(r["commune_name_km"] is None for r in page["projects"] if not r["commune_code"])
    rates = {r["project_id"]: r["exchange_rate"] for r in page["projects"]}
    assert typed(rates["USD-2016-007"]) == ("float", 4000.0) and rates["USD-2017-006"] == 4051.123456789012
    geojson = client.get("/api/v1/projects?limit=100&format=geojson").get_json()
    single = client.get("/api/v1/projects/USD-2017-006?format=geojson").get_json()
    assert typed(next(f for f in geojson["features"] if f["id"] == "USD-2017-006")) == typed(single)


def test_item_points_are_rounded_as_python_rounds(client):
    body = client.get("/ogc/collections/projects/items?limit=100").get_json()
    points = {f["id"]: f["geometry"]["coordinates"] for f in body["features"]}
    assert points["USD-2017-006"] == [round(102.91234567891, 6), round(13.6500004999, 6)] == [102.912346, 13.65]
    assert points["USD-2016-007"] == [round(102.9999995, 6), 13.1]
    for feature in body["features"]:  # nulls left out, every known value kept with its type
        record = client.get(f"/api/v1/projects/{feature['id']}").get_json()
        known = {k: v for k, v in record.items() if v is not None and k not in ("lon", "lat")}
        assert typed(feature["properties"]) == typed(known)
