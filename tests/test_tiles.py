"""Vector tiles and TileJSON on both databases: known tiles decoded feature by feature, filters, empty tiles, the
thinning of points at low zoom, cache invalidation, bad addresses, and SpatiaLite and PostGIS tiles being equivalent.

Tile arithmetic here is the textbook slippy-map formula, written independently of mapservice/formats/tiles.py."""
import gzip
import math

import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from mapservice.formats.tiles import render_tile
from mapservice.ingest.pipelines import import_records
from mapservice.read.filters import Filters
from mapservice.store import tables
from mapservice.web import create_app

MVT = "application/vnd.mapbox-vector-tile"
CHANGHA = (102.89362395282203, 13.650770264082052)  # label point of commune 010501 (Banteay Meanchey)


def tile_of(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _merc_y(lat):
    return math.asinh(math.tan(math.radians(lat)))  # radians of the Mercator ordinate


def tile_lonlat_box(z, x, y, grow=0.0):
    """(west, south, east, north) of a tile, grown by ``grow`` tile widths on each side."""
    n = 2 ** z
    lat = lambda row: math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))  # noqa: E731
    return (360 * (x - grow) / n - 180, lat(y + 1 + grow), 360 * (x + 1 + grow) / n - 180, lat(y - grow))


def to_units(lon, lat, z, x, y):
    """Tile units (0..4096, y down) of a point."""
    west, south, east, north = tile_lonlat_box(z, x, y)
    return ((lon - west) / (east - west) * 4096,
            (_merc_y(north) - _merc_y(lat)) / (_merc_y(north) - _merc_y(south)) * 4096)


def decode(body):
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})


def row(line, project_id, **values):
    base = {"line": line, "project_id": project_id, "title_en": f"Road {project_id}", "title_km": "ផ្លូវក្រួសក្រហម",
            "sector": "rural_road", "fiscal_year": "2016", "budget": "1000", "contract_value": "900",
            "expenditure": "800"}
    return {**base, **values}


def load(db, rows):
    return import_records(db.sessions, db.config, pd.DataFrame(rows), "t.csv", "template", "0" * 64)


def client_for(db):
    return create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True}).test_client()


