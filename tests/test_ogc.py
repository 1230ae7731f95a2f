"""OGC API - Features under /ogc: every endpoint over HTTP with whole payloads, the standard's parameters and
their 400s, the HTML pages, and real clients (GDAL's OAPIF driver, OWSLib) against a real HTTP server."""
import shutil
import sqlite3
import subprocess
import threading

import pandas as pd
import pyogrio
import pytest
import shapely.geometry
from werkzeug.serving import make_server

from mapservice.formats import ogc
from mapservice.ingest.pipelines import import_records
from mapservice.web import create_app

BASE = "http://localhost/ogc"
CAMBODIA = [102.3338, 10.3536, 107.6277, 14.6903]  # the 2014 communes' extent, rounded outward
OU_CHROV_COMMUNES = ["010501", "010502", "010503", "010505", "010506", "010507", "010509"]
ROWS = [
    {"project_id": "BMC-2016-001", "pid_reference": "PID-1001", "title_km": "ផ្លូវក្រួសក្រហម",
     "title_en": "Laterite road in Changha", "sector": "rural_road", "project_type": "construction",
     "status": "completion", "fiscal_year": "2016", "funding_source": "cs_fund", "planned_start": "2016-03-01",
     "planned_end": "2016-06-30", "actual_start": "2016-03-15", "actual_end": "2016-07-20", "budget": "120000000",
     "contract_value": "110000000", "expenditure": "108500000", "cs_fund": "100000000",
     "local_contribution": "8500000", "contract_number": "C-0105-16-01", "awarded_tenderer": "Sok Construction",
     "number_of_bidders": "3", "eia_required": "no", "eia_status": "not_required", "commune_code": "010501",
     "lon": "102.9", "lat": "13.65"},
    {"project_id": "BMC-2017-002", "title_km": "អណ្តូងទឹក", "title_en": "Well in Banteay Neang", "sector": "well",
     "fiscal_year": "2017", "budget": "4000000", "commune_code": "010201"},
    {"project_id": "PNP-2014-003", "title_en": "Primary school building", "sector": "school",
     "status": "implementation", "fiscal_year": "2014", "funding_source": "development_partner",
     "budget": "250000000", "contract_value": "240000000", "expenditure": "100000000", "eia_required": "yes",
     "eia_status": "approved", "commune_code": "120101"},
    {"project_id": "TBK-2019-004", "title_en": "Irrigation canal", "sector": "irrigation", "fiscal_year": "2019",
     "funding_source": "district_fund", "budget": "80000000", "contract_value": "75000000",
     "expenditure": "75000000", "eia_required": "yes", "eia_status": "pending", "commune_code": "250101"},
    {"project_id": "BMC-2015-005", "title_en": "Koub bridge road", "sector": "rural_road", "status": "cancelled",
     "fiscal_year": "2015", "budget": "30000000", "commune_code": "010502"},
]
ALL_IDS = ["BMC-2015-005", "BMC-2016-001", "BMC-2017-002", "PNP-2014-003", "TBK-2019-004"]


def error(parameter, value, expected):
    return {"ok": False, "error": f'{parameter} was "{value}"; expected {expected}', "status": 400}


@pytest.fixture
def loaded(db):
    rows = [{"line": i + 2, **row} for i, row in enumerate(ROWS)]
    import_records(db.sessions, db.config, pd.DataFrame(rows), "ogc.csv", "template", "0" * 64)
    return db


@pytest.fixture
def client(loaded):
    config = loaded.config
    app = create_app({"DATABASE_URL": config["DATABASE_URL"], "MAPSERVICE_DATA_DIR": config["MAPSERVICE_DATA_DIR"],
                      "TESTING": True})
    return app.test_client()


@pytest.fixture
def server(loaded):
    """The app in a real HTTP server on a free localhost port; yields the /ogc URL."""
    config = loaded.config
    app = create_app({"DATABASE_URL": config["DATABASE_URL"], "MAPSERVICE_DATA_DIR": config["MAPSERVICE_DATA_DIR"]})
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}/ogc"
    http.shutdown()
    thread.join(10)


def get_json(client, url, status=200, media_type="application/json", **headers):
    response = client.get(url, headers=headers)
    assert (response.status_code, response.mimetype) == (status, media_type), response.get_data(as_text=True)
    return response.get_json(force=True)


def items(client, url, status=200):
    body = get_json(client, url, status, "application/geo+json" if status == 200 else "application/json")
    if status == 200:
        assert body.pop("timeStamp").endswith("Z")
    return body


def ids(client, url):
    return [f["id"] for f in items(client, url)["features"]]


def link(rel, href, media_type, title):
    return {"href": href, "rel": rel, "type": media_type, "title": title}


# --- landing page, conformance, API definition ------------------------------------------------------------

