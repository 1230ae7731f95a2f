"""The core API under /api/v1 on both databases: index, layers (RFC 7946 GeoJSON per level with class breaks),
projects (paging, sorting, JSON/GeoJSON/CSV, every filter), one project, statistics, area profiles, place search,
locate, the one 400 JSON error body, and HTTP caching, compression, CORS and Vary.

The data: test_pages.PROJECTS (the `site` fixture), the readers' template_en.csv and three more rows (EXTRA) for the
filters' other values, an over-spent area and a project at sea. Expected values come from those inputs (the CSV
read with the csv module) and from SQL on the database, never from the code under test."""
import csv
import gzip
import io
import math
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import brotli
import pytest

from mapservice.ingest.pipelines import import_projects
from mapservice.read import projects
from mapservice.store import vocabulary
from tests.test_bad_input import FIXTURES
from tests.test_downloads import EN_HEADER, KM_HEADER
from tests.test_pages import PROJECTS, load_projects, make_client, site  # noqa: F401 (fixtures)

BOM = "\ufeff".encode()
GEOJSON = "application/geo+json"
LEVELS = ("province", "district", "commune")
LENGTH = {"province": 2, "district": 4, "commune": 6}
MEASURES = ("project_count", "budget", "contract_value", "expenditure")
ZERO = dict.fromkeys(MEASURES, 0)
YEARS = range(2014, 2020)
# Cambodia with a margin, for "every coordinate is a lon/lat in Cambodia"
CAMBODIA = (102.0, 9.5, 108.0, 15.0)

# The filters' other values: a cancelled, over-spent market (ratio 1.3) and a health post spent at exactly
# 1.05 x its budget in Battambang, and a project whose point is in the sea (in no area).
EXTRA = [
    {"line": 2, "project_id": "BB-2014-01", "title_en": "Market shed, Kantueu Muoy", "title_km": "រោងផ្សារ ឃុំកន្ទឺ១",
     "sector": "market", "project_type": "construction", "status": "cancelled", "fiscal_year": "2014",
     "funding_source": "district_fund", "budget": "5000000", "expenditure": "6500000", "eia_required": "yes",
     "eia_status": "pending", "commune_code": "020101"},
    {"line": 3, "project_id": "CC-2018-02", "title_en": "Health post", "title_km": "ប៉ុស្តិ៍សុខភាព ឃុំកន្ទឺ២",
     "sector": "health_post", "status": "implementation", "fiscal_year": "2018", "funding_source": "community",
     "budget": "4000000", "contract_value": "3900000", "expenditure": "4200000", "eia_required": "no",
     "eia_status": "not_required", "commune_code": "020102"},
    {"line": 4, "project_id": "ZZ-2019-01", "title_en": "Drainage, place unknown", "title_km": "ប្រព័ន្ធលូ",
     "sector": "drainage", "status": "identification", "fiscal_year": "2019", "funding_source": "development_partner",
     "budget": "1000000", "expenditure": "1500000", "eia_required": "yes", "eia_status": "not_done",
     "lon": "103.2", "lat": "10.5"},
]
# template_en.csv columns -> record fields
TEMPLATE_COLUMNS = {
    "Project ID": "project_id", "PID reference": "pid_reference", "Title (Khmer)": "title_km",
    "Title (English)": "title_en", "Sector": "sector", "Status": "status", "Fiscal year": "fiscal_year",
    "Actual end": "actual_end", "Budget (riel)": "budget", "Contract value (riel)": "contract_value",
    "Expenditure (riel)": "expenditure", "EIA required": "eia_required", "EIA status": "eia_status",
    "Funding source": "funding_source", "Commune code": "commune_code", "Longitude": "lon", "Latitude": "lat",
}
SECTOR_OF_LABEL = {labels[0]: code for code, labels in vocabulary.SECTORS.items()}  # "Well / water supply" -> well
LAYER_KINDS = {"project_points": "points", "project_count": "choropleth", "expenditure": "choropleth",
               "budget_vs_actual": "choropleth", "budget_by_area": "choropleth", "admin_outlines": "outline"}
CLASSIFICATIONS = {"project_points": "quantiles", "project_count": "quantiles", "expenditure": "natural_breaks",
                   "budget_vs_actual": "fixed", "budget_by_area": "fixed", "admin_outlines": None}
ALL_FILTERS = ["year", "province", "district", "commune", "sector", "status", "eia_required", "eia_status",
               "funding_source", "q"]
CHOROPLETHS = ("project_count", "expenditure", "budget_vs_actual")
FIXED_BREAKS = [0.8, 0.95, 1.05, 1.2, None]


def _int(text):
    text = str(text or "").replace(",", "").strip()
    return int(text) if text else None


def _text(value):
    value = str(value or "").strip()
    return value or None


def _record(row, commune):
    """A project as the tests expect it, from one input row (canonical field names, raw strings)."""
    return {
        "project_id": row["project_id"], "commune": commune, "fiscal_year": int(row["fiscal_year"]),
        "sector": SECTOR_OF_LABEL.get(row["sector"], row["sector"]), "status": _text(row.get("status")),
        "funding_source": _text(row.get("funding_source")),
        "eia_required": {"yes": True, "no": False}.get(str(row.get("eia_required") or "").strip().lower()),
        "eia_status": _text(row.get("eia_status")), "budget": _int(row.get("budget")),
        "contract_value": _int(row.get("contract_value")), "expenditure": _int(row.get("expenditure")),
        "title_km": _text(row.get("title_km")), "title_en": _text(row.get("title_en")),
        "actual_end": _text(row.get("actual_end")),
    }


def commune_at(db, lon, lat):
    """The commune holding a point, by SQL on the stored polygons (None outside every commune)."""
    point = "MakePoint(:lon, :lat, 4326)" if db.backend == "spatialite" else "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    truth = " = 1" if db.backend == "spatialite" else ""
    codes = [row[0] for row in db.rows(
        f"SELECT code FROM admin_area WHERE level = 'commune' AND ST_Contains(geom, {point}){truth}", lon=lon, lat=lat)]
    assert len(codes) <= 1
    return codes[0] if codes else None


def expected_projects(db):
    """Every loaded project, from PROJECTS, EXTRA and template_en.csv (read with csv)."""
    rows = [dict(row) for row in PROJECTS + EXTRA]
    with open(FIXTURES / "template_en.csv", newline="", encoding="utf-8-sig") as file:
        for line in csv.DictReader(file):
            rows.append({TEMPLATE_COLUMNS[k]: v for k, v in line.items() if k in TEMPLATE_COLUMNS})
    records = {}
    for row in rows:
        code = str(row.get("commune_code") or "").strip().upper().removeprefix("KH") or None
        if code is None:
            code = commune_at(db, float(row["lon"]), float(row["lat"]))
        records[row["project_id"]] = _record(row, code)
    return records


