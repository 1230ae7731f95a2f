"""Catalogue metadata: the Data Package validates with frictionless (descriptor AND the data behind every URL,
read over HTTP from a live server), and the DCAT catalogue parses as RDF with what CKAN needs."""
import re
import threading
from datetime import datetime

import frictionless
import pytest
import rdflib
import rdflib.compare
import sqlalchemy as sa
from rdflib.namespace import DCAT, DCTERMS, RDF
from werkzeug.serving import make_server

from mapservice.formats import catalogue, datasets
from mapservice.formats.downloads import SAMPLE_NOTICE
from mapservice.ingest.pipelines import import_projects
from mapservice.store import tables
from mapservice.store.models import ImportBatch
from mapservice.web import create_app
from tests.test_bad_input import FIXTURES
from tests.test_datasets import ROWS
from tests.test_downloads import load
from tests.test_pages import make_client


@pytest.fixture
def live(db):
    import_projects(db.sessions, db.config, FIXTURES / "template_en.csv")
    server = make_server("127.0.0.1", 0, create_app({"DATABASE_URL": db.config["DATABASE_URL"]}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_data_package_validates_with_its_data(live):
    import json
    import urllib.request

    descriptor = json.load(urllib.request.urlopen(f"{live}/datapackage.json"))
    assert [r["name"] for r in descriptor["resources"]][:3] == [
        "projects", "projects-by-province-2014", "projects-by-province-2015"]
    assert len(descriptor["resources"]) == 13
    # the spec's one date: when the data last changed (the import), an RFC 3339 date-time that frictionless checks
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", descriptor["created"])
    report = frictionless.validate(descriptor)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    # the dataset CSVs hold 25 provinces each; the project CSV the 3 imported projects
    rows = {task.name: task.stats["rows"] for task in report.tasks}
    assert rows["projects"] == 3 and rows["expenditure-by-province-2017"] == 25


def test_dcat_catalogue_has_every_dataset_bilingual(live):
    graph = rdflib.Graph().parse(f"{live}/catalog.jsonld", format="json-ld")
    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 13
    for dataset in datasets:
        languages = {title.language for title in graph.objects(dataset, DCTERMS.title)}
        assert languages == {"km", "en"}
        assert (dataset, DCTERMS.license, rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")) in graph
        assert list(graph.objects(dataset, DCAT.distribution))
        assert list(graph.objects(dataset, DCTERMS.temporal)) and list(graph.objects(dataset, DCTERMS.spatial))
    urls = {str(u) for u in graph.objects(None, DCAT.downloadURL)}
    assert f"{live}/api/v1/datasets/expenditure-by-province-2016.csv" in urls


# --- what every dataset of the DCAT catalogue says, on both databases (Flask test client, no server) ---

XSD_DATETIME = rdflib.URIRef("http://www.w3.org/2001/XMLSchema#dateTime")
OWL_VERSION = rdflib.URIRef("http://www.w3.org/2002/07/owl#versionInfo")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
BASE = "http://localhost"


def _set_imported_at(db, times):
    with db.sessions.begin() as session:
        for source, moment in times.items():
            session.execute(sa.update(ImportBatch).where(ImportBatch.source_file == source)
                            .values(imported_at=moment))


def _graph(client):
    response = client.get("/catalog.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    return rdflib.Graph().parse(data=response.get_data(as_text=True), format="json-ld", publicID=BASE)


def _datasets(graph):
    return {str(graph.value(d, DCTERMS.identifier)): d for d in graph.subjects(RDF.type, DCAT.Dataset)}


@pytest.fixture
def three_batches(db):
    """Batch a.csv loses all its projects to c.csv; b.csv keeps its one: issued/modified come from b and c."""
    load(db, ROWS[:2], source="a.csv")
    load(db, ROWS[2:3], source="b.csv")
    load(db, ROWS[:2], source="c.csv")
    _set_imported_at(db, {"a.csv": datetime(2020, 1, 1), "b.csv": datetime(2021, 2, 3, 4, 5, 6),
                          "c.csv": datetime(2022, 3, 4, 5, 6, 7)})
    return db


def test_every_dataset_has_publisher_keywords_landing_page_and_dates(three_batches):
    client = make_client(three_batches)
    graph = _graph(client)
    found = _datasets(graph)
    assert len(found) == 13 and "projects" in found
    issued = rdflib.Literal("2021-02-03T04:05:06Z", datatype=XSD_DATETIME)
    modified = rdflib.Literal("2022-03-04T05:06:07Z", datatype=XSD_DATETIME)
    for identifier, dataset in found.items():
        publisher = graph.value(dataset, DCTERMS.publisher)
        assert str(graph.value(publisher, FOAF.name)) == "Open Development Cambodia", identifier
        keywords = list(graph.objects(dataset, DCAT.keyword))
        # English only: CKAN's tag validator refuses Khmer keywords, which would fail the whole harvest
        assert {k.language for k in keywords} == {"en"}, identifier
        assert {str(k) for k in keywords} >= {"Cambodia", "infrastructure", "budget"}
        assert all(re.fullmatch(r"[\w \-.]*", str(k)) for k in keywords)  # CKAN's tag_name_validator
        section = "projects" if identifier == "projects" else "datasets"
        assert list(graph.objects(dataset, DCAT.landingPage)) == [rdflib.URIRef(f"{BASE}/data#{section}")]
        # the earliest and the latest import still holding projects (a.csv holds none any more)
        assert list(graph.objects(dataset, DCTERMS.issued)) == [issued], identifier
        assert list(graph.objects(dataset, DCTERMS.modified)) == [modified], identifier
    # the landing page is a real page
    assert client.get("/data").status_code == 200
    # the Data Package's one date (the spec's "created") is the latest change too
    assert client.get("/datapackage.json").get_json()["created"] == "2022-03-04T05:06:07Z"


def test_one_version_string_in_both_documents(db):
    load(db, ROWS)
    client = make_client(db)
    package = client.get("/datapackage.json").get_json()
    assert re.fullmatch(r"1\.0\.\d+", package["version"])
    graph = _graph(client)
    versions = {str(v) for v in graph.objects(None, OWL_VERSION)}
    assert versions == {package["version"]}
    assert len(list(graph.objects(None, OWL_VERSION))) == 13


def test_spatial_bbox_holds_the_stored_boundaries(db):
    load(db, ROWS)
    with db.sessions() as session:
        west, south, east, north = tables.load_areas(session, "commune").total_bounds
    graph = _graph(make_client(db))
    boxes = {str(b) for b in graph.objects(None, DCAT.bbox)}
    assert len(boxes) == 1
    corners = [tuple(map(float, pair.split())) for pair in re.findall(r"[\d.]+ [\d.]+", boxes.pop())]
    lons, lats = [x for x, _ in corners], [y for _, y in corners]
    # rounded outward to 4 decimals: the box holds every commune and is at most 0.0001 degrees larger
    assert min(lons) <= west and min(lats) <= south and max(lons) >= east and max(lats) >= north
    assert max(west - min(lons), south - min(lats), max(lons) - east, max(lats) - north) < 1e-4
    assert max(lats) == 14.6903  # the 2014 communes reach 14.69027 N


def test_sample_data_is_marked_in_both_languages(db):
    load(db, ROWS, is_sample=True)
    client = make_client(db)
    graph = _graph(client)
    projects = _datasets(graph)["projects"]
    catalogue_node = next(graph.subjects(RDF.type, DCAT.Catalog))
    for node, prop in ((projects, DCTERMS.title), (projects, DCTERMS.description), (catalogue_node, DCTERMS.title)):
        texts = {t.language: str(t) for t in graph.objects(node, prop)}
        assert set(texts) == {"km", "en"}
        for lang in ("km", "en"):
            assert texts[lang].startswith(SAMPLE_NOTICE[lang] + " · "), (prop, lang, texts[lang])
    package = client.get("/datapackage.json").get_json()
    assert package["title"].startswith(SAMPLE_NOTICE["en"])
    assert package["resources"][0]["title"].startswith(SAMPLE_NOTICE["en"])


def test_real_data_carries_no_sample_mark(db):
    load(db, ROWS)
    graph = _graph(make_client(db))
    titles = [str(t) for prop in (DCTERMS.title, DCTERMS.description) for t in graph.objects(None, prop)]
    assert titles and not any("SAMPLE" in t for t in titles)


def test_documents_are_built_once_per_data_version(db, monkeypatch):
    load(db, ROWS[:2], source="a.csv")
    client = make_client(db)
    calls = {"dcat": 0, "package": 0, "context": 0}
    for name, module, function in (("dcat", catalogue, "dcat_catalogue"), ("package", catalogue, "data_package"),
                                   ("context", datasets, "load_context")):
        original = getattr(module, function)
        monkeypatch.setattr(module, function, lambda *a, _f=original, _n=name, **k: calls.__setitem__(
            _n, calls[_n] + 1) or _f(*a, **k))
    first = [client.get(path) for path in ("/catalog.jsonld", "/datapackage.json") * 2]
    assert calls == {"dcat": 1, "package": 1, "context": 1}
    assert first[0].get_data() == first[2].get_data() and first[0].headers["ETag"] == first[2].headers["ETag"]
    # a conditional request gets a 304
    assert client.get("/catalog.jsonld", headers={"If-None-Match": first[0].headers["ETag"]}).status_code == 304
    # a new import is a new data version: rebuilt, with the new version and date
    load(db, ROWS[2:3], source="b.csv")
    _set_imported_at(db, {"b.csv": datetime(2030, 1, 2, 3, 4, 5)})
    graph = _graph(client)
    assert calls["dcat"] == 2 and calls["context"] == 2
    assert set(graph.objects(None, DCTERMS.modified)) == {rdflib.Literal("2030-01-02T03:04:05Z", datatype=XSD_DATETIME)}
    package = client.get("/datapackage.json").get_json()
    assert {str(v) for v in graph.objects(None, OWL_VERSION)} == {package["version"]}
    assert package["version"] != first[1].get_json()["version"]


def test_bounding_box_rounds_outward():
    assert catalogue.bounding_box([102.33382, 10.35364, 107.62767, 14.69026]) == [102.3338, 10.3536, 107.6277, 14.6903]
    assert catalogue.bounding_box([102.33382, 10.35364, 107.62767, 14.69026], digits=2) == [102.33, 10.35, 107.63, 14.7]
    assert catalogue.bounding_box(None) == list(catalogue.CAMBODIA_BBOX)
    assert catalogue.bounding_box([float("nan")] * 4) == list(catalogue.CAMBODIA_BBOX)


def test_import_dates_are_utc_date_times():
    sources = [{"imported_at": "2021-02-03T04:05:06"}, {"imported_at": "2019-12-31T23:59:59"}]
    assert catalogue.import_dates(sources) == ("2019-12-31T23:59:59Z", "2021-02-03T04:05:06Z")
    assert catalogue.import_dates([]) == (None, None)


# --- DCAT-AP: description, languages, media-type IRIs, byte sizes, one publisher; Turtle and RDF/XML ---------

def test_dcat_serialisations_hold_the_same_triples_with_the_dcat_ap_fields(live):
    import urllib.request

    def fetch(url, accept=None):
        request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
        with urllib.request.urlopen(request) as response:
            return response.headers["Content-Type"], response.headers.get("Vary", ""), response.read()

    graphs = {}
    for url, accept, media_type, rdf_format in (
            (f"{live}/catalog.jsonld", None, "application/ld+json", "json-ld"),
            (f"{live}/catalog", "text/turtle", "text/turtle", "turtle"),
            (f"{live}/catalog", "application/rdf+xml;q=0.9, text/html;q=0.5", "application/rdf+xml", "xml"),
            (f"{live}/catalog", "*/*", "application/ld+json", "json-ld"),
            (f"{live}/catalog.ttl", None, "text/turtle", "turtle"),
            (f"{live}/catalog.rdf", None, "application/rdf+xml", "xml")):
        content_type, vary, body = fetch(url, accept)
        assert content_type.split(";")[0] == media_type, (url, accept)
        assert ("Accept" in [v.strip() for v in vary.split(",")]) == url.endswith("/catalog"), (url, vary)
        graphs[(url, accept)] = rdflib.Graph().parse(data=body, format=rdf_format)
    first, *others = graphs.values()
    assert len(first) > 500
    for graph in others:
        assert rdflib.compare.isomorphic(first, graph)
    _check_dcat_ap_fields(first, live)


def _check_dcat_ap_fields(graph, live):
    import urllib.request

    catalog = rdflib.URIRef(f"{live}/catalog.jsonld")
    assert {d.language for d in graph.objects(catalog, DCTERMS.description)} == {"km", "en"}
    languages = {rdflib.URIRef(f"http://publications.europa.eu/resource/authority/language/{code}")
                 for code in ("KHM", "ENG")}
    assert set(graph.objects(catalog, DCTERMS.language)) == languages
    # one publisher node, with an IRI, that every dataset and the catalogue name
    publishers = set(graph.objects(None, DCTERMS.publisher))
    odc = rdflib.URIRef("https://opendevelopmentcambodia.net/")
    assert publishers == {odc} and (odc, RDF.type, rdflib.URIRef("http://xmlns.com/foaf/0.1/Organization")) in graph
    assert len(list(graph.objects(odc, rdflib.URIRef("http://xmlns.com/foaf/0.1/name")))) == 1
    distributions = list(graph.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) == 5 + 12 * 3
    iana = "https://www.iana.org/assignments/media-types/"
    for distribution in distributions:
        media_type = graph.value(distribution, DCAT.mediaType)
        assert isinstance(media_type, rdflib.URIRef) and str(media_type).startswith(iana), distribution
        url = str(graph.value(distribution, DCAT.downloadURL))
        with urllib.request.urlopen(url) as response:  # urllib asks for no compression: the file's own bytes
            body = response.read()
            assert response.headers["Content-Type"].split(";")[0] == str(media_type)[len(iana):], url
        size = int(graph.value(distribution, DCAT.byteSize))
        # an XLSX is a zip whose timestamps (and so its deflated size) change by a few bytes from one write to the next
        assert abs(size - len(body)) <= (16 if url.split("?")[0].endswith(".xlsx") else 0), (url, size, len(body))