def test_landing_page_conformance_and_api_definition(client):
    assert get_json(client, "/ogc") == get_json(client, "/ogc/") == {
        "title": "Cambodia sub-national infrastructure projects (OGC API - Features)",
        "description": "Infrastructure projects 2014-2019 of Cambodia's communes, districts and provinces, the 2014 "
                       "boundaries, and per-area totals, as GeoJSON features for GIS software (QGIS, GDAL/OGR, R sf, "
                       "OWSLib). Khmer and Latin names.",
        "links": [
            link("self", f"{BASE}?f=json", "application/json", "landing page as JSON"),
            link("alternate", f"{BASE}?f=html", "text/html", "landing page as HTML"),
            link("service-desc", f"{BASE}/api", "application/vnd.oai.openapi+json;version=3.0",
                 "API definition (OpenAPI 3.0)"),
            link("service-doc", f"{BASE}/api?f=html", "text/html", "API documentation"),
            link("conformance", f"{BASE}/conformance", "application/json", "conformance classes implemented"),
            link("http://www.opengis.net/def/rel/ogc/1.0/conformance", f"{BASE}/conformance", "application/json",
                 "conformance classes implemented"),
            link("data", f"{BASE}/collections", "application/json", "feature collections"),
            link("http://www.opengis.net/def/rel/ogc/1.0/data", f"{BASE}/collections", "application/json",
                 "feature collections"),
            link("http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", f"{BASE}/tileMatrixSets",
                 "application/json", "tile matrix sets (OGC API - Tiles)"),
        ],
    }
    assert get_json(client, "/ogc/conformance") == {"conformsTo": [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
        *[f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}"
          for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt")],
    ]}
    response = client.get("/ogc/api")
    assert response.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    spec = response.get_json(force=True)
    assert (spec["openapi"], spec["servers"]) == ("3.0.3", [{"url": BASE}])
    per_collection = [f"/collections/{c}{suffix}" for c in ("projects", "provinces", "districts", "communes",
                                                             "province-statistics", "district-statistics",
                                                             "commune-statistics")
                      for suffix in ("", "/schema", "/schema.xsd", "/queryables", "/items", "/items/{featureId}",
                                     "/tiles", "/tiles/WebMercatorQuad",
                                     "/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")]
    assert list(spec["paths"]) == ["/", "/api", "/conformance", "/collections", "/tileMatrixSets",
                                   "/tileMatrixSets/WebMercatorQuad", *per_collection]

    def names(path):
        return [p["name"] for p in spec["paths"][path]["get"]["parameters"]]

    filters = ["year", "province", "district", "commune", "sector", "status", "eia_required", "eia_status",
               "funding_source", "q"]
    standard = ["f", "bbox", "bbox-crs", "datetime", "limit", "offset", "crs", "filter", "filter-lang", "filter-crs",
                "sortby", "properties"]
    assert names("/collections/projects/items") == [*standard[:6], "after", *standard[6:], *filters]
    assert names("/collections/communes/items") == [*standard, "province", "district", "commune"]
    assert names("/collections/projects/items/{featureId}") == ["featureId", "f", "crs", "properties"]
    assert names("/collections/commune-statistics/items/{featureId}") == ["featureId", "f", "crs", "properties",
                                                                          "datetime", *filters]
    limit = spec["paths"]["/collections/projects/items"]["get"]["parameters"][4]
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}


# --- collections ------------------------------------------------------------------------------------------

