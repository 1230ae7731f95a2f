"""/admin: publishing over the web for ODC staff and district officers. Sign in and out (throttled), drafts and
the upload form, a draft's report, preview map, differences and Publish / Discard, the correction of one project,
the data versions and rollback, the audit log (admins), the manual.

Every page but the login page is behind a session; every action checks the role and the scope on the server
(``store.accounts.can_touch`` through ``ingest.drafts``). Answers are never cached (``no-store``)."""
import logging
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_user, logout_user

from mapservice.store import accounts
from mapservice.web import auth, maps
from mapservice.web.admin_forms import ActionForm, LoginForm, UploadForm, UserForm
from mapservice.web.i18n import current_language

logger = logging.getLogger(__name__)

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
maps.register_page_hooks(blueprint)
blueprint.record_once(lambda setup: auth.init_app(setup.app))
OPEN_VIEWS = {"admin.login"}  # the only page without a session
MANUAL_STEPS = [("sign-in", lazy_gettext("Sign in")), ("upload", lazy_gettext("Upload a file as a draft")),
                ("report", lazy_gettext("Read the report")), ("preview", lazy_gettext("Check the map")),
                ("differences", lazy_gettext("Check what changes")), ("publish", lazy_gettext("Publish or discard")),
                ("public", lazy_gettext("See it on the public site")),
                ("correct", lazy_gettext("Correct a published project")),
                ("history", lazy_gettext("History and going back to a version")), ("sign-out", lazy_gettext("Sign out"))]


@blueprint.before_request
def require_login():
    """Every /admin page but the login page: to the login page without a session."""
    if request.endpoint not in OPEN_VIEWS and not current_user.is_authenticated:
        return auth.login_manager.unauthorized()
    g.action_form = ActionForm()


@blueprint.context_processor
def throttle_rule():
    """The login throttle's numbers, as the login page and the manual state them."""
    return {"throttle": {"failures": accounts.MAX_FAILURES, "minutes": accounts.LOCKOUT_SECONDS // 60}}


@blueprint.after_request
def never_cache(response):
    """What an /admin page shows is one person's: no browser or proxy keeps it."""
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


def back_here(endpoint, **values):
    """A redirect after a POST to an /admin page in the request's language (303: the browser GETs it)."""
    return redirect(url_for(endpoint, lang=current_language(), **values), 303)


def safe_next(target):
    """The page to return to after signing in: only a path of /admin on this site."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or parts.path.startswith("/admin/login"):
        return None
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; 401 for a wrong name or password, 429 with Retry-After once the account or client is throttled."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("admin/login.html", form=form, next=request.args.get("next"))
    try:
        user = accounts.authenticate(g.session, form.name.data, form.password.data, auth.client_address())
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
    accounts.audit(g.session, current_user.name, auth.client_address(), "logout")
    g.session.commit()
    logout_user()
    session.clear()
    return back_here("admin.login")


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


@blueprint.get("/audit")
@auth.admin_only
def audit_log():
    """Logins and actions, newest first (admins only)."""
    return render_template("admin/audit.html", events=accounts.audit_events(g.session))


@blueprint.get("/users")
@auth.admin_only
def users():
    """The accounts, and the form that adds one (admins only)."""
    return render_template("admin/users.html", accounts=accounts.list_users(g.session), form=UserForm())


@blueprint.post("/users")
@auth.admin_only
def add_user():
    """Add an account; its generated password is shown once."""
    form = UserForm()
    if not form.validate_on_submit():
        return render_template("admin/users.html", accounts=accounts.list_users(g.session), form=form), 400
    areas = form.areas.data.replace(",", " ").split()
    try:
        user, password = accounts.create_user(g.session, form.name.data, form.role.data, areas)
    except accounts.AccountError as exc:
        g.session.rollback()
        form.name.errors.append(str(exc))
        return render_template("admin/users.html", accounts=accounts.list_users(g.session), form=form), 400
    accounts.audit(g.session, current_user.name, auth.client_address(), "user_added",
                   {"name": user.name, "role": user.role, "areas": user.areas})
    g.session.commit()
    return render_template("admin/users.html", accounts=accounts.list_users(g.session), form=UserForm(formdata=None),
                           created=user, password=password)


@blueprint.post("/users/<name>/disable")
@auth.admin_only
def disable_user(name):
    """Disable an account: it can no longer sign in, and its API tokens stop working."""
    if not g.action_form.validate_on_submit():
        abort(400)
    try:
        accounts.disable_user(g.session, name)
    except accounts.AccountError as exc:
        abort(404, str(exc))
    accounts.audit(g.session, current_user.name, auth.client_address(), "user_disabled", {"name": name})
    g.session.commit()
    flash(gettext("The account %(name)s is disabled.", name=name), "success")
    return back_here("admin.users")


@blueprint.get("")
def index():
    """The drafts (an editor's own; every one for an admin) and the upload form."""
    return render_template("admin/index.html", drafts=[], form=UploadForm())


@blueprint.get("/versions")
def versions():
    """Every version of the published data, CLI imports included, with rollback for admins."""
    return render_template("admin/versions.html", versions=[])