def stored_areas(db, level):
    rows = db.rows("SELECT code, name_km, name_en, parent_code, label_lon, label_lat, unit_type_km, unit_type_en, "
                   "area_km2 FROM admin_area WHERE level = :level ORDER BY code", level=level)
    return {row[0]: dict(row._mapping) for row in rows}


@dataclass
class Api:
    db: object
    client: object
    projects: dict
    areas: dict = field(default_factory=dict)

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def json(self, url, status=200, **kwargs):
        response = self.client.get(url, **kwargs)
        assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
        return response.get_json(force=True)


@pytest.fixture(scope="module")
def api(site):
    """The `site` database and app (PROJECTS) with EXTRA and template_en.csv imported on top: read-only tests."""
    load_projects(site.db, EXTRA)
    import_projects(site.db.sessions, site.db.config, FIXTURES / "template_en.csv")
    found = Api(site.db, site.client, expected_projects(site.db))
    found.areas = {level: stored_areas(site.db, level) for level in LEVELS}
    return found


# ---------------------------------------------------------------------------------------------------- expectations

def matches(project, params):
    """Whether a project passes the filters (the API's documented meaning, written independently)."""
    for name, value in params.items():
        values = [v.strip() for v in value.split(",")]
        if name == "year":
            first, _, last = value.partition("-")
            if not int(first) <= project["fiscal_year"] <= int(last or first):
                return False
        elif name in LENGTH:
            code = project["commune"]
            if code is None or not any(code.startswith(v.upper().removeprefix("KH")) for v in values):
                return False
        elif name in ("sector", "status", "eia_status", "funding_source"):
            if project[name] not in values:
                return False
        elif name == "eia_required":
            if project["eia_required"] is not (value.lower() in ("yes", "true", "1")):
                return False
        elif name == "q":
            for word in value.split():
                if not (word.casefold() in (project["title_en"] or "").casefold() or word in (project["title_km"] or "")
                        or word.casefold() in project["project_id"].casefold()):
                    return False
        else:
            raise AssertionError(f"no expectation for filter {name}")
    return True


def selected(api, params=None):
    return [p for p in api.projects.values() if matches(p, params or {})]


def sums(projects, level):
    """Count, budget, contract value and expenditure per area of a level (a project without a value counts 0)."""
    totals = {}
    for project in projects:
        if project["commune"] is None:
            continue
        area = totals.setdefault(project["commune"][:LENGTH[level]], dict(ZERO))
        area["project_count"] += 1
        for measure in MEASURES[1:]:
            area[measure] += project[measure] or 0
    return totals


def total(projects):
    located = [p for p in projects if p["commune"] is not None]
    return {"project_count": len(located), **{m: sum(p[m] or 0 for p in located) for m in MEASURES[1:]}}


def codes_within(api, level, params):
    """Codes of a level inside the area filters: inside one of the areas, or holding one of them."""
    finest = next((name for name in ("commune", "district", "province") if params.get(name)), None)
    prefixes = [c.strip().upper().removeprefix("KH") for c in params[finest].split(",")] if finest else []
    return sorted(code for code in api.areas[level]
                  if not prefixes or any(code.startswith(p) or p.startswith(code) for p in prefixes))


def ratio(totals):
    return round(totals["expenditure"] / totals["budget"], 4) if totals["budget"] else None


VALUE_OF = {"project_count": lambda t: t["project_count"], "expenditure": lambda t: t["expenditure"],
            "budget_vs_actual": ratio}


def check_classes(features, legend, key="value"):
    """Every value lies in its class: (min, max], the first class [min, max]; no value, no class."""
    classes = legend["classes"]
    assert [c["class"] for c in classes] == list(range(len(classes)))
    assert legend["breaks"] == [c["max"] for c in classes]
    for feature in features:
        value, index = feature["properties"][key], feature["properties"].get("class", "absent")
        if value is None:
            assert index is None, feature["id"]
            continue
        if index == "absent":  # clusters carry no class: their value must still be inside the legend
            index = next(i for i, c in enumerate(classes) if c["max"] is None or value <= c["max"])
        low = -math.inf if classes[index]["min"] is None else classes[index]["min"]
        high = math.inf if classes[index]["max"] is None else classes[index]["max"]
        assert (low <= value if index == 0 else low < value) and value <= high, (feature["id"], value, classes[index])


def check_breaks(values, breaks):
    """Few distinct values: one class each; otherwise at most 5 classes, the last ending at the maximum."""
    distinct = sorted(set(values))
    if len(distinct) <= 5:
        assert breaks == [float(v) for v in distinct]
    else:
        assert len(breaks) <= 5 and breaks == sorted(breaks) and breaks[-1] == max(values)


def ring_is_counterclockwise(ring):
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:])) > 0


def rfc7946_problems(feature):
    """What in an area feature's geometry breaks RFC 7946 (positions, closed rings, the right-hand rule)."""
    geometry, problems = feature["geometry"], []
    if geometry["type"] not in ("Polygon", "MultiPolygon"):
        return [f"{feature['id']}: geometry type {geometry['type']}"]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for rings in polygons:
        for index, ring in enumerate(rings):
            if len(ring) < 4 or ring[0] != ring[-1]:
                problems.append(f"{feature['id']}: ring not closed")
            if not all(len(p) == 2 and CAMBODIA[0] < p[0] < CAMBODIA[2] and CAMBODIA[1] < p[1] < CAMBODIA[3]
                       for p in ring):
                problems.append(f"{feature['id']}: position not lon,lat in Cambodia")
            if ring_is_counterclockwise(ring) != (index == 0):
                problems.append(f"{feature['id']}: {'exterior' if index == 0 else 'hole'} ring against the right-hand rule")
    return problems


def vary(response):
    """The Vary tokens of every Vary header line (several lines mean one comma-separated list)."""
    return {token.strip() for line in response.headers.getlist("Vary") for token in line.split(",") if token.strip()}


def query(params):
    return "&".join(f"{k}={v}" for k, v in params.items())


# ---------------------------------------------------------------------------------------------------- the fixture

def test_the_stored_projects_are_the_inputs(api):
    """The expectations below hold only if the import stored what the inputs say."""
    rows = api.db.rows("SELECT project_id, commune_code, fiscal_year, sector, status, funding_source, eia_required, "
                       "eia_status, budget, contract_value, expenditure FROM project ORDER BY project_id")
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], None if r[6] is None else bool(r[6]), *r[7:]) for r in rows] == [
        (p["project_id"], p["commune"], p["fiscal_year"], p["sector"], p["status"], p["funding_source"],
         p["eia_required"], p["eia_status"], p["budget"], p["contract_value"], p["expenditure"])
        for p in sorted(api.projects.values(), key=lambda p: p["project_id"])]
    assert len(api.projects) == 9
    assert api.projects["OC-2017-010902-001"]["commune"] == "010905"  # point only: the SQL point-in-polygon
    assert api.projects["ZZ-2019-01"]["commune"] is None  # at sea
    assert [len(api.areas[level]) for level in LEVELS] == [25, 197, 1633]