def test_collections_one_collection_and_schema(client):
    body = get_json(client, "/ogc/collections")
    assert body["links"] == [
        link("self", f"{BASE}/collections?f=json", "application/json", "feature collections as JSON"),
        link("alternate", f"{BASE}/collections?f=html", "text/html", "feature collections as HTML")]
    assert [c["id"] for c in body["collections"]] == [
        "projects", "provinces", "districts", "communes", "province-statistics", "district-statistics",
        "commune-statistics"]
    url = f"{BASE}/collections/communes"
    communes = get_json(client, "/ogc/collections/communes")
    assert communes == body["collections"][3] == {
        "id": "communes", "title": "Communes (2014 boundaries)",
        "description": "Cambodia's communes (commune/sangkat) of the 2014 NCDD boundary set: full-resolution "
                       "polygons with codes, Khmer and Latin names, parent code, unit type and area (km²). The area "
                       "filters select areas.",
        "itemType": "feature", "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                                       "http://www.opengis.net/def/crs/EPSG/0/4326",
                                       "http://www.opengis.net/def/crs/EPSG/0/3857",
                                       "http://www.opengis.net/def/crs/EPSG/0/32648"],
        "storageCrs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "extent": {"spatial": {"bbox": [CAMBODIA], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
                   "temporal": {"interval": [["2014-01-01T00:00:00Z", "2019-12-31T23:59:59Z"]],
                                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        "links": [
            link("self", f"{url}?f=json", "application/json", "Communes (2014 boundaries) as JSON"),
            link("alternate", f"{url}?f=html", "text/html", "Communes (2014 boundaries) as HTML"),
            link("items", f"{url}/items?f=json", "application/geo+json", "Communes (2014 boundaries) (GeoJSON)"),
            link("items", f"{url}/items?f=html", "text/html", "Communes (2014 boundaries) (HTML)"),
            link("describedby", f"{url}/schema", "application/schema+json", "feature schema (JSON Schema)"),
            link("describedBy", f"{url}/schema", "application/schema+json", "feature schema (JSON Schema)"),
            link("describedBy", f"{url}/schema.xsd", "application/xml",
                 "feature schema (GML application schema, XSD)"),
            link("http://www.opengis.net/def/rel/ogc/1.0/queryables", f"{url}/queryables", "application/schema+json",
                 "queryables: what filter and sortby may name (JSON Schema)"),
            link("queryables", f"{url}/queryables", "application/json", "queryables (for GDAL up to 3.6)"),
            link("http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", f"{url}/tiles", "application/json",
                 "vector tilesets (OGC API - Tiles)"),
        ],
    }
    assert body["collections"][0]["extent"]["spatial"]["bbox"] == [CAMBODIA]  # every project is inside it
    schema = get_json(client, "/ogc/collections/projects/schema", media_type="application/schema+json")
    properties = schema["properties"]["properties"]["properties"]
    assert list(properties)[:3] == ["project_id", "pid_reference", "pid_url"] and len(properties) == 44
    assert (properties["budget"], properties["fiscal_year"], properties["eia_required"], properties["actual_end"]) == (
        {"type": "integer", "format": "int64", "description": "whole riel"}, {"type": "integer"}, {"type": "boolean"},
        {"type": "string", "format": "date", "description": "ISO 8601 date, YYYY-MM-DD"})
    stats = get_json(client, "/ogc/collections/district-statistics/schema", media_type="application/schema+json")
    assert stats["properties"]["properties"]["properties"] == {
        "code": {"type": "string"}, "level": {"type": "string"}, "name_km": {"type": "string"},
        "name_en": {"type": "string"}, "parent_code": {"type": "string"}, "project_count": {"type": "integer"},
        **{name: {"type": "integer", "format": "int64", "description": "whole riel"}
           for name in ("budget", "contract_value", "expenditure")}}


# --- project items ----------------------------------------------------------------------------------------

def project_properties(**values):
    """A project's properties on an item page: the known values in the record's order; unknown ones are left out
    (the schema lists every property)."""
    fields = ["project_id", "pid_reference", "pid_url", "title_km", "title_en", "sector", "project_type", "status",
              "fiscal_year", "funding_source", "planned_start", "planned_end", "actual_start", "actual_end",
              "currency", "budget", "contract_value", "expenditure", "cs_fund", "local_contribution",
              "original_currency", "exchange_rate", "original_amounts",
              "contract_number", "awarded_tenderer", "number_of_bidders", "eia_required", "eia_status",
              "eia_document_url", "province_code", "province_name_km", "province_name_en", "district_code",
              "district_name_km", "district_name_en", "commune_code", "commune_name_km", "commune_name_en",
              "village_code", "stated_code", "join_status", "location_precision", "quality_flags", "is_sample"]
    known = {"currency": "KHR", "is_sample": False} | values
    return {name: known[name] for name in fields if known.get(name) is not None}


CHANGHA_ROAD = {
    "type": "Feature", "id": "BMC-2016-001", "geometry": {"type": "Point", "coordinates": [102.9, 13.65]},
    "properties": project_properties(
        project_id="BMC-2016-001", pid_reference="PID-1001",
        pid_url="http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=PID-1001",
        title_km="ផ្លូវក្រួសក្រហម", title_en="Laterite road in Changha", sector="rural_road",
        project_type="construction", status="completion", fiscal_year=2016, funding_source="cs_fund",
        planned_start="2016-03-01", planned_end="2016-06-30", actual_start="2016-03-15", actual_end="2016-07-20",
        budget=120000000, contract_value=110000000, expenditure=108500000, cs_fund=100000000,
        local_contribution=8500000, contract_number="C-0105-16-01", awarded_tenderer="Sok Construction",
        number_of_bidders=3, eia_required=False, eia_status="not_required", province_code="01",
        province_name_km="បន្ទាយមានជ័យ", province_name_en="Banteay Meanchey", district_code="0105",
        district_name_km="អូរជ្រៅ", district_name_en="Ou Chrov", commune_code="010501", commune_name_km="ចង្ហា",
        commune_name_en="Changha", stated_code="010501", join_status="agree", location_precision="exact"),
}


