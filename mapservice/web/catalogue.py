"""Catalogue metadata at the site root, where harvesters look: /datapackage.json and the DCAT catalogue
(/catalog.jsonld; /catalog by Accept as JSON-LD, Turtle or RDF/XML; /catalog.ttl, /catalog.rdf).

Both depend only on the data and the public address: what they need from the data (the datasets' context, the
import dates, the boundaries' extent, the byte size of every distribution) is read once per data version, and each
document is built once per data version and address (kept in the snapshot's bounded response cache with its ETag)."""
import json

from flask import Blueprint, Response, current_app, g, request

from mapservice.formats import catalogue, datasets, downloads, oc4ids, rdf
from mapservice.read.budgets import has_budgets
from mapservice.read.filters import Filters
from mapservice.web.api import close_session, open_session
from mapservice.web.downloads import dataset_context
from mapservice.web.http_cache import cached_body
from mapservice.web.oc4ids import package_metadata
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


def _document(name, mimetype, build, encode=None):
    """``build(metadata of the 12 datasets, base_url, inputs)`` as JSON (or ``encode(document)`` bytes), once per
    data version and address."""
    config, base_url = current_app.config, request.url_root.rstrip("/")
    years = (config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"])

    def render():
        inputs = _inputs()
        metadata = catalogue.all_dataset_metadata(inputs["context"], g.snapshot.version, base_url, *years)
        document = build(metadata, base_url, inputs)
        return encode(document) if encode else current_app.json.dumps(document).encode("utf-8")
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


def _dcat(metadata, base_url, inputs):
    config = current_app.config
    publisher = {"name": config["MAPSERVICE_PUBLISHER_NAME"], "url": config["MAPSERVICE_PUBLISHER_URI"]}
    return catalogue.dcat_catalogue(metadata, g.snapshot.version, base_url, g.snapshot.sample,
                                    inputs["context"]["sources"], inputs["bbox"], _sizes(base_url, metadata),
                                    publisher, budgets=inputs["budgets"])


def _sizes(base_url, metadata):
    """url -> bytes of every distribution, as its URL serves it (measured once per data version and address)."""
    def measure():
        records, meta = downloads.collect(g.session, Filters(), None, g.snapshot.version)
        years = (current_app.config["MAPSERVICE_FIRST_YEAR"], current_app.config["MAPSERVICE_LAST_YEAR"])
        by_id = {entry["id"]: entry for entry in metadata}
        sizes = {}
        for url, (kind, fmt, dataset_id) in catalogue.distribution_urls(base_url, metadata).items():
            if kind == "projects":
                sizes[url] = len(downloads.FORMATS[fmt][0](records, "en", meta))
            elif kind == "oc4ids" and records:
                package = oc4ids.export_projects(g.session, current_app.config["MAPSERVICE_OC4IDS_PREFIX"], uri=url,
                                                 **package_metadata(current_app.config))
                sizes[url] = len(json.dumps(package, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            elif kind == "dataset":
                rows = datasets.province_rows(g.session, *datasets.parse_id(dataset_id, *years))
                sizes[url] = len(datasets.FORMATS[fmt][0](by_id[dataset_id], rows))
        return sizes
    return g.snapshot.responses.get_or_build((g.snapshot.version, "catalogue-sizes", base_url), measure)


@blueprint.get("/catalog.jsonld")
@documented("DCAT catalogue (JSON-LD) for CKAN harvesting", tags=["standards"], media_types=["application/ld+json"])
def dcat():
    """The DCAT catalogue of our datasets in JSON-LD (ckanext-dcat reads it)."""
    return _document("dcat", "application/ld+json", _dcat)


@blueprint.get("/catalog")
@documented("DCAT catalogue: JSON-LD, Turtle or RDF/XML by the Accept header", tags=["standards"],
            media_types=list(rdf.SERIALISATIONS))
def dcat_negotiated():
    """The DCAT catalogue in the serialisation the Accept header prefers (JSON-LD by default)."""
    media_type = request.accept_mimetypes.best_match(list(rdf.SERIALISATIONS), default=rdf.JSON_LD)
    response = _serialised(media_type)
    response.vary.add("Accept")
    return response


@blueprint.get("/catalog.ttl")
@documented("DCAT catalogue as Turtle", tags=["standards"], media_types=[rdf.TURTLE])
def dcat_turtle():
    """The DCAT catalogue in Turtle."""
    return _serialised(rdf.TURTLE)


@blueprint.get("/catalog.rdf")
@documented("DCAT catalogue as RDF/XML", tags=["standards"], media_types=[rdf.RDF_XML])
def dcat_rdf_xml():
    """The DCAT catalogue in RDF/XML."""
    return _serialised(rdf.RDF_XML)


def _serialised(media_type):
    if media_type == rdf.JSON_LD:
        return _document("dcat", rdf.JSON_LD, _dcat)
    return _document(f"dcat-{media_type}", media_type, _dcat, lambda document: rdf.serialise(document, media_type))