def get_tile(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == MVT
    return decode(response.data) if response.data else {}


def test_commune_tile_of_banteay_meanchey(db):
    load(db, [row(2, "p1", commune_code="010501"), row(3, "p2", commune_code="010501", fiscal_year="2017",
                                                      expenditure="500")])
    z, (x, y) = 8, tile_of(*CHANGHA, 8)
    layer = get_tile(client_for(db), f"/tiles/communes/{z}/{x}/{y}.mvt")["communes"]
    assert layer["extent"] == 4096
    features = {f["id"]: f for f in layer["features"]}
    changha = features[10501]
    assert changha["properties"] == {"code": "010501", "name_km": "ចង្ហា", "name_en": "Changha",
                                     "project_count": 2, "budget": 2000, "contract_value": 1800,
                                     "expenditure": 1300}
    assert features[10502]["properties"]["project_count"] == 0  # a commune without projects is still drawn
    # the communes are those meeting the tile (and at most those meeting it with its 64-unit buffer)
    with db.sessions() as session:
        communes = tables.load_areas(session, "commune")
    meeting = lambda box: set(communes["code"][communes.intersects(shapely.box(*box))])  # noqa: E731
    codes = {f["properties"]["code"] for f in layer["features"]}
    assert meeting(tile_lonlat_box(z, x, y)) <= codes <= meeting(tile_lonlat_box(z, x, y, grow=65 / 4096))
    assert all(f["id"] == int(f["properties"]["code"]) for f in layer["features"])
    # XYZ rows, y down, exterior rings wound as MVT wants: Changha decodes to a valid polygon over its label point
    # with the area of the real commune in tile units
    polygon = shape(changha["geometry"])
    assert polygon.is_valid and polygon.contains(shapely.Point(to_units(*CHANGHA, z, x, y)))
    real = communes.geometry[communes["code"] == "010501"].iloc[0]
    in_units = shapely.transform(real, lambda c: np.array([to_units(lon, lat, z, x, y) for lon, lat in c]))
    assert polygon.area == pytest.approx(in_units.area, rel=0.02)


def test_projects_tile_at_z14_holds_exactly_the_project(db):
    lon, lat = 102.8936, 13.6508
    load(db, [row(2, "here", commune_code="010501", lon=str(lon), lat=str(lat), expenditure=None),
              row(3, "next-door", commune_code="010501", lon=str(lon + 0.03), lat=str(lat)),
              row(4, "elsewhere", commune_code="120101")])
    z, (x, y) = 14, tile_of(lon, lat, 14)
    layer = get_tile(client_for(db), f"/tiles/projects/{z}/{x}/{y}.mvt")["projects"]
    [feature] = layer["features"]
    assert feature["properties"] == {  # no expenditure: a missing value is left out, as ST_AsMVT does
        "project_id": "here", "title_km": "ផ្លូវក្រួសក្រហម", "title_en": "Road here", "sector": "rural_road",
        "fiscal_year": 2016, "budget": 1000, "contract_value": 900, "location_precision": "exact"}
    assert feature["geometry"]["type"] == "Point" and feature["id"] == 0  # no id (0 is protobuf's default)
    assert feature["geometry"]["coordinates"] == pytest.approx(to_units(lon, lat, z, x, y), abs=1)


def test_low_zoom_project_tiles_are_light_and_tiles_are_compressed(db):
    load(db, [row(2, "here", commune_code="010501", lon="102.8936", lat="13.6508")])
    client = client_for(db)
    for z, fields in ((10, ["project_id", "sector", "fiscal_year", "budget", "contract_value", "expenditure"]),
                      (11, ["project_id", "title_km", "title_en", "sector", "fiscal_year", "budget",
                            "contract_value", "expenditure", "location_precision"])):
        x, y = tile_of(102.8936, 13.6508, z)
        [feature] = get_tile(client, f"/tiles/projects/{z}/{x}/{y}.mvt")["projects"]["features"]
        assert list(feature["properties"]) == fields, z
    x, y = tile_of(*CHANGHA, 8)
    plain = client.get(f"/tiles/communes/8/{x}/{y}.mvt")
    packed = client.get(f"/tiles/communes/8/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data)


def test_filters_change_tile_content(db):
    load(db, [row(2, "a", commune_code="010501", lon="102.8936", lat="13.6508"),
              row(3, "b", commune_code="010501", lon="102.8946", lat="13.6508", fiscal_year="2017", sector="well",
                  expenditure="500"),
              row(4, "c", commune_code="020101", fiscal_year="2017", expenditure="70")])
    client = client_for(db)
    z, (x, y) = 14, tile_of(102.8936, 13.6508, 14)
    ids = lambda query: [f["properties"]["project_id"]  # noqa: E731
                         for f in get_tile(client, f"/tiles/projects/{z}/{x}/{y}.mvt{query}")["projects"]["features"]]
    assert ids("") == ["a", "b"]
    assert ids("?year=2017") == ["b"]
    assert ids("?sector=well,bridge&year=2014-2017") == ["b"]
    assert ids("?q=ROAD+b") == ["b"]  # words of the title, any case
    assert get_tile(client, f"/tiles/projects/{z}/{x}/{y}.mvt?year=2015") == {}
    z, (x, y) = 8, tile_of(*CHANGHA, 8)
    communes = lambda query: {  # noqa: E731
        f["properties"]["code"]: f["properties"]
        for f in get_tile(client, f"/tiles/communes/{z}/{x}/{y}.mvt{query}")["communes"]["features"]}
    everything, in_2017, province_01 = communes(""), communes("?year=2017"), communes("?province=01")
    assert (everything["010501"]["project_count"], everything["010501"]["expenditure"]) == (2, 1300)
    assert (in_2017["010501"]["project_count"], in_2017["010501"]["expenditure"]) == (1, 500)
    assert communes("?status=completion")["010501"]["project_count"] == 0  # read from projects, not statistics
    assert {code[:2] for code in everything} > {"01"} and {code[:2] for code in province_01} == {"01"}


def test_empty_tiles_are_empty_200s(db):
    client = client_for(db)
    for path in ("/tiles/communes/10/0/0.mvt", "/tiles/provinces/3/0/0.mvt", "/tiles/projects/14/12879/7567.mvt"):
        response = client.get(path)
        assert (response.status_code, response.mimetype, response.data) == (200, MVT, b"")
        assert response.headers["ETag"] and response.headers["Cache-Control"] == "public, max-age=300"


def test_points_are_thinned_below_zoom_12(db):
    # two projects 27 m apart: in one cell of 1/64 of a tile up to zoom 11, in two cells at zoom 12
    load(db, [row(2, "b-second", commune_code="010501", lon="102.89370", lat="13.65070"),
              row(3, "a-first", commune_code="010501", lon="102.89395", lat="13.65070")])
    client = client_for(db)
    for z, expected in ((6, ["a-first"]), (11, ["a-first"]), (12, ["a-first", "b-second"])):
        x, y = tile_of(102.8937, 13.6507, z)
        features = get_tile(client, f"/tiles/projects/{z}/{x}/{y}.mvt")["projects"]["features"]
        assert [f["properties"]["project_id"] for f in features] == expected, z


def test_tiles_follow_new_imports_and_survive_compression(db):
    client = client_for(db)
    z, (x, y) = 14, tile_of(102.8936, 13.6508, 14)
    path = f"/tiles/projects/{z}/{x}/{y}.mvt"
    assert client.get(path).data == b""
    load(db, [row(2, "new", commune_code="010501", lon="102.8936", lat="13.6508")])
    response = client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in response.headers  # under 500 bytes: not worth compressing
    assert [f["properties"]["project_id"] for f in decode(response.data)["projects"]["features"]] == ["new"]
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_bad_addresses_and_unknown_layers_get_the_json_error(db):
    client = client_for(db)
    cases = {
        "/tiles/communes/21/0/0.mvt": (400, 'z was "21"; expected a zoom level from 0 to 20'),
        "/tiles/communes/z/0/0.mvt": (400, 'z was "z"; expected a zoom level from 0 to 20'),
        "/tiles/communes/3/8/0.mvt": (400, 'x was "8"; expected a tile x from 0 to 7 at zoom 3'),
        "/tiles/communes/3/-1/0.mvt": (400, 'x was "-1"; expected a tile x from 0 to 7 at zoom 3'),
        "/tiles/communes/0/0/1.mvt": (400, 'y was "1"; expected a tile y from 0 to 0 at zoom 0'),
        "/tiles/communes/2/1/1.5.mvt": (400, 'y was "1.5"; expected a tile y from 0 to 3 at zoom 2'),
        "/tiles/communes/2/1/1.mvt?year=2031": (
            400, 'year was "2031"; expected a year from 2014 to 2019, or a range such as 2014-2019'),
        "/tiles/projects/2/1/1.mvt?province=99": (
            400, 'province was "99"; expected a province code of 2 digits that exists (see /api/v1/places)'),
        "/tiles/villages/2/1/1.mvt": (
            404, 'tile layer "villages" does not exist; expected one of projects, provinces, districts, communes'),
        "/tiles/villages.json": (
            404, 'tile layer "villages" does not exist; expected one of projects, provinces, districts, communes'),
    }
    for path, (status, error) in cases.items():
        response = client.get(path)
        assert (response.status_code, response.get_json()) == (status, {"ok": False, "error": error,
                                                                         "status": status}), path


def test_tilejson(db):
    load(db, [row(2, "p1", commune_code="010501", lon="102.8936", lat="13.6508")])
    client = client_for(db)
    version = db.scalar("SELECT version FROM data_version")
    for layer in ("projects", "provinces", "districts", "communes"):
        document = client.get(f"/tiles/{layer}.json?year=2016&province=01").get_json()
        assert set(document) == {"tilejson", "name", "description", "version", "attribution", "scheme", "tiles",
                                 "minzoom", "maxzoom", "bounds", "center", "vector_layers"}
        assert (document["tilejson"], document["version"], document["scheme"]) == ("3.0.0", f"1.{version}.0", "xyz")
        assert (document["minzoom"], document["maxzoom"]) == (0, 14)
        assert document["tiles"] == [f"http://localhost/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt?year=2016&province=01"]
        west, south, east, north = document["bounds"]
        assert 102.2 < west < 102.4 and 10.3 < south < 10.5 and 107.5 < east < 107.7 and 14.6 < north < 14.8
        assert document["center"][:2] == [round((west + east) / 2, 4), round((south + north) / 2, 4)]
        assert all(name in document["attribution"] for name in ("geoBoundaries", "CC BY 4.0", "NCDD"))
        [vector_layer] = document["vector_layers"]
        assert (vector_layer["id"], vector_layer["minzoom"], vector_layer["maxzoom"]) == (layer, 0, 14)
        assert all(isinstance(text, str) and text for text in vector_layer["fields"].values())
        # the template works, and the tile's one layer is the TileJSON layer with exactly the declared fields
        z, (x, y) = 14, tile_of(102.8936, 13.6508, 14)
        url = document["tiles"][0].format(z=z, x=x, y=y).removeprefix("http://localhost")
        assert client.get(url).data == client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt?province=01&year=2016").data
        [(name, content)] = get_tile(client, url).items()
        assert name == layer and set(content["features"][0]["properties"]) == set(vector_layer["fields"])
    assert "year=2016; province=01" in document["description"]


def _equivalence_rows(communes):
    """Projects in every commune of provinces 01 and 12: code-only ones at the commune's label point (many per
    point, for the thinning), exact points near it, missing values and a Khmer title that varies."""
    rows, line = [], 2
    for index, (code, lon, lat) in enumerate(zip(communes["code"], communes["label_lon"], communes["label_lat"])):
        for k in range(3):
            extra = {"lon": f"{lon + 0.002 * k:.6f}", "lat": f"{lat - 0.001 * k:.6f}"} if k else {}
            rows.append(row(line, f"{code}-{k}", commune_code=code, fiscal_year=str(2014 + (index + k) % 6),
                            title_km=f"ផ្លូវ {index}", expenditure=None if k == 2 else str(1000 + index), **extra))
            line += 1
    return rows


def _features(session, layer, address):
    decoded = decode(render_tile(session, layer, *address, Filters()))
    return {f["properties"].get("project_id", f["id"]): f for f in decoded[layer]["features"]}


# (layer, a point in the tile, zoom); polygons below zoom 8 are compared by area, see below
EQUIVALENT_TILES = [("communes", CHANGHA, 8), ("communes", (104.92, 11.56), 10), ("provinces", CHANGHA, 5),
                    ("districts", (104.92, 11.56), 6), ("projects", CHANGHA, 6), ("projects", CHANGHA, 10),
                    ("projects", CHANGHA, 14), ("projects", (104.92, 11.56), 13)]


def test_spatialite_and_postgis_tiles_are_equivalent(make_db):
    databases = [make_db("spatialite"), make_db("postgis")]
    with databases[0].sessions() as session:
        communes = tables.load_areas(session, "commune")
    rows = _equivalence_rows(communes[communes["code"].str[:2].isin(["01", "12"])])
    for database in databases:
        load(database, rows)
    sessions = [database.sessions() for database in databases]
    for layer, lonlat, zoom in EQUIVALENT_TILES:
        spatialite, postgis = (_features(session, layer, (zoom, *tile_of(*lonlat, zoom))) for session in sessions)
        assert list(spatialite) == list(postgis) and len(spatialite) > 1, (layer, zoom)  # same features, same order
        for key, feature in spatialite.items():
            assert feature["properties"] == postgis[key]["properties"], (layer, zoom, key)
            a, b = shape(feature["geometry"]), shape(postgis[key]["geometry"])
            if layer != "projects" and zoom < 8:
                # both snap to whole units, then repair what snapping broke (GEOS here, wagyu in PostGIS): they
                # may keep different slivers of a unit or two (1/8 px), so compare areas, not outlines
                assert a.symmetric_difference(b).area <= 4 + 0.001 * a.area, (layer, zoom, key)
            else:
                assert a.hausdorff_distance(b) <= 1.5, (layer, zoom, key)
    for session in sessions:
        session.close()