def test_project_items_page_and_one_project(client):
    url = f"{BASE}/collections/projects/items"
    assert items(client, "/ogc/collections/projects/items?limit=2&offset=1") == {
        "type": "FeatureCollection", "numberMatched": 5, "numberReturned": 2,
        "links": [
            link("self", f"{url}?limit=2&offset=1&f=json", "application/geo+json", "this page"),
            link("alternate", f"{url}?limit=2&offset=1&f=html", "text/html", "this page as HTML"),
            link("next", f"{url}?limit=2&offset=3&f=json", "application/geo+json", "next page"),
            link("prev", f"{url}?limit=2&offset=0&f=json", "application/geo+json", "previous page"),
            link("collection", f"{BASE}/collections/projects?f=json", "application/json",
                 "Infrastructure projects 2014-2019"),
        ],
        "features": [CHANGHA_ROAD, {
            # placed at its commune's representative point
            "type": "Feature", "id": "BMC-2017-002", "geometry": {"type": "Point", "coordinates": [103.034612, 13.482999]},
            "properties": project_properties(
                project_id="BMC-2017-002", title_km="អណ្តូងទឹក", title_en="Well in Banteay Neang", sector="well",
                fiscal_year=2017, budget=4000000, province_code="01", province_name_km="បន្ទាយមានជ័យ",
                province_name_en="Banteay Meanchey", district_code="0102", district_name_km="មង្គលបូរី",
                district_name_en="Mongkol Borei", commune_code="010201", commune_name_km="បន្ទាយនាង",
                commune_name_en="Banteay Neang", stated_code="010201", join_status="code_only",
                location_precision="commune")}],
    }
    page = items(client, "/ogc/collections/projects/items?limit=2&offset=1")
    assert list(page["features"][0]["properties"]) == list(CHANGHA_ROAD["properties"])  # the record's order
    body = get_json(client, "/ogc/collections/projects/items/BMC-2016-001", media_type="application/geo+json")
    assert list(body["properties"]) == list(CHANGHA_ROAD["properties"])
    url = f"{BASE}/collections/projects/items/BMC-2016-001"
    assert body == CHANGHA_ROAD | {"links": [
        link("self", f"{url}?f=json", "application/geo+json", "this feature as JSON"),
        link("alternate", f"{url}?f=html", "text/html", "this feature as HTML"),
        link("collection", f"{BASE}/collections/projects?f=json", "application/json",
             "Infrastructure projects 2014-2019")]}
    assert get_json(client, "/ogc/collections/projects/items/NOPE", 404) == {
        "ok": False, "error": 'feature "NOPE" does not exist in collection "projects"', "status": 404}
    assert get_json(client, "/ogc/collections/communes/items/01", 404)["error"] == (
        'feature "01" does not exist in collection "communes"')
    assert get_json(client, "/ogc/collections/roads/items", 404)["error"] == (
        'collection "roads" does not exist; expected one of projects, provinces, districts, communes, '
        "province-statistics, district-statistics, commune-statistics")
    assert get_json(client, "/ogc/whatever", 404)["error"] == (
        "/ogc/whatever does not exist; start at /ogc (links to every resource)")


def test_deep_next_links_carry_the_last_id_and_offset_links_still_work(client, monkeypatch):
    monkeypatch.setattr(ogc, "KEYSET_FROM", 4)  # from offset 4 (the fixture has 5 projects)
    by_offset = [f["id"] for f in items(client, "/ogc/collections/projects/items?limit=5")["features"]]
    seen, hrefs, url = [], [], "/ogc/collections/projects/items?limit=2"
    while url:
        body = items(client, url)
        assert body["numberMatched"] == 5
        seen += [f["id"] for f in body["features"]]
        hrefs.append(url)
        following = [item["href"] for item in body["links"] if item["rel"] == "next"]
        url = following[0].removeprefix("http://localhost") if following else None
    assert seen == by_offset
    assert "offset=2" in hrefs[1] and hrefs[2].endswith(f"?limit=2&after={seen[3]}&f=json")
    assert [item["rel"] for item in items(client, hrefs[2])["links"]] == ["self", "alternate", "collection"]
    for query, expected in (("after=X&offset=2", "without offset and sortby (it pages the default order, by "
                                                 "project_id)"),
                            ("after=X&sortby=budget", "without offset and sortby (it pages the default order, by "
                                                      "project_id)"),
                            ("after=%20", "a project_id (the next links carry it)")):
        assert get_json(client, f"/ogc/collections/projects/items?{query}", 400)["error"].endswith(expected)
    refused = get_json(client, "/ogc/collections/communes/items?after=01", 400)["error"]
    assert refused.startswith('after was "01"; expected only the parameters') and ", after," not in refused


