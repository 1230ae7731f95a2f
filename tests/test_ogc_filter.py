"""OGC API - Features Parts 2 and 3 and the items options: queryables, CQL2 filters (text and JSON) and their 400s,
crs/bbox-crs/filter-crs with Content-Crs, sortby, properties; GDAL pushing a -where to the server."""
import json
import subprocess
from urllib.parse import quote

import pytest
import shapely.geometry

from tests.test_ogc import ALL_IDS, client, get_json, ids, items, loaded, run, server  # noqa: F401 (fixtures)

UTM = "http://www.opengis.net/def/crs/EPSG/0/32648"


def where(client, text, collection="projects", **extra):
    query = "&".join([f"filter={quote(text)}", *[f"{k.replace('_', '-')}={quote(v)}" for k, v in extra.items()]])
    return ids(client, f"/ogc/collections/{collection}/items?{query}")


FILTERS = [
    ("fiscal_year = 2016 AND province_code = '01'", ["BMC-2016-001"]),
    ("fiscal_year >= 2017", ["BMC-2017-002", "TBK-2019-004"]),
    ("2016 < fiscal_year", ["BMC-2017-002", "TBK-2019-004"]),
    ("sector = 'rural_road' OR budget > 200000000", ["BMC-2015-005", "BMC-2016-001", "PNP-2014-003"]),
    ("NOT (province_code = '01')", ["PNP-2014-003", "TBK-2019-004"]),
    ("eia_required = TRUE", ["PNP-2014-003", "TBK-2019-004"]),
    ("status IS NULL", ["BMC-2017-002", "TBK-2019-004"]),
    ("actual_end IS NOT NULL AND actual_end < DATE('2016-08-01')", ["BMC-2016-001"]),
    ("planned_start = '2016-03-01T'", ["BMC-2016-001"]),  # how GDAL 3.6 writes a date
    ("contract_value = expenditure", ["TBK-2019-004"]),
    ("title_en LIKE '%road%'", ["BMC-2015-005", "BMC-2016-001"]),
    ("sector IN ('well', 'school')", ["BMC-2017-002", "PNP-2014-003"]),
    ("budget BETWEEN 10000000 AND 100000000", ["BMC-2015-005", "TBK-2019-004"]),
    ("S_INTERSECTS(geometry, BBOX(102.8, 13.6, 103.0, 13.7))", ["BMC-2016-001"]),
    ("S_INTERSECTS(geometry, POLYGON((102.8 13.6, 103 13.6, 103 13.7, 102.8 13.6)))", ["BMC-2016-001"]),
    ("fiscal_year = 2030", []),
]


def test_cql2_text_filters(client):
    assert {text: where(client, text) for text, _ in FILTERS} == dict(FILTERS)


def test_cql2_json_filters_give_the_same_features(client):
    both = {"op": "and", "args": [{"op": "=", "args": [{"property": "fiscal_year"}, 2016]},
                                  {"op": "s_intersects", "args": [{"property": "geometry"},
                                                                  {"bbox": [102.8, 13.6, 103.0, 13.7]}]}]}
    assert where(client, json.dumps(both), filter_lang="cql2-json") == ["BMC-2016-001"]
    dates = {"op": ">", "args": [{"property": "actual_end"}, {"date": "2016-01-01"}]}
    assert where(client, json.dumps(dates), filter_lang="cql2-json") == ["BMC-2016-001"]
    assert where(client, "province_code = '01'", filter_lang="cql-text") == ["BMC-2015-005", "BMC-2016-001",
                                                                              "BMC-2017-002"]
    assert where(client, "parent_code = '0105' AND name_en LIKE 'ch%'", "communes") == ["010501"]
    assert where(client, "S_INTERSECTS(geometry, POINT(102.9 13.65))", "district-statistics") == ["0105"]
    # a UTM 48N point in filter-crs: the same place as 102.9, 13.65
    assert where(client, "S_INTERSECTS(geometry, POINT(272834.85 1510001.35))", "communes", filter_crs=UTM) == ["010501"]


def bad(client, text, lang=None, collection="projects"):
    query = f"filter={quote(text)}" + (f"&filter-lang={lang}" if lang else "")
    body = get_json(client, f"/ogc/collections/{collection}/items?{query}", 400)
    assert body["ok"] is False and body["status"] == 400
    return body["error"]


