"""Catalogue metadata: the Data Package validates with frictionless (descriptor AND the data behind every URL,
read over HTTP from a live server), and the DCAT catalogue parses as RDF with what CKAN needs."""
import threading

import frictionless
import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF
from werkzeug.serving import make_server

from mapservice import create_app
from mapservice.importer import import_projects
from tests.test_bad_input import FIXTURES


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