def test_paging_follows_next_links_and_limit_is_clamped(client):
    seen, url, pages = [], "/ogc/collections/projects/items?limit=2&province=01", 0
    while url:
        body = items(client, url)
        assert body["numberMatched"] == 3 and body["numberReturned"] == len(body["features"])
        seen += [f["id"] for f in body["features"]]
        following = [item["href"] for item in body["links"] if item["rel"] == "next"]
        url = following[0].removeprefix("http://localhost") if following else None
        assert not url or "province=01" in url
        pages += 1
    assert (seen, pages) == (["BMC-2015-005", "BMC-2016-001", "BMC-2017-002"], 2)
    last = items(client, "/ogc/collections/projects/items?limit=2&offset=4")
    assert [item["rel"] for item in last["links"]] == ["self", "alternate", "prev", "collection"]
    assert items(client, "/ogc/collections/projects/items?offset=9")["features"] == []
    body = items(client, "/ogc/collections/communes/items?limit=20000")
    assert (body["numberMatched"], body["numberReturned"]) == (1633, 1633)
    assert body["links"][0]["href"] == f"{BASE}/collections/communes/items?limit=10000&offset=0&f=json"
    assert items(client, "/ogc/collections/communes/items")["numberReturned"] == 100  # the default


FILTERED = [
    ("sector=rural_road", ["BMC-2015-005", "BMC-2016-001"]),
    ("province=01&sector=well", ["BMC-2017-002"]),
    ("q=road", ["BMC-2015-005", "BMC-2016-001"]),
    ("eia_required=yes", ["PNP-2014-003", "TBK-2019-004"]),
    ("year=2016-2017&funding_source=cs_fund", ["BMC-2016-001"]),
    ("bbox=102.7,13.4,103.1,13.7", ["BMC-2017-002", "BMC-2015-005", "BMC-2016-001"]),  # the grid's order
    ("bbox=104.8,11.4,0,105.0,11.7,100", ["PNP-2014-003"]),               # heights ignored
    ("bbox=105.5,-90,-170,90", ["TBK-2019-004"]),                          # across the antimeridian
    ("bbox=102.9,13.65,102.9,13.65", ["BMC-2016-001"]),                    # a point
    ("datetime=2016-05-01", ["BMC-2016-001"]),
    ("datetime=2016-01-01T00:00:00Z/2016-12-31T23:59:59Z", ["BMC-2016-001"]),
    ("datetime=../2015-12-31", ["BMC-2015-005", "PNP-2014-003"]),
    ("datetime=2017-01-01T00:00:00Z/..", ["BMC-2017-002", "TBK-2019-004"]),
    ("datetime=/2014-06-30", ["PNP-2014-003"]),
    ("datetime=2016-12-31T23:00:00-05:00", ["BMC-2017-002"]),              # 2017 in UTC
    ("datetime=2010-01-01/2014-01-01", ["PNP-2014-003"]),
    ("datetime=2025-01-01/..", []),
    ("year=2014-2016&datetime=2016-01-01/2019-12-31", ["BMC-2016-001"]),
    ("year=2019&datetime=../2015-12-31", []),
]


def test_project_filters_and_agreement_with_the_api(client):
    found = {query: ids(client, f"/ogc/collections/projects/items?{query}&limit=50") for query, _ in FILTERED}
    assert found == dict(FILTERED)
    for query in ("sector=rural_road,well", "district=0105", "commune=120101", "status=cancelled", "q=ផ្លូវ"):
        api = client.get(f"/api/v1/projects?{query}").get_json()
        assert ids(client, f"/ogc/collections/projects/items?{query}") == [p["project_id"] for p in api["projects"]]


def test_the_kept_page_of_a_box_serves_every_box(client):
    """The page of a box and nothing else is made once and run with each box's numbers (formats/ogc.py
    ``_BOX_PAGES``): it finds what the same box finds with a filter that keeps every project (a page made for
    that request), box after box, across the antimeridian too."""
    boxes = ["102.7,13.4,103.1,13.7", "104.8,11.4,105.0,11.7", "105.5,-90,-170,90", "102,10,108,15",
             "102.7,13.4,103.1,13.7"]
    for box in boxes:
        kept = items(client, f"/ogc/collections/projects/items?bbox={box}&limit=2")
        made = items(client, f"/ogc/collections/projects/items?bbox={box}&limit=2&year=2014-2019")
        assert [f["id"] for f in kept["features"]] == [f["id"] for f in made["features"]], box
        assert kept.get("numberMatched") == made.get("numberMatched"), box
    assert items(client, "/ogc/collections/projects/items?bbox=102,10,108,15&limit=2")["numberMatched"] > 2