# ---------------------------------------------------------------------------------------------------- index, layers

def test_index_links_every_part_of_the_api(api):
    version = api.db.scalar("SELECT version FROM data_version WHERE id = 1")
    assert api.json("/api/v1/") == {
        "title": "Cambodia sub-national infrastructure projects API", "version": "1", "data_version": version,
        "links": {"layers": "http://localhost/api/v1/layers", "list_projects": "http://localhost/api/v1/projects",
                  "places": "http://localhost/api/v1/places", "locate": "http://localhost/api/v1/locate",
                  "statistics": "http://localhost/api/v1/statistics"}}


def test_layers_lists_every_layer_with_titles_legend_filters_popup_and_classification(api):
    layers = api.json("/api/v1/layers")["layers"]
    assert [layer["name"] for layer in layers] == list(LAYER_KINDS)
    record = api.json("/api/v1/projects/OC-2015-01")
    for layer in layers:
        name = layer["name"]
        assert set(layer) == {"name", "title", "description", "kind", "legend_title", "levels", "filters",
                              "popup_fields", "classification", "options", "url"}, name
        for key in ("title", "description", "legend_title"):
            assert set(layer[key]) == {"km", "en"}, (name, key)
            assert any("\u1780" <= ch <= "\u17ff" for ch in layer[key]["km"]), (name, key)  # Khmer script
            assert layer[key]["en"].strip(), (name, key)
            assert not any("\u1780" <= ch <= "\u17ff" for ch in layer[key]["en"]), (name, key)
        assert layer["kind"] == LAYER_KINDS[name]
        assert layer["classification"] == CLASSIFICATIONS[name]
        budgets = name == "budget_by_area"  # budgets are per district and commune, filtered by area and year
        assert layer["levels"] == (["district", "commune"] if budgets else list(LEVELS))
        assert layer["filters"] == (["province", "district", "commune"] if name == "admin_outlines" else
                                    ["year", "province", "district", "commune"] if budgets else ALL_FILTERS)
        assert layer["url"] == f"http://localhost/api/v1/layers/{name}"
        data = api.get(layer["url"])
        assert (data.status_code, data.mimetype) == (200, GEOJSON)
        body = data.get_json(force=True)
        # the popup shows fields the layer delivers (a project's popup shows its whole record)
        available = set(record) if name == "project_points" else set(body["features"][0]["properties"])
        assert layer["popup_fields"] and set(layer["popup_fields"]) <= available, (name, set(layer["popup_fields"]) - available)
        if name != "admin_outlines":
            assert body["legend"]["title"] == layer["legend_title"]
            assert body["legend"]["classification"] == layer["classification"]


# ---------------------------------------------------------------------------------------------------- choropleths

LAYER_FILTERS = {
    "none": ({}, {}),
    "status": ({"status": "completion"}, {"status": "completion"}),  # read from the projects
    "years-sectors": ({"year": "2016-2017", "sector": "well,rural_road"},  # read from the area statistics
                      {"year": "2016-2017", "sector": "rural_road,well"}),
    "district": ({"district": "0105"}, {"district": "0105"}),
}


@pytest.mark.parametrize("filters", LAYER_FILTERS, ids=str)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", CHOROPLETHS)
def test_choropleth_values_are_the_sums_over_the_projects(api, name, level, filters):
    params, normalised = LAYER_FILTERS[filters]
    response = api.get(f"/api/v1/layers/{name}?level={level}&{query(params)}")
    assert (response.status_code, response.mimetype) == (200, GEOJSON)
    body = response.get_json(force=True)
    expected_sums = sums(selected(api, params), level)
    codes = codes_within(api, level, params)
    assert (body["type"], body["layer"], body["level"], body["filters"]) == ("FeatureCollection", name, level, normalised)
    assert "crs" not in body
    assert sorted(f["id"] for f in body["features"]) == codes
    value_of = VALUE_OF[name]
    for feature in body["features"]:
        code = feature["id"]
        totals = expected_sums.get(code, ZERO)
        area = api.areas[level][code]
        assert feature["type"] == "Feature"
        properties = {k: v for k, v in feature["properties"].items() if k not in ("class", "difference")}
        assert properties == {"code": code, "level": level, "name_km": area["name_km"], "name_en": area["name_en"],
                              **totals, "value": value_of(totals)}, code
    inside = [expected_sums.get(code, ZERO) for code in codes]
    assert body["totals"] == {m: sum(t[m] for t in inside) for m in MEASURES}
    check_classes(body["features"], body["legend"])
    if name == "budget_vs_actual":
        assert body["legend"]["breaks"] == FIXED_BREAKS
    else:
        check_breaks([f["properties"]["value"] for f in body["features"]], body["legend"]["breaks"])


@pytest.mark.parametrize("level", LEVELS)
def test_budget_vs_actual_gives_the_ratio_and_the_difference(api, level):
    body = api.json(f"/api/v1/layers/budget_vs_actual?level={level}")
    expected = sums(selected(api), level)
    values = {f["id"]: f["properties"] for f in body["features"]}
    for code, properties in values.items():
        totals = expected.get(code, ZERO)
        assert properties["value"] == ratio(totals), code
        assert properties.get("difference") == totals["expenditure"] - totals["budget"], code
    # over-spent by 30% (the top, open class), exactly 1.05 (the upper bound of "on budget"), no budget: no class
    if level == "commune":
        assert (values["020101"]["value"], values["020101"]["class"]) == (1.3, 4)
        assert (values["020102"]["value"], values["020102"]["class"]) == (1.05, 2)
        assert (values["010502"]["value"], values["010502"]["class"]) == (round(8100000 / 14700000, 4), 0)
        assert (values["010201"]["value"], values["010201"]["class"]) == (None, None)
    assert body["legend"]["classes"][0]["min"] is None and body["legend"]["classes"][-1]["max"] is None


