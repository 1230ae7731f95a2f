"""The admin API under /api/v1/admin, for scripts and ODC's CKAN jobs: ``Authorization: Bearer <token>``
(``mapservice users token NAME``). Uploads become drafts (the report and the diff in JSON), published or discarded;
the version history and rollback; one project corrected. 401 without a valid token, 403 out of role or scope
(naming the areas), 409 for a stale or closed draft. The role and scope checks are the domain's (ingest/drafts.py),
so the admin pages and this API refuse the same things.

Also what the admin pages share: ``write_sessions`` (the primary database, never the read replica, no statement
timeout), ``client_of_request``, ``after_publish`` (the one call site for work after the data changed)."""
import logging
import tempfile
import threading
from pathlib import Path

from flask import Blueprint, abort, current_app, g, jsonify, request
from werkzeug.utils import secure_filename

from mapservice.artefacts.build import build_artefacts
from mapservice.formats.parameters import query_parameter
from mapservice.ingest import drafts
from mapservice.ingest.records import SourceError
from mapservice.read import drafts as draft_queries
from mapservice.store import accounts
from mapservice.store.db import create_db_engine, make_session_factory
from mapservice.store.locks import ImportLocked
from mapservice.web.errors import error_response
from mapservice.web.openapi import documented

logger = logging.getLogger(__name__)
blueprint = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
_engine_lock = threading.Lock()
ID = {"type": "integer", "minimum": 1}
SKIP_INVALID = query_parameter("skip_invalid", "Publish the valid rows of a draft that has invalid ones",
                               {"type": "string", "enum": ["false", "true"]}, "false")
STATUS = query_parameter("status", "Drafts of this status (default draft)",
                         {"type": "string", "enum": ["draft", "published", "discarded"]}, "draft")
UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "Project template CSV/XLSX, NCDD PID report CSV or OC4IDS JSON"},
                   "mode": {"type": "string", "enum": list(drafts.MODES),
                            "description": "merge (default): add and update; replace: also remove the stored "
                                           "projects of the file's districts and years that it does not hold"},
                   "format": {"type": "string", "enum": ["template", "oc4ids", "pid"]},
                   "year": {"type": "integer", "description": "Fiscal year of a PID report"},
                   "province": {"type": "string", "description": "Province code of a PID report"}}}}}}
CORRECTION = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["fields"],
    "properties": {"fields": {"type": "object", "additionalProperties": {"type": "string", "nullable": True},
                              "description": "Canonical column -> new value, as a template cell would say it"}}}}}}


def write_sessions(app=None):
    """Sessions on the primary database (DATABASE_URL) for publishing: never the read replica, no statement
    timeout; one engine per app."""
    app = app or current_app
    with _engine_lock:
        if "write_session_factory" not in app.extensions:
            app.extensions["write_session_factory"] = make_session_factory(create_db_engine(app.config))
    return app.extensions["write_session_factory"]


def client_of_request():
    """Who is asking, for the throttle and the audit log: the client's address."""
    return (request.remote_addr or "?")[:64]


def after_publish(version, app=None):
    """Work after a publish or rollback committed (``version``: its VersionRecord). The data version is bumped in
    the transaction, so every process rebuilds its snapshot and caches on its next request; this one rebuilds its
    snapshot now (the next public request does not wait), forgets its OpenAPI documents, and builds the files of
    the new data version in a background thread (mapservice/artefacts: the previous version's files stay served
    until they are switched; a newer version committed meanwhile makes the build stop)."""
    app = app or current_app._get_current_object()  # the app itself: the thread outlives the request
    app.extensions.pop("openapi_documents", None)
    with write_sessions(app)() as session:
        app.extensions["data_state"].current(session)
    logger.info("version %s (%s) by %s: %s", version.id, version.action, version.user_name, version.counts)
    if app.config["MAPSERVICE_ARTEFACT_DIR"]:
        builder = threading.Thread(target=_build_artefacts, args=(app,), name="artefacts", daemon=True)
        app.extensions["artefact_build"] = builder
        builder.start()


def _build_artefacts(app):
    try:
        logger.info("%s", build_artefacts(write_sessions(app), app.config))
    except Exception:  # the data are published and served dynamically; `mapservice build-artefacts` retries
        logger.exception("artefacts not built after the publish; retry with `mapservice build-artefacts`")


@blueprint.before_request
def require_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    with write_sessions().begin() as session:
        user = accounts.user_by_token(session, token.strip()) if scheme.lower() == "bearer" else None
        if user is not None:
            session.expunge(user)
    if user is None:
        response = error_response(401, "a valid API token is required: Authorization: Bearer <token> "
                                       "(mapservice users token NAME)")
        response.headers["WWW-Authenticate"] = 'Bearer realm="mapservice admin"'
        return response
    g.user = user