def test_projects_beyond_the_communes_or_without_location(client, loaded):
    with loaded.engine.begin() as conn:  # the schema allows both, though the importer places every project
        conn.exec_driver_sql("UPDATE project SET lon = 102.25, lat = 14.75 WHERE project_id = 'TBK-2019-004'")
        conn.exec_driver_sql("UPDATE project SET lon = NULL, lat = NULL, geom = NULL "
                             "WHERE project_id = 'BMC-2015-005'")
    extent = get_json(client, "/ogc/collections/projects")["extent"]["spatial"]["bbox"]
    assert extent == [[102.25, 10.3536, 107.6277, 14.75]]
    feature = get_json(client, "/ogc/collections/projects/items/BMC-2015-005", media_type="application/geo+json")
    assert feature["geometry"] is None and feature["properties"]["commune_code"] == "010502"
    assert ids(client, "/ogc/collections/projects/items?bbox=102.7,13.4,103.1,13.7") == ["BMC-2017-002",
                                                                                          "BMC-2016-001"]
    assert "<td>none (location unknown)</td>" in html(client, "/ogc/collections/projects/items/BMC-2015-005?f=html")


BBOX_EXPECTED = "4 numbers minlon,minlat,maxlon,maxlat in decimal degrees (WGS 84), minlat <= maxlat, or 6 with heights"
DATETIME_EXPECTED = ("an RFC 3339 date or date-time, or an interval such as 2016-01-01T00:00:00Z/2016-12-31T23:59:59Z, "
                     "2016-05-01 or ../2017-12-31 (start before end)")
BAD = [
    *[(f"bbox={value}", error("bbox", value, BBOX_EXPECTED))
      for value in ("1,2,3", "a,b,c,d", "102,14,103,13", "102,13,190,14", "nan,1,2,3", "1,2,3,4,5")],
    *[(f"datetime={value}", error("datetime", value, DATETIME_EXPECTED))
      for value in ("2016", "2016-13-01", "2017-01-01/2016-01-01", "..", "../..x", "2016-01-01/a", "yesterday",
                    "2016-01-01/2016-02-01/2016-03-01", "2016-05-01T25:00:00Z")],
    ("limit=0", error("limit", "0", "a whole number of at least 1")),
    ("limit=-5", error("limit", "-5", "a whole number of at least 1")),
    ("limit=ten", error("limit", "ten", "a whole number of at least 1")),
    ("offset=-1", error("offset", "-1", "a whole number of at least 0")),
    ("f=xml", error("f", "xml", "json or html")),
    ("sector=roads", error("sector", "roads", "one or more of rural_road, culvert, bridge, well, irrigation, "
                                              "drainage, school, health_post, market, public_building "
                                              "(comma-separated)")),
    ("province=99", error("province", "99", "a province code of 2 digits that exists (see /api/v1/places)")),
]


def test_bad_and_unknown_parameters_are_400_with_the_one_error_body(client):
    found = {query: get_json(client, f"/ogc/collections/projects/items?{query}", 400) for query, _ in BAD}
    assert found == dict(BAD)
    assert get_json(client, "/ogc/collections/provinces/items?sector=well", 400) == error(
        "sector", "well", "only the parameters this endpoint declares: f, bbox, bbox-crs, datetime, limit, offset, crs, "
                          "filter, filter-lang, filter-crs, sortby, properties, province, district, commune (OGC API - Features refuses unknown parameters; see /ogc/api)")
    assert get_json(client, "/ogc/collections?foo=1", 400)["error"].startswith(
        'foo was "1"; expected only the parameters this endpoint declares: f (')
    assert get_json(client, "/ogc/collections/projects/items/BMC-2016-001?year=2016", 400)["status"] == 400


# --- area and statistics collections ----------------------------------------------------------------------

def test_boundary_items(client):
    assert [items(client, f"/ogc/collections/{c}/items?limit=1")["numberMatched"]
            for c in ("provinces", "districts", "communes")] == [25, 197, 1633]
    assert ids(client, "/ogc/collections/communes/items?district=0105") == OU_CHROV_COMMUNES
    assert ids(client, "/ogc/collections/provinces/items?commune=010501") == ["01"]  # the commune's province
    assert ids(client, "/ogc/collections/districts/items?province=12&limit=5&offset=10") == ["1211", "1212"]
    assert "010501" in ids(client, "/ogc/collections/communes/items?bbox=102.89,13.65,102.9,13.66")
    assert ids(client, "/ogc/collections/communes/items?datetime=2020-01-01/..") == []
    feature = get_json(client, "/ogc/collections/provinces/items/01", media_type="application/geo+json")
    assert feature["properties"] == {"code": "01", "level": "province", "name_km": "បន្ទាយមានជ័យ",
                                     "name_en": "Banteay Meanchey", "parent_code": None, "unit_type_km": "ខេត្ត",
                                     "unit_type_en": "Province", "area_km2": 6148.569}
    shape = shapely.geometry.shape(feature["geometry"])
    assert feature["geometry"]["type"] == "MultiPolygon" and shape.is_valid
    assert shape.contains(shapely.geometry.Point(102.9, 13.65))


