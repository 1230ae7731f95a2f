"""The API's OpenAPI 3 document and its human-readable docs page."""
from flask import Blueprint, current_app, jsonify, render_template, request

from mapservice.openapi import build_openapi, documented

blueprint = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@blueprint.get("/openapi.json")
@documented("This OpenAPI 3 document", tags=["meta"])
def openapi():
    """The OpenAPI 3.0 description of every endpoint."""
    response = jsonify(build_openapi(current_app, request.url_root.rstrip("/")))
    response.mimetype = "application/vnd.oai.openapi+json"
    return response


@blueprint.get("/docs")
def docs():
    """Every endpoint with its parameters and a working example, as HTML."""
    spec = build_openapi(current_app, request.url_root.rstrip("/"))
    return render_template("api_docs.html", spec=spec)
