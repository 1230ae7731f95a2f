"""/admin for administrators: the audit log of logins and actions, and the accounts (list, add with a password
shown once, disable). Editors get 403."""
from flask import Blueprint, abort, flash, g, render_template
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from markupsafe import Markup

from mapservice.store import accounts
from mapservice.web import auth
from mapservice.web.admin_api import client_of_request
from mapservice.web.admin_forms import UserForm

blueprint = Blueprint("admin_accounts", __name__, url_prefix="/admin")
auth.guard(blueprint)
ACTION_NAMES = {
    "login": lazy_gettext("signed in"), "login_failed": lazy_gettext("sign-in refused"),
    "login_throttled": lazy_gettext("sign-in refused: too many tries"), "logout": lazy_gettext("signed out"),
    "user_added": lazy_gettext("account added"), "user_disabled": lazy_gettext("account disabled"),
    "token_issued": lazy_gettext("token for programs issued"),
    "draft_created": lazy_gettext("file uploaded as a draft"),
    "draft_refused": lazy_gettext("upload refused"), "correction_refused": lazy_gettext("correction refused"),
    "publish": lazy_gettext("draft published"), "publish_refused": lazy_gettext("publication refused"),
    "discard": lazy_gettext("draft discarded"), "rollback": lazy_gettext("back to an earlier version"),
    "rollback_refused": lazy_gettext("going back refused"),
}
ACCOUNT_ERRORS = {  # store/accounts.AccountError codes, in the page's language
    "no_area": lazy_gettext("An editor needs at least one area: a province code (2 digits) or a district code "
                            "(4 digits)."),
    "area_not_a_code": lazy_gettext("%(areas)s: not a province code (2 digits) or a district code (4 digits)."),
    "area_not_stored": lazy_gettext("%(areas)s: no such province or district is stored."),
    "bad_name": lazy_gettext("A user name has 2 to 64 letters, digits or . _ @ - (no spaces)."),
    "bad_role": lazy_gettext("Choose a role from the list."),
    "name_taken": lazy_gettext("There is already an account with this name."),
    "short_password": lazy_gettext("A password has at least %(length)s characters."),
    "no_such_user": lazy_gettext("There is no such account."),
}


def account_error(exc):
    """An AccountError in the request's language (its English message when its code has no sentence here)."""
    text = ACCOUNT_ERRORS.get(exc.code)
    return str(text) % exc.params if text is not None else str(exc)


@blueprint.get("/audit")
@auth.admin_only
def audit_log():
    """Logins and actions, newest first (admins only)."""
    return render_template("admin/audit.html", events=accounts.audit_events(g.session), action_names=ACTION_NAMES)


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
        getattr(form, exc.field, form.name).errors.append(account_error(exc))
        return render_template("admin/users.html", accounts=accounts.list_users(g.session), form=form), 400
    accounts.audit(g.session, current_user.name, client_of_request(), "user_added",
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
        abort(404, account_error(exc))
    accounts.audit(g.session, current_user.name, client_of_request(), "user_disabled", {"name": name})
    g.session.commit()
    flash(Markup(gettext("The account %(name)s is disabled.")) % {  # the name as written, never translated
        "name": Markup('<span translate="no">{}</span>').format(name)}, "success")
    return auth.back_here("admin_accounts.users")