def totals(features):
    return {f["id"]: [f["properties"][k] for k in ("project_count", "budget", "contract_value", "expenditure")]
            for f in features if f["properties"]["project_count"]}


def test_statistics_items(client):
    body = items(client, "/ogc/collections/province-statistics/items")
    assert body["numberMatched"] == 25
    assert body["features"][0]["properties"] == {
        "code": "01", "level": "province", "name_km": "បន្ទាយមានជ័យ", "name_en": "Banteay Meanchey",
        "parent_code": None, "project_count": 3, "budget": 154000000, "contract_value": 110000000,
        "expenditure": 108500000}
    assert totals(body["features"]) == {"01": [3, 154000000, 110000000, 108500000],
                                        "12": [1, 250000000, 240000000, 100000000],
                                        "25": [1, 80000000, 75000000, 75000000]}
    api = client.get("/api/v1/statistics?level=province").get_json()["areas"]
    assert totals(body["features"]) == totals([{"id": a["code"], "properties": a} for a in api])
    by_years = items(client, "/ogc/collections/province-statistics/items?year=2016-2017")["features"]
    assert totals(by_years) == {"01": [2, 124000000, 110000000, 108500000]}
    by_time = items(client, "/ogc/collections/province-statistics/items?datetime=../2015-12-31")["features"]
    assert totals(by_time) == {"01": [1, 30000000, 0, 0], "12": [1, 250000000, 240000000, 100000000]}
    by_eia = items(client, "/ogc/collections/province-statistics/items?eia_required=yes")["features"]
    assert totals(by_eia) == {"12": [1, 250000000, 240000000, 100000000], "25": [1, 80000000, 75000000, 75000000]}
    communes = items(client, "/ogc/collections/commune-statistics/items?district=0105")["features"]
    assert [f["id"] for f in communes] == OU_CHROV_COMMUNES
    assert totals(communes) == {"010501": [1, 120000000, 110000000, 108500000], "010502": [1, 30000000, 0, 0]}
    one = get_json(client, "/ogc/collections/district-statistics/items/0105?sector=rural_road&datetime=2016-01-01",
                   media_type="application/geo+json")
    assert totals([one]) == {"0105": [1, 120000000, 110000000, 108500000]}


def test_every_geometry_is_valid_geojson_in_lon_lat(client):
    for collection in ("projects", "provinces", "districts", "communes", "province-statistics",
                       "district-statistics", "commune-statistics"):
        features = items(client, f"/ogc/collections/{collection}/items?limit=10000")["features"]
        assert features, collection
        for feature in features:
            shape = shapely.geometry.shape(feature["geometry"])
            assert shape.is_valid and not shape.is_empty, (collection, feature["id"])
            minx, miny, maxx, maxy = shape.bounds
            assert 102.3 <= minx <= maxx <= 107.7 and 10.3 <= miny <= maxy <= 14.7, (collection, feature["id"])


# --- HTML -------------------------------------------------------------------------------------------------

def html(client, url, status=200, **headers):
    response = client.get(url, headers=headers)
    assert (response.status_code, response.mimetype) == (status, "text/html"), url
    return response.get_data(as_text=True)


