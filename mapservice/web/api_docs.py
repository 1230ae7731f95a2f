"""The API's OpenAPI 3 document and its human-readable docs page."""
from flask import Blueprint, current_app, jsonify, render_template, request

from mapservice.web.openapi import build_openapi, documented

blueprint = Blueprint("api_docs", __name__, url_prefix="/api/v1")


OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json"


def document():
    """The OpenAPI document for this server's URL, built once per URL and data version (it lists the stored area
    codes, which an import of boundaries may change)."""
    built = current_app.extensions.setdefault("openapi_documents", {})
    with current_app.extensions["session_factory"]() as session:
        snapshot = current_app.extensions["data_state"].current(session)
    server_url = request.url_root.rstrip("/")
    key = (server_url, snapshot.version)
    if key not in built:
        years = (current_app.config["MAPSERVICE_FIRST_YEAR"], current_app.config["MAPSERVICE_LAST_YEAR"])
        built[key] = build_openapi(current_app, server_url, snapshot.area_codes, years)
    return built[key]


@blueprint.get("/openapi.json")
@documented("This OpenAPI 3 document", tags=["meta"], media_types=[OPENAPI_MEDIA_TYPE])
def openapi():
    """The OpenAPI 3.0 description of every endpoint."""
    response = jsonify(document())
    response.mimetype = OPENAPI_MEDIA_TYPE
    return response


@blueprint.get("/docs")
@documented("The API documentation page", tags=["meta"], media_types=["text/html"])
def docs():
    """Every endpoint with its parameters and examples, as HTML."""
    return render_template("api_docs.html", spec=document())