@pytest.mark.parametrize("level", LEVELS)
def test_admin_outlines_name_every_area_of_the_level(api, level):
    body = api.json(f"/api/v1/layers/admin_outlines?level={level}")
    assert (body["type"], body["layer"], body["level"], body["filters"]) == ("FeatureCollection", "admin_outlines", level, {})
    assert sorted(f["id"] for f in body["features"]) == sorted(api.areas[level])
    for feature in body["features"]:
        area = api.areas[level][feature["id"]]
        assert feature["properties"] == {
            "code": feature["id"], "level": level, "name_km": area["name_km"], "name_en": area["name_en"],
            "parent_code": area["parent_code"], "label": [round(area["label_lon"], 5), round(area["label_lat"], 5)]}
    narrowed = api.json(f"/api/v1/layers/admin_outlines?level={level}&province=18")
    assert sorted(f["id"] for f in narrowed["features"]) == codes_within(api, level, {"province": "18"})


@pytest.mark.parametrize("level", LEVELS)
def test_area_geometry_is_rfc7946(api, level):
    """Polygons of lon,lat positions, closed rings, exterior rings counterclockwise and holes clockwise."""
    for name in ("admin_outlines", "expenditure"):
        body = api.json(f"/api/v1/layers/{name}?level={level}")
        problems = [p for feature in body["features"] for p in rfc7946_problems(feature)]
        assert problems == [], f"{name} {level}: {len(problems)} problems, e.g. {problems[:3]}"


# ---------------------------------------------------------------------------------------------------- project points

def _point_rows(api):
    rows = api.db.rows("SELECT project_id, lon, lat, location_precision, join_status FROM project")
    return {r[0]: {"lon": r[1], "lat": r[2], "location_precision": r[3], "join_status": r[4]} for r in rows}


@pytest.mark.parametrize("zoom, level", [(None, "district"), (0, "district"), (5, "district"), (8, "district"),
                                         (9, "commune"), (11, "commune")])
def test_project_points_are_grouped_per_area_below_zoom_12(api, zoom, level):
    body = api.json("/api/v1/layers/project_points" + ("" if zoom is None else f"?zoom={zoom}"))
    expected = sums(selected(api), level)
    assert (body["type"], body["layer"], body["aggregated"], body["filters"]) == (
        "FeatureCollection", "project_points", level, {})
    assert len(body["features"]) <= len(api.areas[level])  # never more features than areas
    assert sorted(f["id"] for f in body["features"]) == sorted(expected)
    for feature in body["features"]:
        area = api.areas[level][feature["id"]]
        assert feature["properties"] == {"cluster": True, "code": feature["id"], "level": level,
                                         "name_km": area["name_km"], "name_en": area["name_en"], **expected[feature["id"]]}
        assert feature["geometry"] == {"type": "Point",
                                       "coordinates": [round(area["label_lon"], 5), round(area["label_lat"], 5)]}
    assert sum(f["properties"]["project_count"] for f in body["features"]) == total(selected(api))["project_count"]
    check_classes(body["features"], body["legend"], key="project_count")
    check_breaks([f["properties"]["project_count"] for f in body["features"]], body["legend"]["breaks"])


@pytest.mark.parametrize("zoom", [12, 14, 20])
def test_project_points_are_single_projects_from_zoom_12(api, zoom):
    body = api.json(f"/api/v1/layers/project_points?zoom={zoom}")
    points = _point_rows(api)
    assert (body["type"], body["aggregated"]) == ("FeatureCollection", None)
    assert [f["id"] for f in body["features"]] == sorted(p for p in api.projects if points[p]["lon"] is not None)
    for feature in body["features"]:
        project, point = api.projects[feature["id"]], points[feature["id"]]
        assert feature["properties"] == {
            "project_id": feature["id"], "title_km": project["title_km"], "title_en": project["title_en"],
            "sector": project["sector"], "status": project["status"], "fiscal_year": project["fiscal_year"],
            "budget": project["budget"], "expenditure": project["expenditure"],
            "location_precision": point["location_precision"], "join_status": point["join_status"]}
        assert feature["geometry"] == {"type": "Point", "coordinates": [round(point["lon"], 5), round(point["lat"], 5)]}


def test_project_points_keep_to_the_bbox(api):
    bbox = (102.6, 13.4, 103.0, 13.8)
    points = _point_rows(api)
    inside = sorted(p for p, v in points.items() if bbox[0] <= v["lon"] <= bbox[2] and bbox[1] <= v["lat"] <= bbox[3])
    assert inside and len(inside) < len(points)
    body = api.json("/api/v1/layers/project_points?zoom=14&bbox=102.6,13.4,103.0,13.8")
    assert [f["id"] for f in body["features"]] == inside
    clusters = api.json("/api/v1/layers/project_points?zoom=10&bbox=102.6,13.4,103.0,13.8")
    communes = api.areas["commune"]
    assert sorted(f["id"] for f in clusters["features"]) == sorted(
        code for code in sums(selected(api), "commune")
        if bbox[0] <= communes[code]["label_lon"] <= bbox[2] and bbox[1] <= communes[code]["label_lat"] <= bbox[3])


def test_project_points_group_when_more_projects_match_than_the_bound(api, monkeypatch):
    monkeypatch.setattr("layers.project_points.MAX_POINTS", 3)
    body = api.json("/api/v1/layers/project_points?zoom=14&bbox=100,9,109,16")  # a cache key of its own
    assert body["aggregated"] == "commune"
    assert sorted(f["id"] for f in body["features"]) == sorted(sums(selected(api), "commune"))
    narrow = api.json("/api/v1/layers/project_points?zoom=14&bbox=102.5,13.4,102.7,13.6")  # one project: points
    assert (narrow["aggregated"], [f["id"] for f in narrow["features"]]) == (None, ["OC-2017-010902-001"])


def test_project_points_follow_the_filters(api):
    body = api.json("/api/v1/layers/project_points?zoom=14&sector=well")
    assert body["filters"] == {"sector": "well"}
    assert [f["id"] for f in body["features"]] == sorted(p["project_id"] for p in selected(api, {"sector": "well"}))
    clusters = api.json("/api/v1/layers/project_points?zoom=5&year=2016")
    assert {f["id"]: f["properties"]["project_count"] for f in clusters["features"]} == {
        code: t["project_count"] for code, t in sums(selected(api, {"year": "2016"}), "district").items()}


# ---------------------------------------------------------------------------------------------------- projects

def test_projects_are_paged_with_next_and_prev_links(api):
    everything = sorted(api.projects)
    collected, url, pages = [], "/api/v1/projects?limit=4&year=2014-2019", 0
    while url:
        body = api.json(url)
        pages += 1
        assert (body["total"], body["limit"], body["offset"]) == (9, 4, 4 * (pages - 1))
        assert body["returned"] == len(body["projects"]) == min(4, 9 - body["offset"])
        collected += [p["project_id"] for p in body["projects"]]
        if body["offset"]:
            prev = dict(parse_qsl(urlsplit(body["prev"]).query))
            assert prev == {"limit": "4", "offset": str(body["offset"] - 4), "year": "2014-2019"}
        else:
            assert body["prev"] is None
        if body["next"]:
            parts = urlsplit(body["next"])
            assert (parts.path, dict(parse_qsl(parts.query))) == (
                "/api/v1/projects", {"limit": "4", "offset": str(body["offset"] + 4), "year": "2014-2019"})
            url = parts.path + "?" + parts.query
        else:
            url = None
    assert (pages, collected) == (3, everything)
    past = api.json("/api/v1/projects?offset=20")
    assert (past["total"], past["returned"], past["projects"], past["next"]) == (9, 0, [], None)
    assert api.json("/api/v1/projects?limit=1000")["limit"] == 1000