def test_html_pages(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    landing = html(client, "/ogc", Accept=browser)
    varies = client.get("/ogc", headers={"Accept": browser}).headers.get_all("Vary")
    assert "Accept" in {name.strip() for header in varies for name in header.split(",")}  # one header or several
    assert "Layer › Add Layer › Add WFS / OGC API - Features Layer" in landing
    assert f'<code>{BASE}</code>' in landing and f'href="{BASE}/collections?f=html"' in landing
    assert html(client, "/ogc/collections?f=html").count('/items?f=html">HTML</a>') == 7
    assert "102.3338, 10.3536, 107.6277, 14.6903" in html(client, "/ogc/collections/communes?f=html")
    assert html(client, "/ogc/conformance?f=html").count("<li><code>http://www.opengis.net/spec/") == 19
    assert "<code>GET /ogc/collections/projects/items</code>" in html(client, "/ogc/api?f=html")
    assert "<td><code>budget</code></td><td>integer (whole riel)</td>" in html(
        client, "/ogc/collections/projects/schema?f=html")
    assert "<td><code>sector</code></td><td>string: Sector</td>" in html(
        client, "/ogc/collections/projects/queryables?f=html")


def test_html_items_table_and_paging(client):
    page = html(client, "/ogc/collections/projects/items?f=html&limit=2&offset=2&sector=rural_road,well")
    assert "3 features; 3–3 shown." in page
    assert page.count("<tr><td><a href=") == 1
    assert '<td lang="km">អណ្តូងទឹក</td>' in page
    assert ('<a rel="prev" href="http://localhost/ogc/collections/projects/items?sector=rural_road%2Cwell'
            '&amp;limit=2&amp;offset=0&amp;f=html">') in page
    assert 'rel="next"' not in page
    first = html(client, "/ogc/collections/commune-statistics/items?f=html&district=0105")
    assert first.count("<tr><td><a href=") == 7 and '<td class="num">120,000,000</td>' in first
    page = html(client, "/ogc/collections/projects/items/BMC-2016-001?f=html")
    assert '<th scope="row">title_km</th><td lang="km">ផ្លូវក្រួសក្រហម</td>' in page
    assert "Point: 102.9,13.65 (longitude, latitude)" in page
    assert 'Banteay Meanchey' in html(client, "/ogc/collections/provinces/items/01", Accept="text/html")
    assert 'feature &#34;NOPE&#34; does not exist' in html(client, "/ogc/collections/projects/items/NOPE?f=html", 404)
    assert "limit was &#34;0&#34;" in html(client, "/ogc/collections/projects/items?f=html&limit=0", 400)


# --- real clients over a real HTTP server -----------------------------------------------------------------

def run(*command):
    if shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} is not installed: apt-get install -y gdal-bin")
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gdal_reads_pages_and_filters_on_the_server(server, loaded, tmp_path):
    info = run("ogrinfo", "-ro", "-so", f"OAPIF:{server}", "projects")
    assert "Feature Count: 5" in info and "Geometry: Point" in info
    assert "budget: Integer64" in info and "eia_required: Integer(Boolean)" in info and "actual_end: Date" in info
    assert "Feature Count: 1633" in run("ogrinfo", "-ro", "-so", f"OAPIF:{server}", "communes")
    communes = tmp_path / "communes.gpkg"
    run("ogr2ogr", "-f", "GPKG", str(communes), f"OAPIF:{server}", "communes", "-oo", "PAGE_SIZE=1000")
    frame = pyogrio.read_dataframe(communes).set_index("code")
    assert len(frame) == 1633 and set(frame.geometry.geom_type) == {"MultiPolygon"}
    assert frame.loc["010501", ["name_km", "name_en", "parent_code", "unit_type_en"]].tolist() == [
        "ចង្ហា", "Changha", "0105", "Commune"]
    assert frame.loc["010501", "area_km2"] == pytest.approx(66.366, abs=0.001)
    stored = dict(loaded.rows("SELECT code, name_km FROM admin_area WHERE level = 'commune'"))
    with sqlite3.connect(communes) as conn:  # every Khmer name intact, as text
        assert dict(conn.execute("SELECT code, name_km FROM communes").fetchall()) == stored
    target = tmp_path / "roads.gpkg"
    run("ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{server}", "projects", "-oo", "PAGE_SIZE=1",
        "-where", "sector = 'rural_road'", "-spat", "102.7", "13.4", "103.1", "13.7")
    frame = pyogrio.read_dataframe(target)
    assert frame["project_id"].tolist() == ["BMC-2015-005", "BMC-2016-001"]
    assert frame["title_km"].tolist()[1] == "ផ្លូវក្រួសក្រហម" and frame["budget"].tolist() == [30000000, 120000000]
    assert [(p.x, p.y) for p in frame.geometry][1] == (102.9, 13.65)


def test_owslib_reads_collections_and_items(server, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    from owslib.ogcapi.features import Features

    service = Features(server)
    assert service.feature_collections() == ["projects", "provinces", "districts", "communes",
                                             "province-statistics", "district-statistics", "commune-statistics"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in service.conformance()["conformsTo"]
    page = service.collection_items("projects", limit=1, offset=1, bbox=[102.0, 10.0, 108.0, 15.0],
                                    datetime_="2014-01-01/2016-12-31")
    assert (page["numberMatched"], page["numberReturned"]) == (3, 1)
    assert [f["id"] for f in page["features"]] == ["BMC-2015-005"]  # PNP-2014-003 is further south
    roads = service.collection_items("projects", sector="rural_road", limit=10)
    assert [f["properties"]["title_en"] for f in roads["features"]] == ["Koub bridge road", "Laterite road in Changha"]
    assert service.collection_item("communes", "010501")["properties"]["name_km"] == "ចង្ហា"
    parameters = service.api()["paths"]["/collections/projects/items"]["get"]["parameters"]
    assert [p["name"] for p in parameters][:6] == ["f", "bbox", "bbox-crs", "datetime", "limit", "offset"]
