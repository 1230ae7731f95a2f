"""/admin: publishing over the web for ODC staff and district officers. Sign in and out (throttled), drafts and
the upload form, a draft's report, preview map, differences and Publish / Discard, the correction of one project,
the data versions and rollback, the audit log (admins), the manual.

Every page but the login page is behind a session; every action checks the role and the scope on the server
(``store.accounts.can_touch`` through ``ingest.drafts``). Answers are never cached (``no-store``)."""
import logging
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext, lazy_gettext, ngettext
from flask_login import current_user, login_user, logout_user

from mapservice.ingest import drafts
from mapservice.ingest.records import SourceError
from mapservice.read import drafts as read_drafts
from mapservice.read.mapstate import CAMBODIA
from mapservice.ingest.records import CHOICE_COLUMNS
from mapservice.store import accounts, history
from mapservice.web import auth, maps, reasons
from mapservice.web.admin_api import after_publish, client_of_request, write_sessions
from mapservice.web.admin_forms import UPLOAD_SUFFIXES, LoginForm, UploadForm
from mapservice.web.i18n import current_language
from mapservice.web.pages import FIELD_LABELS

logger = logging.getLogger(__name__)

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
auth.guard(blueprint)
blueprint.record_once(lambda setup: auth.init_app(setup.app))
RECENT = 10  # decided drafts listed under the open ones
MODES = {"merge": lazy_gettext("Add and update: the file's projects are added or replace the published ones of the "
                               "same number; nothing else changes."),
         "replace": lazy_gettext("Replace: also remove the published projects of the file's districts and years "
                                 "that the file does not hold.")}
STATUS_NAMES = {"draft": lazy_gettext("draft"), "published": lazy_gettext("published"),
                "discarded": lazy_gettext("discarded")}
JOIN_NAMES = {"agree": lazy_gettext("Point and commune agree"), "conflict": lazy_gettext("Conflicts"),
              "code_only": lazy_gettext("Placed at the commune's centre"),
              "point_only": lazy_gettext("Commune found from the point"), "unmatched": lazy_gettext("Unplaced")}
VERSION_ACTIONS = {"import": lazy_gettext("import (command line)"), "sample": lazy_gettext("SAMPLE data generated"),
                   "boundaries": lazy_gettext("boundaries imported"), "budgets": lazy_gettext("budgets imported"),
                   "publish": lazy_gettext("file published"), "correction": lazy_gettext("project corrected"),
                   "rollback": lazy_gettext("back to an earlier version"),
                   "baseline": lazy_gettext("what was stored before the history began")}
CORRECTION_LABELS = {**FIELD_LABELS, "pid_url": lazy_gettext("PID record address"),
                     "currency": lazy_gettext("Currency of the amounts"), "commune_code": lazy_gettext("Commune code"),
                     "lon": lazy_gettext("Longitude"), "lat": lazy_gettext("Latitude")}
CORRECTION_FIELDS = drafts.EDITABLE
MANUAL_STEPS = [("sign-in", lazy_gettext("Sign in")), ("upload", lazy_gettext("Upload a file as a draft")),
                ("report", lazy_gettext("Read the report")), ("preview", lazy_gettext("Check the map")),
                ("differences", lazy_gettext("Check what changes")), ("publish", lazy_gettext("Publish or discard")),
                ("public", lazy_gettext("See it on the public site")),
                ("correct", lazy_gettext("Correct a published project")),
                ("history", lazy_gettext("History and going back to a version")),
                ("sign-out", lazy_gettext("Sign out"))]