@blueprint.after_request
def not_stored(response):
    """A user's drafts and the history are never kept by a browser or a shared cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.errorhandler(drafts.DraftError)
def refused(exc):
    return error_response(exc.status, str(exc))


@blueprint.errorhandler(draft_queries.DraftMissing)
def missing(exc):
    return error_response(404, str(exc))


@blueprint.errorhandler(SourceError)
def bad_file(exc):
    return error_response(400, str(exc))


@blueprint.errorhandler(ImportLocked)
def locked(exc):
    return error_response(409, str(exc))


def _draft_body(draft_id):
    with write_sessions()() as session:
        drafts.get_draft(session, draft_id, g.user)  # 404, or 403 for another editor's draft
        return {"draft": draft_queries.draft_report(session, draft_id), "diff": draft_queries.draft_diff(session, draft_id)}


def _form_int(name):
    value = request.form.get(name, "").strip()
    if value and not value.isdigit():
        abort(400, f'{name} was "{value}"; expected a whole number')
    return int(value) if value else None


@blueprint.post("/uploads")
@documented("Upload a file of projects as a draft", tags=["admin"], bearer=True, request_body=UPLOAD, status=201,
            errors=(409, 413))
def upload():
    """The file is read and checked like `mapservice import-projects`, and kept as a draft: the answer is its
    report (per row and column, with codes) and its difference against the published data. Nothing is published."""
    if (request.content_length or 0) > current_app.config["MAPSERVICE_MAX_IMPORT_BYTES"]:
        abort(413, f"the upload is larger than {current_app.config['MAPSERVICE_MAX_IMPORT_BYTES']:,} bytes")
    file = request.files.get("file")
    if file is None or not file.filename:
        abort(400, "file is required (multipart/form-data, the field file)")
    name = secure_filename(file.filename) or "upload"
    mode = request.form.get("mode", "merge")
    context = {"fiscal_year": _form_int("year"), "province_code": request.form.get("province") or None}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        file.save(path)
        draft_id = drafts.create_draft(write_sessions(), current_app.config, path, g.user, file.filename[:200],
                                       source_format=request.form.get("format") or None, context=context, mode=mode,
                                       client=client_of_request())
    response = jsonify(_draft_body(draft_id))
    response.status_code = 201
    response.headers["Location"] = f"{request.script_root}/api/v1/admin/uploads/{draft_id}"
    return response


@blueprint.get("/uploads")
@documented("Drafts (an editor's own, every one for an admin)", tags=["admin"], bearer=True, parameters=[STATUS])
def list_uploads():
    """Drafts newest first, without their rows."""
    with write_sessions()() as session:
        found = drafts.list_drafts(session, g.user, request.args.get("status", "draft"))
        return jsonify({"drafts": [draft_queries.draft_summary(d) for d in found]})


@blueprint.get("/uploads/<int:draft_id>")
@documented("A draft: its report and its difference against the published data", tags=["admin"], bearer=True,
            path={"draft_id": ID})
def get_upload(draft_id):
    """The report per row and column, new / changed (field by field) / removed projects, totals per area."""
    return jsonify(_draft_body(draft_id))


@blueprint.get("/uploads/<int:draft_id>/preview.geojson")
@documented("A draft's projects on a map (GeoJSON), code/point conflicts marked", tags=["admin"], bearer=True,
            path={"draft_id": ID}, media_types=["application/geo+json"])
def preview(draft_id):
    """Each project of the draft: its point (null when it has none), conflict, change (new, changed, unchanged)."""
    with write_sessions()() as session:
        drafts.get_draft(session, draft_id, g.user)
        body = draft_queries.draft_preview_geojson(session, draft_id)
    return current_app.response_class(body, mimetype="application/geo+json")


@blueprint.post("/uploads/<int:draft_id>/publish")
@documented("Publish a draft (one transaction, a new version)", tags=["admin"], bearer=True, path={"draft_id": ID},
            parameters=[SKIP_INVALID], errors=(409,))
def publish(draft_id):
    """409 when the published data changed since the draft was checked, or it is already published or discarded;
    400 when it has invalid rows (unless skip_invalid=true)."""
    skip = request.args.get("skip_invalid", "false")
    if skip not in ("true", "false"):
        abort(400, f'skip_invalid was "{skip}"; expected true or false')
    version = drafts.publish_draft(write_sessions(), current_app.config, draft_id, g.user, client_of_request(),
                                   skip_invalid=skip == "true")
    after_publish(version)
    return jsonify({"version": draft_queries.version_record(version)})


@blueprint.post("/uploads/<int:draft_id>/discard")
@documented("Discard a draft", tags=["admin"], bearer=True, path={"draft_id": ID}, errors=(409,))
def discard(draft_id):
    """The draft is kept in the list as discarded; nothing is published."""
    drafts.discard_draft(write_sessions(), draft_id, g.user, client_of_request())
    with write_sessions()() as session:
        return jsonify({"draft": draft_queries.draft_summary(drafts.get_draft(session, draft_id, g.user))})


@blueprint.post("/projects/<project_id>/correction")
@documented("Correct one published project (a one-project draft)", tags=["admin"], bearer=True,
            request_body=CORRECTION, status=201, path={"project_id": {"type": "string", "maxLength": 64}})
def correct(project_id):
    """The project with the given fields changed, checked like an import; publish the draft to apply it."""
    body = request.get_json(silent=True)
    fields = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(fields, dict) or not all(isinstance(v, str | None) for v in fields.values()):
        abort(400, 'expected a JSON body {"fields": {"column": "new value", ...}}')
    draft_id = drafts.correct_project(write_sessions(), current_app.config, g.user, project_id, fields,
                                      client_of_request())
    response = jsonify(_draft_body(draft_id))
    response.status_code = 201
    return response


@blueprint.get("/versions")
@documented("The versions of the published data", tags=["admin"], bearer=True)
def versions():
    """Every import (CLI too), publication and rollback: who, when, the file's name and checksum, the counts."""
    with write_sessions()() as session:
        return jsonify({"versions": draft_queries.versions(session)})


@blueprint.post("/versions/<int:version_id>/rollback")
@documented("Roll the published projects back to a version (as a new version)", tags=["admin"], bearer=True,
            path={"version_id": ID}, errors=(409,))
def rollback(version_id):
    """Admins; an editor only when every project it changes lies in their areas."""
    version = drafts.rollback_to(write_sessions(), current_app.config, version_id, g.user, client_of_request())
    after_publish(version)
    return jsonify({"version": draft_queries.version_record(version)})
