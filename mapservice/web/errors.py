"""One error body for every error: JSON for the API (and .json URLs), a short HTML page elsewhere."""
import logging

from flask import jsonify, make_response, render_template, request
from flask_babel import force_locale
from werkzeug.exceptions import HTTPException, InternalServerError

from mapservice.read.filters import FilterError

logger = logging.getLogger(__name__)


def wants_json():
    """The API, the tiles (also .mvt), the DCAT catalogue (every serialisation), the health endpoints and every
    .json and .jsonld URL answer errors in JSON."""
    return (request.path.startswith(("/api/", "/tiles/", "/catalog")) or request.path.endswith((".json", ".jsonld"))
            or request.path in ("/healthz", "/readyz"))


def error_response(status, message):
    if wants_json():
        response = jsonify({"ok": False, "error": message, "status": status})
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message), status


def unavailable(message, retry_after):
    """503 with ``Retry-After`` (seconds) in the one error body; ``message`` is a lazy_gettext string: English in
    JSON (like every other API error), the request's language on the HTML page."""
    if wants_json():
        with force_locale("en"):
            message = str(message)
    response = make_response(error_response(503, str(message)))
    response.headers["Retry-After"] = str(retry_after)
    return response


def register(app):
    @app.errorhandler(FilterError)
    def handle_bad_parameter(exc):
        logger.info("400 on %s: %s", request.full_path, exc)
        return error_response(400, str(exc))

    @app.errorhandler(HTTPException)
    def handle_http_error(exc):
        response = app.make_response(error_response(exc.code, exc.description))
        # the exception's own headers: Allow on a 405 (RFC 9110), WWW-Authenticate, Retry-After...
        response.headers.extend((name, value) for name, value in exc.get_headers() if name.lower() != "content-type")
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc):
        logger.exception("unhandled error on %s", request.path)
        return error_response(500, InternalServerError.description)