def safe_next(target):
    """The page to return to after signing in: only a path of /admin on this site."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or parts.path.startswith("/admin/login"):
        return None
    return target


@blueprint.context_processor
def draft_words():
    """The names of draft states and upload modes in the request's language."""
    return {"status_names": STATUS_NAMES, "modes": MODES}


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; 401 for a wrong name or password, 429 with Retry-After once the account or client is throttled."""
    if request.method == "GET" and current_user.is_authenticated:  # the footer's link, once signed in
        return redirect(url_for("admin.index", lang=current_language()))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("admin/login.html", form=form, next=request.args.get("next"))
    try:
        user = accounts.authenticate(g.session, form.name.data, form.password.data, client_of_request())
    except accounts.LoginThrottled as exc:
        g.session.commit()
        minutes = max(1, -(-exc.retry_after // 60))
        message = gettext("Too many wrong passwords for this account or from this computer. Wait %(minutes)s "
                          "minutes, then try again.", minutes=minutes)
        response = current_app.make_response((render_template("admin/login.html", form=form, error=message), 429))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except accounts.LoginRefused as exc:
        g.session.commit()  # the failed attempt counts
        message = (gettext("This account is disabled. Ask an administrator of ODC.") if exc.reason == "disabled"
                   else gettext("Wrong user name or password."))
        return render_template("admin/login.html", form=form, error=message), 401
    g.session.commit()
    session.clear()  # a new session (and CSRF token) for the signed-in user
    login_user(auth.Publisher(user))
    return redirect(safe_next(request.args.get("next")) or url_for("admin.index", lang=current_language()), 303)


@blueprint.post("/logout")
def logout():
    """Sign out (a POST with its token, so that no other site can sign anyone out)."""
    accounts.audit(g.session, current_user.name, client_of_request(), "logout")
    g.session.commit()
    logout_user()
    session.clear()
    return auth.back_here("admin.login")


@blueprint.get("/help")
def manual():
    """The manual for district officers, step by step, with the browser tests' screenshots."""
    return render_template("admin/help.html", steps=MANUAL_STEPS)


def refuse_outside_scope(codes):
    """403 naming the areas outside the signed-in editor's scope (none for an admin)."""
    outside = accounts.can_touch(current_user.user, codes)
    if outside:
        abort(403, gettext("Your account may change the projects of %(scope)s only; this touches %(areas)s.",
                           scope=", ".join(current_user.areas), areas=", ".join(code or "?" for code in outside)))


# --- drafts: upload, report, preview, publish, discard -------------------------------------------------------------

def refusal(exc):
    """The request's-language sentence for a refused draft action (``ingest.drafts.DraftError``)."""
    detail = exc.detail
    if isinstance(exc, drafts.NotAllowed) and detail.get("projects"):
        listed = "; ".join(f"{code or '?'}: {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}"
                           for code, ids in detail["projects"].items())
        return gettext("Your account may publish the projects of %(scope)s only. Outside them: %(list)s.",
                       scope=", ".join(current_user.areas) or "—", list=listed)
    if isinstance(exc, drafts.DraftStale):
        return gettext("Other data were published since this draft was checked (version %(checked)s, now "
                       "%(now)s). Upload the file again, so that it is checked against what is published now.",
                       checked=detail.get("checked_on"), now=detail.get("published"))
    if isinstance(exc, drafts.DraftInvalid):
        return ngettext("This draft has %(num)s refused row. Correct it in the file and upload it again.",
                        "This draft has %(num)s refused rows. Correct them in the file and upload it again.",
                        detail.get("rejected") or 0)
    if isinstance(exc, drafts.DraftClosed):
        status = detail.get("status_now")
        if status:
            return gettext("This draft is already %(status)s.", status=STATUS_NAMES.get(status, status))
        if detail.get("boundaries"):
            return gettext("Version %(id)s imported the boundaries again: the published data can go back to "
                           "version %(id)s or later only.", id=detail["boundaries"])
        return gettext("The published data are already as they were at that version.")
    if isinstance(exc, drafts.NotAllowed):
        return gettext("This belongs to another account.")
    return str(exc)


def index_page(form, error=None, status=200):
    user = current_user.user
    decided = [d for d in drafts.list_drafts(g.session, user, status=None) if d.status != "draft"][:RECENT]
    return render_template("admin/index.html", form=form, error=error, decided=decided,
                           upload_limit=auth.size_text(current_app.config["MAPSERVICE_MAX_IMPORT_BYTES"]),
                           open_drafts=drafts.list_drafts(g.session, user)), status


