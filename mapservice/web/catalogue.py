"""Catalogue metadata at the site root, where harvesters look: /datapackage.json and /catalog.jsonld."""
from flask import Blueprint, current_app, g, jsonify, request

from mapservice import catalogue
from mapservice.openapi import documented
from mapservice.web.api import close_session, open_session
from mapservice.web.downloads import dataset_context

blueprint = Blueprint("catalogue", __name__)
blueprint.before_request(open_session)
blueprint.teardown_request(close_session)


def _metadata():
    config = current_app.config
    base_url = request.url_root.rstrip("/")
    return base_url, catalogue.all_dataset_metadata(dataset_context(), g.snapshot.version, base_url,
                                                    config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"])


@blueprint.get("/datapackage.json")
@documented("Frictionless Data Package of every download and the 12 datasets", tags=["standards"])
def data_package():
    """The Frictionless Data Package descriptor (validated with frictionless in tests)."""
    base_url, metadata = _metadata()
    return jsonify(catalogue.data_package(metadata, g.snapshot.version, base_url, g.snapshot.sample))


@blueprint.get("/catalog.jsonld")
@documented("DCAT catalogue (JSON-LD) for CKAN harvesting", tags=["standards"], media_types=["application/ld+json"])
def dcat():
    """The DCAT catalogue of our datasets in JSON-LD (ckanext-dcat reads it)."""
    base_url, metadata = _metadata()
    body = catalogue.dcat_catalogue(metadata, g.snapshot.version, base_url, g.snapshot.sample)
    response = jsonify(body)
    response.mimetype = "application/ld+json"
    return response
