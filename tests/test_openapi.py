"""/api/v1/openapi.json on both databases: a valid OpenAPI 3.0 document (openapi-spec-validator) that matches the
app's routes both ways, whose every query parameter the endpoint accepts with its example value, whose media types
are the ones the endpoints answer with, and whose Error schema is the body of every API error."""
import re

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from tests.test_pages import client, site  # noqa: F401 (fixtures)

# The parts of the site the document covers: the API, the tiles and the catalogue files at the root.
PREFIXES = ("/api/v1/", "/tiles/", "/datapackage.json", "/catalog", "/healthz", "/readyz")
# Real values for path parameters (the `site` fixture's data; z/x/y is the tile holding Ou Chrov at zoom 7)
PATH_VALUES = {"code": "0105", "name": "project_count", "project_id": "OC-2015-01",
               "dataset_id": "projects-by-province-2016", "fmt": "csv", "layer": "districts", "z": "7", "x": "100",
               "y": "59"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json(force=True)


def openapi_path(rule):
    """A Flask rule as an OpenAPI path template: /areas/<code> -> /areas/{code}, <path:x> -> {x}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def documented_rules(app):
    return {openapi_path(rule.rule) for rule in app.url_map.iter_rules()
            if {"GET", "POST"} & rule.methods and rule.rule.startswith(PREFIXES)}


def example_of(parameter):
    """The parameter's example, else its default, else its first enum value, else its minimum."""
    schema = parameter.get("schema", {})
    for value in (parameter.get("example"), schema.get("example"), schema.get("default"),
                  (schema.get("enum") or [None])[0], schema.get("minimum")):
        if value is not None:
            return value
    return None


def concrete(path):
    return re.sub(r"{([^}]+)}", lambda m: PATH_VALUES[m.group(1)], path)


def required_query(operation):
    """The example values of the query parameters the document marks as required."""
    return {p["name"]: str(example_of(p)) for p in operation["parameters"] if p["in"] == "query" and p.get("required")}


def listed(problems):
    return "\n".join(problems)


def operations(document, public=True):
    """The operations of the document: the public ones (no security scheme), or every one."""
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item and not (public and item[method].get("security")):
                yield path, method, item[method]


def test_the_document_is_valid_openapi_3_0(client, document):
    response = client.get("/api/v1/openapi.json")
    assert response.mimetype in ("application/vnd.oai.openapi+json", "application/json")
    validate(document)  # raises on any error against the OpenAPI 3.0 schema and its rules
    assert re.fullmatch(r"3\.0\.\d+", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    assert document["servers"] == [{"url": "http://localhost"}]
    ids = [operation["operationId"] for _, _, operation in operations(document, public=False)]
    assert len(ids) == len(set(ids))
    for path, _, operation in operations(document, public=False):
        assert operation["summary"].strip(), path
        assert (operation["responses"].get("200") or operation["responses"]["201"])["content"], path
        for status in ("400", "404"):
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)


def test_the_document_matches_the_routes_both_ways(client, document):
    routes = documented_rules(client.application)
    paths = set(document["paths"])
    assert sorted(routes - paths) == [], "GET routes missing from the document"
    assert sorted(paths - routes) == [], "documented paths the app does not have"
    assert len(routes) >= 20  # the API, its downloads and datasets, OC4IDS, the tiles and the catalogue files
    for path, item in document["paths"].items():  # the API is read-only but for the admin API (a bearer token)
        assert set(item) <= {"get", "post"} if path.startswith("/api/v1/admin/") else set(item) == {"get"}, path
        assert all(op.get("security") == [{"bearer": []}] for op in item.values()) == path.startswith("/api/v1/admin/")


def test_path_parameters_are_declared_in_path_order(document):
    """Declared once each, in the order of the path (the same document, byte for byte, in every process)."""
    for path, _, operation in operations(document):
        declared = [p["name"] for p in operation["parameters"] if p["in"] == "path"]
        assert declared == re.findall(r"{([^}]+)}", path), path
        assert all(p["required"] for p in operation["parameters"] if p["in"] == "path"), path


def test_every_documented_query_parameter_is_accepted_with_its_example(client, document):
    refused, without_example = [], []
    for path, _, operation in operations(document):
        for parameter in operation["parameters"]:
            if parameter["in"] != "query":
                continue
            value = example_of(parameter)
            if value is None:
                without_example.append(f"{path} {parameter['name']}")
                continue
            params = required_query(operation) | {parameter["name"]: str(value)}
            response = client.get(concrete(path), query_string=params)
            if response.status_code == 400 or response.status_code >= 500:  # 404: e.g. no OC4IDS project matches
                refused.append(f"{path} {params}: {response.status_code} {response.get_data()[:200]!r}")
    assert without_example == []
    assert not refused, listed(refused)


def test_every_documented_path_answers_with_its_required_parameters_only(client, document):
    """A parameter the endpoint cannot do without is marked required (with an example)."""
    refused = []
    for path, _, operation in operations(document):
        response = client.get(concrete(path), query_string=required_query(operation))
        if response.status_code != 200:
            refused.append(f"{path} {required_query(operation)}: {response.status_code} {response.get_data()[:200]!r}")
    assert not refused, listed(refused)


def test_every_documented_path_answers_with_a_documented_media_type(client, document):
    wrong = []
    for path, _, operation in operations(document):
        documented = {media.split(";")[0].strip() for media in operation["responses"]["200"]["content"]}
        variants = [{}] + [{p["name"]: value} for p in operation["parameters"] if p["name"] == "format"
                          for value in p["schema"].get("enum", [])]
        for variant in variants:
            response = client.get(concrete(path), query_string=required_query(operation) | variant)
            if response.status_code == 200 and response.mimetype not in documented:
                wrong.append(f"{path} {variant}: {response.mimetype} not in {sorted(documented)}")
    assert not wrong, listed(wrong)


def test_an_unknown_parameter_is_refused_on_every_documented_path_with_the_error_body(client, document):
    validator = OAS30Validator(document["components"]["schemas"]["Error"])
    wrong = []
    for path, _, operation in operations(document):
        response = client.get(concrete(path), query_string={"yeer": "2016"})
        allowed = [p["name"] for p in operation["parameters"] if p["in"] == "query"]
        body = response.get_json(force=True, silent=True)
        if response.status_code != 400 or response.mimetype != "application/json" or body is None:
            wrong.append(f"{path}?yeer=2016: {response.status_code} {response.mimetype}")
            continue
        validator.validate(body)
        assert body["error"].startswith("yeer is not a parameter of this endpoint; it takes "), path
        named = body["error"].split("; it takes ")[1].split(", ")
        assert set(allowed) <= set(named), (path, set(allowed) - set(named))  # the documented ones at least
    assert not wrong, listed(wrong)


@pytest.mark.parametrize("url, status", [("/api/v1/projects?year=1999", 400), ("/api/v1/projects/NOPE", 404),
                                         ("/api/v1/layers/roads", 404), ("/api/v1/locate?lon=x&lat=1", 400)])
def test_errors_are_the_documented_error_body(client, document, url, status):
    response = client.get(url)
    assert response.status_code == status
    body = response.get_json()
    OAS30Validator(document["components"]["schemas"]["Error"]).validate(body)
    assert (body["ok"], body["status"]) == (False, status)


def test_lang_is_documented_where_it_changes_the_answer(client, document):
    """?format=csv headers follow lang on /api/v1/projects and /api/v1/projects/{project_id}."""
    for path in ("/api/v1/projects", "/api/v1/projects/{project_id}"):
        km = client.get(concrete(path) + "?format=csv&lang=km")
        en = client.get(concrete(path) + "?format=csv&lang=en")
        assert (km.status_code, en.status_code) == (200, 200) and km.data != en.data
        names = [p["name"] for p in document["paths"][path]["get"]["parameters"]]
        assert "lang" in names, path
