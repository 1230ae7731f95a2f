"""Catalogue metadata at the site root, where harvesters look: /datapackage.json and /catalog.jsonld.

Both depend only on the data and the public address: what they need from the data (the datasets' context, the
import dates, the boundaries' extent) is read once per data version, and each document is built once per data
version and address (kept in the snapshot's bounded response cache with its ETag)."""
from flask import Blueprint, Response, current_app, g, request

from mapservice.formats import catalogue
from mapservice.read.budgets import has_budgets
from mapservice.web.api import close_session, open_session
from mapservice.web.downloads import dataset_context
from mapservice.web.http_cache import cached_body
from mapservice.web.openapi import documented

blueprint = Blueprint("catalogue", __name__)
blueprint.before_request(open_session)
blueprint.teardown_request(close_session)


def _inputs():
    """What both documents need from the data, once per data version."""
    def build():
        communes = g.snapshot.communes
        return {"context": dataset_context(),
                "bbox": catalogue.bounding_box(communes.total_bounds if len(communes) else None),
                "budgets": has_budgets(g.session)}
    return g.snapshot.memo("catalogue", build)


def _document(name, mimetype, build):
    """``build(metadata of the 12 datasets, base_url, inputs)`` as JSON, once per data version and address."""
    config, base_url = current_app.config, request.url_root.rstrip("/")
    years = (config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"])

    def render():
        inputs = _inputs()
        metadata = catalogue.all_dataset_metadata(inputs["context"], g.snapshot.version, base_url, *years)
        return current_app.json.dumps(build(metadata, base_url, inputs)).encode("utf-8")
    # the key holds the address: a bounded LRU, so any Host header costs at most one entry among 256
    body, etag = cached_body(g.snapshot.responses, (g.snapshot.version, "catalogue", name, base_url, years), render)
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    return response


@blueprint.get("/datapackage.json")
@documented("Frictionless Data Package of every download and the 12 datasets", tags=["standards"])
def data_package():
    """The Frictionless Data Package descriptor (validated with frictionless in tests)."""
    return _document("datapackage", "application/json", lambda metadata, base_url, inputs: catalogue.data_package(
        metadata, g.snapshot.version, base_url, g.snapshot.sample, inputs["context"]["sources"],
        budgets=inputs["budgets"]))


@blueprint.get("/catalog.jsonld")
@documented("DCAT catalogue (JSON-LD) for CKAN harvesting", tags=["standards"], media_types=["application/ld+json"])
def dcat():
    """The DCAT catalogue of our datasets in JSON-LD (ckanext-dcat reads it)."""
    return _document("dcat", "application/ld+json", lambda metadata, base_url, inputs: catalogue.dcat_catalogue(
        metadata, g.snapshot.version, base_url, g.snapshot.sample, inputs["context"]["sources"], inputs["bbox"],
        budgets=inputs["budgets"]))