@blueprint.get("")
def index():
    """The open drafts (an editor's own; every one for an admin), the latest decided ones, the upload form."""
    return index_page(UploadForm())


@blueprint.post("/uploads")
def upload():
    """Keep the uploaded file as a draft, checked like an import, and show its page (303)."""
    form = UploadForm()
    if not form.validate_on_submit():
        return index_page(form, status=400)
    original = Path(form.file.data.filename or "").name
    suffix = Path(original).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        return index_page(form, gettext("“%(name)s” is not a CSV, XLSX or JSON file.", name=original), 400)
    with tempfile.TemporaryDirectory(prefix="mapservice-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        form.file.data.save(path)
        g.session.close()  # the draft is written in its own transaction: no read beside it
        try:
            draft_id = drafts.create_draft(write_sessions(), current_app.config, path, current_user.user, original,
                                           mode=form.mode.data, client=client_of_request())
        except SourceError as exc:
            return index_page(form, gettext("The file cannot be read: %(reason)s",
                                            reason=reasons.file_error(exc, auth.size_text)), 400)
        except drafts.DraftError as exc:
            return index_page(form, refusal(exc), exc.status)
    return auth.back_here("admin.draft", draft_id=draft_id)


def open_draft(draft_id):
    """The draft of this id the signed-in user may see (404, 403 otherwise)."""
    try:
        return drafts.get_draft(g.session, draft_id, current_user.user)
    except drafts.NotFound:
        abort(404, gettext("There is no draft %(id)s.", id=draft_id))
    except drafts.NotAllowed:
        abort(403, gettext("Draft %(id)s belongs to another account.", id=draft_id))


def draft_page(draft_id, error=None, status=200):
    draft = open_draft(draft_id)
    report = read_drafts.draft_report(g.session, draft.id)
    diff = read_drafts.draft_diff(g.session, draft.id) if draft.status == "draft" else None
    scaffold = maps.scaffold(CAMBODIA["lat"], CAMBODIA["lon"], CAMBODIA["zoom"], gettext("Map of the draft's projects"))
    districts = sorted({row["district_code"] for row in draft.rows or [] if row.get("district_code")})
    outlines = [url_for("api.layer", name="admin_outlines", level="commune", district=code) for code in districts[:5]]
    return render_template("admin/draft.html", draft=report, diff=diff, scaffold=scaffold, error=error,
                           outlines=outlines,
                           labels=FIELD_LABELS, reasons=reasons, vocabulary=maps.vocabulary_labels(),
                           join_names=JOIN_NAMES), status


@blueprint.get("/uploads/<int:draft_id>")
def draft(draft_id):
    """A draft: its report per row and column, the preview map, what it changes, Publish and Discard."""
    return draft_page(draft_id)


@blueprint.get("/uploads/<int:draft_id>/preview.json")
def draft_preview(draft_id):
    """The draft's projects as GeoJSON for the preview map (conflicts marked)."""
    open_draft(draft_id)
    return Response(read_drafts.draft_preview_geojson(g.session, draft_id), mimetype="application/geo+json")


@blueprint.post("/uploads/<int:draft_id>/publish")
def publish(draft_id):
    """Publish the draft in one transaction: a new version of the published data."""
    open_draft(draft_id)
    g.session.close()  # the publish runs in its own transaction, under the import lock: no read beside it
    try:
        version = drafts.publish_draft(write_sessions(), current_app.config, draft_id, current_user.user,
                                       client=client_of_request())
    except drafts.DraftError as exc:
        return draft_page(draft_id, refusal(exc), exc.status)
    after_publish(version)
    flash(published_message(version), "success")
    return auth.back_here("admin.draft", draft_id=draft_id)


@blueprint.post("/uploads/<int:draft_id>/discard")
def discard(draft_id):
    """Drop the draft; nothing published changes."""
    open_draft(draft_id)
    g.session.close()
    try:
        drafts.discard_draft(write_sessions(), draft_id, current_user.user, client=client_of_request())
    except drafts.DraftError as exc:
        return draft_page(draft_id, refusal(exc), exc.status)
    flash(gettext("Draft %(id)s is discarded; nothing published changed.", id=draft_id), "success")
    return auth.back_here("admin.index")


def published_message(version):
    counts = version.counts or {}
    return gettext("Published as version %(version)s: %(added)s new, %(changed)s changed, %(removed)s removed.",
                   version=version.id, added=counts.get("added", 0), changed=counts.get("changed", 0),
                   removed=counts.get("removed", 0))



# --- one project corrected, as a one-project draft ------------------------------------------------------------------

@blueprint.get("/projects")
def find_project():
    """The correction form of the project number asked for."""
    project_id = (request.args.get("project_id") or "").strip()
    if not project_id:
        abort(400, gettext("Write the number of the project to correct."))
    return redirect(url_for("admin.correct", project_id=project_id, lang=current_language()), 303)


def stored_project(project_id):
    """The published project as the correction form shows it (404 when there is none, 403 outside the scope)."""
    row = history.stored_rows(g.session, [project_id]).get(project_id) or abort(
        404, gettext('Project "%(id)s" does not exist.', id=project_id))
    refuse_outside_scope([drafts.project_area(row)])
    return row


def correction_page(project_id, values, error=None, status=200):
    return render_template("admin/correct.html", project_id=project_id, values=values, fields=CORRECTION_FIELDS,
                           labels=CORRECTION_LABELS, choices=correction_choices(), error=error), status


@blueprint.get("/projects/<project_id>/edit")
def correct(project_id):
    """The form that corrects one published project (its fields as a file would give them)."""
    return correction_page(project_id, drafts.raw_of_stored(stored_project(project_id)))


@blueprint.post("/projects/<project_id>/edit")
def submit_correction(project_id):
    """Check the corrected project like an import and keep it as a one-project draft (its page next)."""
    stored_project(project_id)
    fields = {name: request.form.get(name, "") for name in drafts.EDITABLE}
    g.session.close()
    try:
        draft_id = drafts.correct_project(write_sessions(), current_app.config, current_user.user, project_id,
                                          fields, client=client_of_request())
    except drafts.DraftError as exc:
        return correction_page(project_id, fields, refusal(exc), exc.status)
    return auth.back_here("admin.draft", draft_id=draft_id)


def correction_choices():
    """The coded fields' choices in the request's language (a blank first: the field may be empty)."""
    labels = maps.vocabulary_labels()
    return {field: labels[field] for field in CHOICE_COLUMNS} | {
        "eia_required": {"yes": gettext("Yes"), "no": gettext("No")}}


# --- history and rollback --------------------------------------------------------------------------------------------

@blueprint.get("/versions")
def versions():
    """Every version of the published data, CLI imports included, newest first, with a rollback button each."""
    return render_template("admin/versions.html", versions=read_drafts.versions(g.session), actions=VERSION_ACTIONS)


@blueprint.post("/versions/<int:version_id>/rollback")
def rollback(version_id):
    """Make the published data what it was at a version, as a new version (admins; editors within their areas)."""
    g.session.close()
    try:
        version = drafts.rollback_to(write_sessions(), current_app.config, version_id, current_user.user,
                                     client=client_of_request())
    except drafts.NotFound:
        abort(404, gettext("There is no version %(id)s.", id=version_id))
    except drafts.DraftError as exc:
        return render_template("admin/versions.html", versions=read_drafts.versions(g.session),
                               actions=VERSION_ACTIONS, error=refusal(exc)), exc.status
    after_publish(version)
    flash(gettext("The published data are back as they were at version %(to)s (new version %(id)s).",
                  to=version_id, id=version.id), "success")
    return auth.back_here("admin.versions")
