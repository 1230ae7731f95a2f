"""OC4IDS project packages of the stored projects: all, filtered, or one; JSON and flattened CSV/XLSX."""
import io

from flask import Blueprint, Response, abort, current_app, g, request, url_for

from mapservice.artefacts import names
from mapservice.artefacts.build import oc4ids_body, package_options
from mapservice.formats import oc4ids
from mapservice.read.filters import FilterError
from mapservice.web import artefacts
from mapservice.web.api import close_session, filters_from_request, open_session
from mapservice.web.http_cache import request_key
from mapservice.web.openapi import documented

blueprint = Blueprint("oc4ids", __name__, url_prefix="/api/v1/oc4ids")
blueprint.before_request(open_session)
blueprint.teardown_request(close_session)


FLAT = {"csv": ("text/csv; charset=utf-8", oc4ids.write_flat_csv),
        "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", oc4ids.write_flat_xlsx)}


def _package(project_id=None):
    filters = None if project_id else filters_from_request()
    cached = g.snapshot.responses.get_or_build(
        request_key(g.snapshot.version, ("oc4ids",)),
        lambda: oc4ids.export_projects(g.session, current_app.config["MAPSERVICE_OC4IDS_PREFIX"],
                                       filters=filters, project_id=project_id, uri=request.url,
                                       **package_metadata(current_app.config)))
    if not cached["projects"]:  # the schema wants at least one project in a package
        abort(404, f'project "{project_id}" does not exist' if project_id else
              "no project matches these filters (an OC4IDS package holds at least one project)")
    return cached


def package_metadata(config):
    """Publisher, license and publication policy of the served packages, from the settings."""
    return package_options(config, url_for("pages.about", _external=True).removesuffix("/about"))


def _attachment(response, name):
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blueprint.get("/projects.json")
@documented("OC4IDS 0.9 project package of the projects matching the filters", filters=True, tags=["standards"])
def package():
    """An OC4IDS project package (validated in tests against the official schema)."""
    if not request.args:
        prebuilt = artefacts.answer(names.OC4IDS_PACKAGE)
        if prebuilt:
            return prebuilt
    body = oc4ids_body(_package())
    return _attachment(Response(body, mimetype="application/json"), "oc4ids-projects.json")


@blueprint.get("/projects.<fmt>")
@documented("The OC4IDS package flattened to one row per project (csv or xlsx)", filters=True, tags=["standards"],
            path={"fmt": {"type": "string", "enum": list(FLAT)}},
            media_types=["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"])
def flat(fmt):
    """The package flattened for spreadsheets: one row per project, columns named by JSON path."""
    if fmt not in FLAT:
        raise FilterError("format", fmt, "json, csv or xlsx")
    mimetype, write = FLAT[fmt]
    buffer = io.BytesIO() if fmt == "xlsx" else io.StringIO()
    write(buffer, _package())
    body = buffer.getvalue()
    body = ("\ufeff" + body).encode("utf-8") if isinstance(body, str) else body
    return _attachment(Response(body, content_type=mimetype), f"oc4ids-projects.{fmt}")


@blueprint.get("/projects/<project_id>.json")
@documented("OC4IDS package of one project", tags=["standards"])
def one(project_id):
    """An OC4IDS package holding one project."""
    found = _package(project_id)
    return Response(oc4ids_body(found), mimetype="application/json")