def test_deep_project_pages_link_by_the_last_id(api, monkeypatch):
    monkeypatch.setattr(projects, "KEYSET_FROM", 5)  # the second page on (the fixture has 9 projects)
    collected, url, pages = [], "/api/v1/projects?limit=4&year=2014-2019", []
    while url:
        body = api.json(url)
        pages.append(body)
        collected += [p["project_id"] for p in body["projects"]]
        url = body["next"] and body["next"].removeprefix("http://localhost")
    assert collected == sorted(api.projects) and len(pages) == 3
    assert pages[0]["next"].endswith("&offset=4")  # offset links below KEYSET_FROM
    assert dict(parse_qsl(urlsplit(pages[1]["next"]).query)) == {"year": "2014-2019", "after": collected[7],
                                                                  "limit": "4"}
    assert (pages[2]["after"], pages[2]["total"], pages[2]["prev"], pages[2]["next"]) == (collected[7], 9, None, None)
    assert [p["project_id"] for p in api.json(f"/api/v1/projects?after={collected[0]}&limit=2")["projects"]] == (
        collected[1:3])
    for query in ("after=X&offset=1", "after=X&sort=-budget", "after=%20"):
        assert api.get(f"/api/v1/projects?{query}").status_code == 400


SORT_KEYS = ("fiscal_year", "budget", "contract_value", "expenditure", "title_en", "actual_end", "project_id")


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("key", SORT_KEYS)
def test_projects_sort_the_same_on_both_databases(api, key, descending):
    """Ties by project id; projects without the value last, whichever the direction."""
    projects = list(api.projects.values())
    valued = sorted((p for p in projects if p[key] is not None), key=lambda p: p["project_id"])
    valued.sort(key=lambda p: p[key], reverse=descending)
    missing = sorted(p["project_id"] for p in projects if p[key] is None)
    body = api.json(f"/api/v1/projects?sort={'-' if descending else ''}{key}")
    assert [p["project_id"] for p in body["projects"]] == [p["project_id"] for p in valued] + missing


def test_project_list_as_geojson(api):
    response = api.get("/api/v1/projects?format=geojson&district=0105&limit=2&offset=1")
    assert (response.status_code, response.mimetype) == (200, GEOJSON)
    body = response.get_json(force=True)
    ids = sorted(p["project_id"] for p in selected(api, {"district": "0105"}))[1:3]
    listed = {p["project_id"]: p for p in api.json("/api/v1/projects?district=0105&limit=2&offset=1")["projects"]}
    assert body == {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": pid, "properties": {k: v for k, v in listed[pid].items() if k not in ("lon", "lat")},
         "geometry": {"type": "Point", "coordinates": [round(listed[pid]["lon"], 6), round(listed[pid]["lat"], 6)]}}
        for pid in ids]}