def test_bad_filters_are_400_naming_what_and_where(client):
    assert bad(client, "fiscal_year = = 2016") == (
        'filter: syntax error at position 15 (line 1, column 15): unexpected "=" in CQL2 text: fiscal_year = = 2016')
    assert bad(client, "fiscal_year = 2016 AND").startswith("filter: syntax error at position 23: the filter ends")
    assert bad(client, '{"op": "="', "cql2-json").startswith("filter: syntax error at position 11 (line 1, column 11)")
    assert bad(client, "budget_total > 1").startswith(
        'filter: "budget_total" is not a queryable of this collection; the queryables are project_id, ')
    assert bad(client, "fiscal_year = '2016'") == (
        "filter: fiscal_year is integer; '2016' is not (e.g. fiscal_year = 2016)")
    assert bad(client, "sector = 'road'").startswith('filter: sector was "road"; expected one of rural_road, culvert')
    assert bad(client, "fiscal_year + 1 = 2017").startswith("filter: ")
    assert bad(client, "S_INTERSECTS(fiscal_year, BBOX(1,2,3,4))") == (
        "filter: S_INTERSECTS needs the geometry property; fiscal_year is integer")
    assert bad(client, "unit_type_en = 'x'", collection="province-statistics").startswith(
        'filter: "unit_type_en" is not a queryable')
    assert bad(client, "fiscal_year = 2016", "sql") == (
        'filter-lang was "sql"; expected cql2-text or cql2-json')
    # a value is bound, never spliced into the SQL
    assert where(client, "title_en = 'x\" OR 1=1; DROP TABLE project; --'") == []
    assert where(client, "project_id = 'BMC-2016-001'") == ["BMC-2016-001"]


def test_queryables_document(client):
    body = get_json(client, "/ogc/collections/projects/queryables", media_type="application/schema+json")
    assert body["$id"] == "http://localhost/ogc/collections/projects/queryables"
    assert body["properties"]["sector"]["enum"][:2] == ["rural_road", "culvert"]
    assert body["properties"]["actual_end"] == {"title": "actual_end", "description": "Actual end date",
                                                "type": "string", "format": "date"}
    assert body["properties"]["geometry"]["format"] == "geometry-point"
    assert {"id": "fiscal_year", "type": "integer"} in body["queryables"]
    plain = client.get("/ogc/collections/communes/queryables", headers={"Accept": "application/json"})
    assert plain.mimetype == "application/json" and "geometry-multipolygon" in plain.get_data(as_text=True)
    links = get_json(client, "/ogc/collections/projects")["links"]
    assert {"href": "http://localhost/ogc/collections/projects/queryables", "type": "application/schema+json",
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "title": "queryables: what filter and sortby may name (JSON Schema)"} in links


