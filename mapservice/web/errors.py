"""One error body for every error: JSON for the API (and .json URLs), a short HTML page elsewhere."""
import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from mapservice.read.filters import FilterError

logger = logging.getLogger(__name__)


def wants_json():
    """The API, the tiles (also .mvt), the DCAT catalogue (every serialisation) and every .json and .jsonld URL
    answer errors in JSON."""
    return request.path.startswith(("/api/", "/tiles/", "/catalog")) or request.path.endswith((".json", ".jsonld"))


def error_response(status, message):
    if wants_json():
        response = jsonify({"ok": False, "error": message, "status": status})
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message), status


def register(app):
    @app.errorhandler(FilterError)
    def handle_bad_parameter(exc):
        logger.info("400 on %s: %s", request.full_path, exc)
        return error_response(400, str(exc))

    @app.errorhandler(HTTPException)
    def handle_http_error(exc):
        return error_response(exc.code, exc.description)

    @app.errorhandler(Exception)
    def handle_unexpected(exc):
        logger.exception("unhandled error on %s", request.path)
        return error_response(500, InternalServerError.description)