def read_csv(response):
    assert (response.status_code, response.headers["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert response.data.startswith(BOM)
    return list(csv.reader(io.StringIO(response.data[len(BOM):].decode("utf-8"))))


@pytest.mark.parametrize("lang, header", [("km", KM_HEADER), ("en", EN_HEADER)])
def test_project_list_as_csv_with_headers_in_the_language(api, lang, header):
    rows = read_csv(api.get(f"/api/v1/projects?format=csv&lang={lang}&sort=project_id"))
    assert rows[0] == header
    column = {name: rows[0].index(name) for name in rows[0]}
    en = dict(zip(EN_HEADER, header))
    assert [row[0] for row in rows[1:]] == sorted(api.projects)
    for row in rows[1:]:
        assert len(row) == len(header)
        project = api.projects[row[0]]
        assert row[column[en["Title (Khmer)"]]] == project["title_km"]  # Khmer round-trips
        assert row[column[en["Title (English)"]]] == (project["title_en"] or "")
        assert row[column[en["Fiscal year"]]] == str(project["fiscal_year"])
        assert row[column[en["Budget (riel)"]]] == ("" if project["budget"] is None else str(project["budget"]))
        assert row[column[en["Commune code"]]] == (project["commune"] or "")


def test_project_list_csv_headers_follow_accept_language_and_vary_on_it(api):
    response = api.get("/api/v1/projects?format=csv", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert read_csv(response)[0] == EN_HEADER
    assert {"Accept-Language", "Accept-Encoding"} <= vary(response)
    assert read_csv(api.get("/api/v1/projects?format=csv", headers={"Accept-Language": "km"}))[0] == KM_HEADER


PROJECT_FILTERS = [
    {"year": "2016"}, {"year": "2015-2016"}, {"year": "2014-2019"}, {"year": "2019"},
    {"province": "01"}, {"province": "02,18"}, {"province": "KH18"}, {"district": "0105"}, {"district": "0109,0201"},
    {"commune": "010501"}, {"commune": "010502,180205"},
    {"sector": "well"}, {"sector": "well,bridge"}, {"sector": "irrigation"},
    {"status": "completion"}, {"status": "implementation,cancelled"},
    {"eia_required": "yes"}, {"eia_required": "no"}, {"eia_required": "true"}, {"eia_required": "0"},
    {"eia_status": "approved"}, {"eia_status": "pending,not_done"}, {"eia_status": "not_required"},
    {"funding_source": "cs_fund"}, {"funding_source": "district_fund,community"},
    {"funding_source": "development_partner"},
    {"q": "ផ្លូវក្រួសក្រហម"}, {"q": "អណ្តូង ភូមិ"}, {"q": "laterite ROAD"}, {"q": "changha"}, {"q": "well"},
    {"q": "OS-2016"}, {"q": "%"}, {"q": "_"},
    {"year": "2016", "province": "01", "sector": "well"}, {"year": "2016-2017", "eia_required": "yes"},
]


@pytest.mark.parametrize("params", PROJECT_FILTERS, ids=query)
def test_project_filters(api, params):
    expected = sorted(p["project_id"] for p in selected(api, params))
    body = api.json(f"/api/v1/projects?{query(params)}")
    assert ([p["project_id"] for p in body["projects"]], body["total"]) == (expected, len(expected))


# ---------------------------------------------------------------------------------------------------- one project

def test_one_project_with_every_open_contracting_field(api):
    names = {level: api.areas[level][code] for level, code in (("province", "01"), ("district", "0105"),
                                                                 ("commune", "010501"))}
    row = PROJECTS[0]
    expected = {
        "project_id": "OC-2015-01", "pid_reference": "1234",
        "pid_url": "http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=1234",
        "title_km": row["title_km"], "title_en": row["title_en"], "sector": "rural_road",
        "project_type": "rehabilitation", "status": "completion", "fiscal_year": 2015, "funding_source": "cs_fund",
        "planned_start": "2015-03-01", "planned_end": "2015-06-30", "actual_start": "2015-03-05",
        "actual_end": "2015-07-10", "currency": "KHR", "budget": 41000000, "contract_value": 40000000,
        "expenditure": 39950000, "cs_fund": 36000000, "local_contribution": 3950000,
        "original_currency": None, "exchange_rate": None, "original_amounts": None,
        "contract_number": "001/15 KCS-010501", "awarded_tenderer": "Sok Heng Construction Co., Ltd.",
        "number_of_bidders": 3, "eia_required": False, "eia_status": "not_required", "eia_document_url": None,
        **{f"{level}_{part}": value for level, area in names.items()
           for part, value in (("code", area["code"]), ("name_km", area["name_km"]), ("name_en", area["name_en"]))},
        "village_code": None, "stated_code": "010501", "join_status": "code_only", "location_precision": "commune",
        "quality_flags": None, "lon": names["commune"]["label_lon"], "lat": names["commune"]["label_lat"],
        "is_sample": False,
    }
    assert len(expected) == 46
    assert api.json("/api/v1/projects/OC-2015-01") == expected
    feature = api.get("/api/v1/projects/OC-2015-01?format=geojson")
    assert feature.mimetype == GEOJSON
    assert feature.get_json(force=True) == {
        "type": "Feature", "id": "OC-2015-01", "properties": {k: v for k, v in expected.items() if k not in ("lon", "lat")},
        "geometry": {"type": "Point", "coordinates": [round(expected["lon"], 6), round(expected["lat"], 6)]}}
    rows = read_csv(api.get("/api/v1/projects/OC-2015-01?format=csv&lang=en"))
    assert rows[0] == EN_HEADER and len(rows) == 2
    record = dict(zip(EN_HEADER, rows[1]))
    assert (record["Project ID"], record["Title (Khmer)"], record["PID record"], record["District name (Khmer)"]) == (
        "OC-2015-01", row["title_km"], expected["pid_url"], names["district"]["name_km"])


def test_a_pid_reference_gives_the_pid_record_url(api):
    body = api.json("/api/v1/projects/OC-2016-010501-001")
    assert (body["pid_reference"], body["pid_url"]) == (
        "2016-0105-01-001", "http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=2016-0105-01-001")
    assert api.json("/api/v1/projects/OC-2016-02")["pid_url"] is None


def test_unknown_project_is_a_404_json_error(api):
    assert api.json("/api/v1/projects/NOPE-1", status=404) == {
        "ok": False, "error": 'project "NOPE-1" does not exist', "status": 404}


# ---------------------------------------------------------------------------------------------------- statistics

def test_statistics_per_province_whole_payload(api):
    expected = sums(selected(api), "province")
    rows = [{"code": code, "level": "province", "name_km": area["name_km"], "name_en": area["name_en"],
             **expected.get(code, ZERO)} for code, area in sorted(api.areas["province"].items())]
    assert api.json("/api/v1/statistics?level=province") == {
        "level": "province", "filters": {}, "areas": rows, "totals": total(selected(api))}
    assert api.json("/api/v1/statistics") == api.json("/api/v1/statistics?level=province")


STATISTIC_FILTERS = [{}, {"year": "2016"}, {"sector": "well,rural_road"}, {"status": "completion"},
                     {"q": "road"}, {"province": "01"}, {"district": "0105"}, {"commune": "010501"},
                     {"commune": "010501", "status": "completion"}]


@pytest.mark.parametrize("params", STATISTIC_FILTERS, ids=lambda p: query(p) or "none")
def test_statistics_totals_are_equal_across_levels(api, params):
    expected = total(selected(api, params))
    for level in LEVELS:
        body = api.json(f"/api/v1/statistics?level={level}&{query(params)}")
        by_code = {row["code"]: {m: row[m] for m in MEASURES} for row in body["areas"]}
        assert sorted(by_code) == codes_within(api, level, params), level
        assert by_code == {code: sums(selected(api, params), level).get(code, ZERO) for code in by_code}, level
        assert body["totals"] == expected, level


def _profile(api, code, params=None):
    params = params or {}
    level = {2: "province", 4: "district", 6: "commune"}[len(code)]
    scoped = {k: v for k, v in params.items() if k not in LENGTH} | {level: code}
    projects = selected(api, scoped)
    years = params.get("year", "2014-2019").partition("-")
    first, last = int(years[0]), int(years[2] or years[0])
    area = api.areas[level][code]
    child = {"province": "district", "district": "commune", "commune": None}[level]
    child_sums = sums(projects, child) if child else {}
    by_sector = {}
    for project in projects:
        by_sector.setdefault(project["sector"], []).append(project)
    return {
        "code": code, "level": level, "parent_code": area["parent_code"], "name_km": area["name_km"],
        "name_en": area["name_en"], "unit_type_km": area["unit_type_km"], "unit_type_en": area["unit_type_en"],
        "area_km2": round(area["area_km2"], 1), "filters": params, "totals": total(projects),
        "by_year": [{"fiscal_year": year, **total([p for p in projects if p["fiscal_year"] == year])}
                    for year in range(first, last + 1)],
        "by_sector": [{"sector": sector, "name_en": vocabulary.SECTORS[sector][0], "name_km": vocabulary.SECTORS[sector][1],
                       **total(found)} for sector, found in sorted(by_sector.items())],
        "sub_areas": [{"code": c, "level": child, "name_km": a["name_km"], "name_en": a["name_en"],
                       **child_sums.get(c, ZERO)}
                      for c, a in sorted(api.areas[child].items()) if c.startswith(code)] if child else [],
    }


@pytest.mark.parametrize("code, params", [
    ("0105", {}), ("01", {}), ("010501", {}), ("18", {"year": "2016"}), ("01", {"status": "completion"}),
    ("0105", {"year": "2015-2016", "sector": "well"}), ("02", {"q": "health"}),
])
def test_area_profile_whole_payload(api, code, params):
    body = api.json(f"/api/v1/areas/{code}?{query(params)}")
    assert body == _profile(api, code, params)
    for series in ("by_year", "by_sector") + (("sub_areas",) if body["sub_areas"] else ()):
        assert {m: sum(row[m] for row in body[series]) for m in MEASURES} == body["totals"], series


def test_unknown_area_is_a_404_json_error(api):
    assert api.json("/api/v1/areas/0199", status=404) == {"ok": False, "error": 'area "0199" does not exist', "status": 404}


# ---------------------------------------------------------------------------------------------------- places, locate

@pytest.mark.parametrize("q", ["Ou Chrov", "O Chrov", "អូរជ្រៅ", "ou chrov", "អូរ ជ្រៅ"])
def test_place_search_finds_ou_chrov_district_first(api, q):
    district = api.areas["district"]["0105"]
    assert (district["name_en"], district["name_km"]) == ("Ou Chrov", "អូរជ្រៅ")  # the 2014 gazetteer's names
    body = api.json(f"/api/v1/places?q={q}")
    assert body["q"] == q
    first = body["places"][0]
    assert first == {"code": "0105", "level": "district", "name_km": "អូរជ្រៅ", "name_en": "Ou Chrov",
                     "parent_code": "01", "label": [round(district["label_lon"], 5), round(district["label_lat"], 5)],
                     "score": first["score"]}
    assert 0.75 <= first["score"] <= 1
    # the commune of the same name (Preah Sihanouk) is found too, after the district
    assert "180205" in [p["code"] for p in body["places"][1:]]
    assert [p["score"] for p in body["places"]] == sorted((p["score"] for p in body["places"]), reverse=True)


def test_locate_a_point_inside_a_commune(api):
    point = "ST_PointOnSurface(geom)"
    lon, lat = api.db.rows(f"SELECT ST_X({point}), ST_Y({point}) FROM admin_area WHERE code = '010501'")[0]
    body = api.json(f"/api/v1/locate?lon={lon}&lat={lat}")
    assert body == {"lon": lon, "lat": lat, **{
        level: {"code": code, "name_km": api.areas[level][code]["name_km"], "name_en": api.areas[level][code]["name_en"]}
        for level, code in (("province", "01"), ("district", "0105"), ("commune", "010501"))}}
    other = api.json("/api/v1/locate?lon=102.6051&lat=13.4823")  # the template's point-only bridge
    assert other["commune"]["code"] == commune_at(api.db, 102.6051, 13.4823) == "010905"


@pytest.mark.parametrize("lon, lat", [(100.5018, 13.7563), (103.2, 10.5), (0, 0)])
def test_locate_outside_cambodia(api, lon, lat):
    assert commune_at(api.db, lon, lat) is None
    assert api.json(f"/api/v1/locate?lon={lon}&lat={lat}") == {
        "lon": float(lon), "lat": float(lat), "province": None, "district": None, "commune": None}


# ---------------------------------------------------------------------------------------------------- bad parameters

YEAR_RULE = "a year from 2014 to 2019, or a range such as 2014-2019"
SORT_RULE = ("one of project_id, fiscal_year, budget, contract_value, expenditure, title_en, actual_end, "
             "with a leading - for descending")
FORMAT_RULE = ("json, geojson or csv (every matching project in one file, also as XLSX and GeoPackage: "
               "/api/v1/downloads/projects.<format>)")
PROJECT_PARAMETERS = ("year, province, district, commune, sector, status, eia_required, eia_status, funding_source, "
                      "q, limit, offset, after, sort, format, lang")


def bad(parameter, value, expected):
    return f'{parameter} was "{value}"; expected {expected}'


BAD_REQUESTS = [
    ("/api/v1/projects?year=20x6", bad("year", "20x6", YEAR_RULE)),
    ("/api/v1/projects?year=2013", bad("year", "2013", YEAR_RULE)),
    ("/api/v1/layers/expenditure?year=2020", bad("year", "2020", YEAR_RULE)),
    ("/api/v1/layers/budget_by_area?sector=well",  # a budget has no sector: refused, not ignored
     bad("sector", "well", "no sector filter on the budget_by_area layer (it takes year, province, district, commune)")),
    ("/api/v1/layers/budget_by_area?eia_required=yes", bad("eia_required", "yes", "no eia_required filter on the "
                                                           "budget_by_area layer (it takes year, province, district, commune)")),
    ("/api/v1/statistics?year=2018-2015", bad("year", "2018-2015", YEAR_RULE)),
    ("/api/v1/projects?province=99", bad("province", "99", "a province code of 2 digits that exists (see /api/v1/places)")),
    ("/api/v1/projects?province=1", bad("province", "1", "a province code of 2 digits that exists (see /api/v1/places)")),
    ("/api/v1/layers/project_count?district=01x5",
     bad("district", "01x5", "a district code of 4 digits that exists (see /api/v1/places)")),
    ("/api/v1/statistics?commune=01050", bad("commune", "01050", "a commune code of 6 digits that exists (see /api/v1/places)")),
    ("/api/v1/projects?sector=roads", bad("sector", "roads", "one or more of rural_road, culvert, bridge, well, irrigation, "
                                          "drainage, school, health_post, market, public_building (comma-separated)")),
    ("/api/v1/projects?status=done", bad("status", "done", "one or more of identification, preparation, implementation, "
                                         "completion, cancelled (comma-separated)")),
    ("/api/v1/projects?eia_status=maybe", bad("eia_status", "maybe", "one or more of not_required, pending, approved, "
                                              "not_done (comma-separated)")),
    ("/api/v1/projects?funding_source=bank", bad("funding_source", "bank", "one or more of cs_fund, district_fund, "
                                                 "development_partner, community (comma-separated)")),
    ("/api/v1/projects?eia_required=perhaps", bad("eia_required", "perhaps", "yes or no")),
    ("/api/v1/projects?q=" + "x" * 101, bad("q", "x" * 20 + "...", "at most 100 characters")),
    ("/api/v1/statistics?level=village", bad("level", "village", "one of province, district, commune")),
    ("/api/v1/layers/expenditure?level=country", bad("level", "country", "one of province, district, commune")),
    ("/api/v1/layers/project_points?zoom=21", bad("zoom", "21", "a whole number from 0 to 20")),
    ("/api/v1/layers/project_points?zoom=-1", bad("zoom", "-1", "a whole number from 0 to 20")),
    ("/api/v1/layers/project_points?zoom=7.5", bad("zoom", "7.5", "a whole number from 0 to 20")),
    ("/api/v1/layers/project_points?bbox=102,13,103", bad("bbox", "102,13,103", "4 numbers minlon,minlat,maxlon,maxlat with min < max")),
    ("/api/v1/layers/project_points?bbox=103,13,102,14", bad("bbox", "103,13,102,14", "4 numbers minlon,minlat,maxlon,maxlat with min < max")),
    ("/api/v1/layers/project_points?bbox=a,b,c,d", bad("bbox", "a,b,c,d", "4 numbers minlon,minlat,maxlon,maxlat with min < max")),
    ("/api/v1/projects?format=xml", bad("format", "xml", FORMAT_RULE)),
    ("/api/v1/projects/OC-2015-01?format=kml", bad("format", "kml", FORMAT_RULE)),
    ("/api/v1/projects?limit=0", bad("limit", "0", "a whole number from 1 to 1000")),
    ("/api/v1/projects?limit=ten", bad("limit", "ten", "a whole number from 1 to 1000")),
    ("/api/v1/projects?limit=1001", bad("limit", "1001", "a whole number from 1 to 1000")),
    ("/api/v1/projects?offset=-1", bad("offset", "-1", "a whole number from 0 to 100000000")),
    ("/api/v1/projects?sort=price", bad("sort", "price", SORT_RULE)),
    ("/api/v1/projects?sort=--budget", bad("sort", "--budget", SORT_RULE)),
    ("/api/v1/projects?format=csv&lang=fr", bad("lang", "fr", "km or en")),
    ("/api/v1/statistics?lang=fr", bad("lang", "fr", "km or en")),
    ("/api/v1/places?q=", bad("q", "", "a place name of 1 to 100 characters, in Khmer or Latin script")),
    ("/api/v1/places?q=" + "x" * 101, bad("q", "x" * 101, "a place name of 1 to 100 characters, in Khmer or Latin script")),
    ("/api/v1/locate?lon=east&lat=13", bad("lon", "east", "a decimal degree from -180 to 180")),
    ("/api/v1/locate?lon=200&lat=13", bad("lon", "200", "a decimal degree from -180 to 180")),
    ("/api/v1/locate?lon=103&lat=-91", bad("lat", "-91", "a decimal degree from -90 to 90")),
    ("/api/v1/locate?lon=103", bad("lat", "", "a decimal degree from -90 to 90")),
    ("/api/v1/locate?lon=nan&lat=13", bad("lon", "nan", "a decimal degree from -180 to 180")),
    ("/api/v1/projects?yeer=2016", f"yeer is not a parameter of this endpoint; it takes {PROJECT_PARAMETERS}"),
    ("/api/v1/statistics?level=province&zoom=7",
     "zoom is not a parameter of this endpoint; it takes year, province, district, commune, sector, status, "
     "eia_required, eia_status, funding_source, q, level, lang"),
]


@pytest.mark.parametrize("url, message", BAD_REQUESTS, ids=[url.split("/api/v1")[1][:60] for url, _ in BAD_REQUESTS])
def test_every_bad_parameter_is_a_400_naming_it(api, url, message):
    response = api.get(url)
    assert (response.status_code, response.mimetype) == (400, "application/json")
    assert response.get_json() == {"ok": False, "error": message, "status": 400}
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # a browser client can read why


def test_unknown_layer_is_a_404_json_error(api):
    assert api.json("/api/v1/layers/roads", status=404) == {
        "ok": False, "error": 'layer "roads" does not exist; see /api/v1/layers', "status": 404}


# ---------------------------------------------------------------------------------------------------- HTTP

CACHED_URLS = ["/api/v1/layers", "/api/v1/layers/expenditure?level=district", "/api/v1/projects?format=csv&lang=en",
               "/api/v1/statistics?level=commune&province=01", "/api/v1/projects/OC-2015-01"]


@pytest.mark.parametrize("url", CACHED_URLS)
def test_etag_cache_control_and_304(api, url):
    first = api.get(url)
    etag = first.headers.get("ETag")
    assert first.status_code == 200 and etag and etag.startswith('"')
    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = api.get(url)
    assert (again.headers["ETag"], again.data) == (etag, first.data)  # stable for the same data
    unchanged = api.get(url, headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.data, unchanged.headers["ETag"]) == (304, b"", etag)
    assert unchanged.headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept-Encoding" in vary(unchanged)
    assert api.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("encoding, decompress", [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_compressed_when_asked(api, encoding, decompress):
    url = "/api/v1/layers/project_count?level=district"
    identity = api.get(url)
    assert "Content-Encoding" not in identity.headers
    packed = api.get(url, headers={"Accept-Encoding": encoding})
    assert (packed.status_code, packed.headers["Content-Encoding"], packed.mimetype) == (200, encoding, GEOJSON)
    assert len(packed.data) < len(identity.data) / 3
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert decompress(packed.data) == identity.data
    assert "Accept-Encoding" in vary(packed)
    # a strong ETag names one representation: the compressed bytes have their own, and revalidate with it
    assert packed.headers["ETag"] == identity.headers["ETag"][:-1] + f'-{encoding}"'
    revalidated = api.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": packed.headers["ETag"]})
    assert revalidated.status_code == 304


def test_brotli_is_preferred_and_small_bodies_stay_plain(api):
    url = "/api/v1/statistics?level=district"
    assert api.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}).headers["Content-Encoding"] == "br"
    small = api.get("/api/v1/", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in small.headers and small.get_json()["version"] == "1"


def test_an_encoding_refused_with_q0_is_not_used(api):
    response = api.get("/api/v1/statistics?level=district", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in response.headers
    assert response.get_json()["level"] == "district"


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v1/layers/admin_outlines", "/api/v1/projects?format=geojson",
                                 "/api/v1/places?q=Koub", "/api/v1/projects/NOPE"])
def test_cors_and_vary_on_every_get(api, url):
    response = api.get(url, headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept-Encoding" in vary(response)


def test_a_new_import_changes_the_answers_and_their_etags(db):
    load_projects(db, PROJECTS[:2])
    fresh = make_client(db)
    url = "/api/v1/layers/project_count?level=district&province=01"
    before = fresh.get(url)
    assert {f["id"]: f["properties"]["project_count"] for f in before.get_json(force=True)["features"]}["0105"] == 2
    load_projects(db, EXTRA[:1])
    load_projects(db, [dict(PROJECTS[2], commune_code="010503", project_id="OC-2016-99")])
    after = fresh.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert {f["id"]: f["properties"]["project_count"] for f in after.get_json(force=True)["features"]}["0105"] == 3


def test_a_repeated_parameter_is_refused_not_half_used(api):
    response = api.get("/api/v1/projects?year=2016&year=2017")
    assert (response.status_code, response.get_json()) == (400, {
        "ok": False, "status": 400,
        "error": 'year was "2016&2017"; expected one value (several codes or choices go comma-separated)'})


def test_an_area_profile_takes_no_area_filter(api):
    """The area is the one in the path: a province, district or commune filter there is refused, not ignored."""
    response = api.get("/api/v1/areas/01?commune=010501")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("commune is not a parameter of this endpoint; it takes year, ")
    assert api.get("/api/v1/areas/01?year=2016&sector=well").status_code == 200