def test_crs_bbox_crs_and_content_crs(client):
    collection = get_json(client, "/ogc/collections/communes")
    assert collection["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                                 "http://www.opengis.net/def/crs/EPSG/0/4326",
                                 "http://www.opengis.net/def/crs/EPSG/0/3857", UTM]
    assert collection["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    default = client.get("/ogc/collections/projects/items/BMC-2016-001")
    assert default.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    utm = client.get(f"/ogc/collections/projects/items/BMC-2016-001?crs={UTM}")
    assert utm.headers["Content-Crs"] == f"<{UTM}>"
    assert utm.get_json(force=True)["geometry"]["coordinates"] == pytest.approx([272834.85, 1510001.35], abs=0.01)
    latlon = client.get("/ogc/collections/projects/items?crs=http://www.opengis.net/def/crs/EPSG/0/4326&limit=1"
                        "&filter=project_id='BMC-2016-001'").get_json(force=True)
    assert latlon["features"][0]["geometry"]["coordinates"] == [13.65, 102.9]
    mercator = items(client, "/ogc/collections/communes/items?crs=EPSG:3857&commune=010501&limit=1")["features"]
    assert shapely.geometry.shape(mercator[0]["geometry"]).contains(shapely.geometry.Point(11454775, 1534092))
    # bbox in UTM 48N metres and in EPSG:4326 (lat, lon order) select what the CRS84 box does
    assert ids(client, f"/ogc/collections/projects/items?bbox=265000,1500000,280000,1520000&bbox-crs={UTM}") == [
        "BMC-2016-001"]
    assert ids(client, "/ogc/collections/projects/items?bbox=13.6,102.8,13.7,103.0"
                       "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326") == ["BMC-2016-001"]
    assert get_json(client, "/ogc/collections/projects/items?crs=EPSG:4269", 400)["error"].startswith(
        'crs was "EPSG:4269"; expected one of http://www.opengis.net/def/crs/OGC/1.3/CRS84, ')


def test_sortby_and_properties(client):
    assert ids(client, "/ogc/collections/projects/items?sortby=-budget") == [
        "PNP-2014-003", "BMC-2016-001", "TBK-2019-004", "BMC-2015-005", "BMC-2017-002"]
    assert ids(client, "/ogc/collections/projects/items?sortby=province_code,-fiscal_year") == [
        "BMC-2017-002", "BMC-2016-001", "BMC-2015-005", "PNP-2014-003", "TBK-2019-004"]
    assert ids(client, "/ogc/collections/province-statistics/items?sortby=-expenditure&limit=3") == ["01", "12", "25"]
    districts = items(client, "/ogc/collections/districts/items?province=01")["features"]
    by_name = sorted(districts, key=lambda f: f["properties"]["name_en"], reverse=True)
    assert ids(client, "/ogc/collections/districts/items?province=01&sortby=-name_en") == [f["id"] for f in by_name]
    body = items(client, "/ogc/collections/projects/items?properties=budget,project_id&limit=1")
    assert body["features"][0]["properties"] == {"project_id": "BMC-2015-005", "budget": 30000000}
    one = get_json(client, "/ogc/collections/provinces/items/01?properties=name_en", media_type="application/geo+json")
    assert one["properties"] == {"name_en": "Banteay Meanchey"}
    assert get_json(client, "/ogc/collections/projects/items?sortby=-nope", 400)["error"].startswith(
        'sortby was "-nope"; expected comma-separated property names, each with an optional + (ascending) or -')
    assert get_json(client, "/ogc/collections/projects/items?properties=budget,nope", 400)["error"].startswith(
        'properties was "budget,nope"; expected comma-separated property names of this collection: project_id,')
    assert ids(client, "/ogc/collections/projects/items?sortby=project_id") == ALL_IDS


def test_gdal_sends_the_where_to_the_server_as_cql2(server):
    where_clause = "fiscal_year = 2016 AND province_code = '01'"
    done = subprocess.run(["ogrinfo", "-ro", "-al", "-q", f"OAPIF:{server}", "projects", "-where", where_clause],
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1", "CPL_DEBUG": "ON"})
    assert done.returncode == 0, done.stderr
    assert "OAPIF: CQL text detected" in done.stderr
    assert "Full filter will be evaluated on client side" not in done.stderr
    sent = "filter=(fiscal_year%20%3D%202016)%20AND%20(province_code%20%3D%20'01')&filter-lang=cql-text"
    assert f"/ogc/collections/projects/items?f=json&limit=10&{sent})" in done.stderr  # the HTTP: Fetch(...) line
    assert "project_id (String) = BMC-2016-001" in done.stdout and done.stdout.count("OGRFeature(projects)") == 1
    info = run("ogrinfo", "-ro", "-so", f"OAPIF:{server}", "projects")
    assert "actual_end: Date" in info and "fiscal_year: Integer" in info


def test_ogc_api_tiles_serve_the_same_tiles_as_tiles(client):
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset" in get_json(client, "/ogc/conformance")[
        "conformsTo"]
    links = get_json(client, "/ogc/collections/commune-statistics")["links"]
    [tiles_link] = [link for link in links if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"]
    assert tiles_link["href"] == "http://localhost/ogc/collections/commune-statistics/tiles"
    listed = get_json(client, "/ogc/collections/commune-statistics/tiles")["tilesets"]
    assert [t["tileMatrixSetURI"] for t in listed] == [
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"]
    tileset = get_json(client, "/ogc/collections/commune-statistics/tiles/WebMercatorQuad?year=2016")
    [template] = [link["href"] for link in tileset["links"] if link["rel"] == "item"]
    assert template == ("http://localhost/ogc/collections/commune-statistics/tiles/WebMercatorQuad/"
                        "{tileMatrix}/{tileRow}/{tileCol}?year=2016")
    assert tileset["layers"][0]["id"] == "communes" and tileset["dataType"] == "vector"
    assert {"tileMatrix": "8", "minTileRow": 117, "maxTileRow": 120, "minTileCol": 200, "maxTileCol": 204} in tileset[
        "tileMatrixSetLimits"]
    tms = get_json(client, "/ogc/tileMatrixSets/WebMercatorQuad")
    assert (tms["id"], tms["crs"], len(tms["tileMatrices"]), tms["tileMatrices"][0]["matrixWidth"]) == (
        "WebMercatorQuad", "http://www.opengis.net/def/crs/EPSG/0/3857", 15, 1)
    assert tms["tileMatrices"][8]["scaleDenominator"] == pytest.approx(2183915.0935)  # the standard's value
    # {tileMatrix}/{tileRow}/{tileCol} is z/y/x: the same bytes as /tiles
    for collection, layer in (("projects", "projects"), ("commune-statistics", "communes"), ("districts", "districts")):
        ogc = client.get(f"/ogc/collections/{collection}/tiles/WebMercatorQuad/8/118/201?year=2016")
        plain = client.get(f"/tiles/{layer}/8/201/118.mvt?year=2016")
        assert ogc.status_code == 200 and ogc.mimetype == "application/vnd.mapbox-vector-tile"
        assert ogc.data == plain.data and len(plain.data) > 0, collection
    assert get_json(client, "/ogc/collections/communes/tiles/WebMercatorQuad/3/9/0", 400)["error"] == (
        'y was "9"; expected a tile y from 0 to 7 at zoom 3')
