"""Who is signed in to /admin, and the protections around it: the secret key and the session cookie's flags
(HttpOnly, SameSite=Lax, Secure when MAPSERVICE_HTTPS says the site is served over HTTPS), Flask-Login's
session, Flask-WTF's CSRF tokens on every form (the API, public or with Bearer tokens, takes no cookie and stays
exempt), the client address behind the trusted proxies, and the upload limit (a larger body is refused before
it is read).

The accounts themselves (passwords, throttling, scope) are ``store/accounts.py``'s; this module only holds the
signed-in user's id in the session cookie."""
import hashlib
import logging
import os
import secrets
from contextlib import nullcontext
from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for
from flask_babel import force_locale, gettext
from flask_login import LoginManager, UserMixin, current_user
from flask_login.utils import _user_context_processor
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from mapservice.config import PROJECT_ROOT
from mapservice.store import accounts
from mapservice.web import admin_api, errors, i18n, maps
from mapservice.web.api import close_session
from mapservice.web.admin_forms import ActionForm
from mapservice.web.i18n import current_language

logger = logging.getLogger(__name__)

SECRET_KEY_FILE = PROJECT_ROOT / "var" / "secret-key"
MULTIPART_ALLOWANCE = 64 * 1024  # the form's other fields and the multipart framing around the file
csrf = CSRFProtect()
login_manager = LoginManager()
# the pages of /admin without a session: signing in, and the manual (it holds no data and no action, and says how
# to sign in)
OPEN_VIEWS = {"admin.login", "admin.manual"}


class Publisher(UserMixin):
    """The signed-in account (``store.accounts.User``) as Flask-Login sees it. Its id carries a fingerprint of
    the password hash, so a changed password ends the sessions opened with the old one."""

    def __init__(self, user):
        self.user = user

    def get_id(self):
        return session_id(self.user)

    @property
    def is_active(self):
        return not self.user.disabled

    name = property(lambda self: self.user.name)
    role = property(lambda self: self.user.role)
    areas = property(lambda self: list(self.user.areas or []))
    is_admin = property(lambda self: self.user.is_admin)


def session_id(user):
    """``<user id>.<16 hex digits of the password hash's SHA-256>``: what the session cookie holds."""
    return f"{user.id}.{hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]}"


@login_manager.user_loader
def load_publisher(value):
    """The enabled account a session cookie names, if its password is still the one it signed in with."""
    user_id, _, _fingerprint = value.partition(".")
    session = g.get("session")
    if session is None or not user_id.isdigit():
        return None
    user = session.get(accounts.User, int(user_id))
    if user is None or user.disabled or session_id(user) != value:
        return None
    return Publisher(user)


@login_manager.unauthorized_handler
def to_login():
    """An /admin page without a session: to the login page, which comes back here afterwards."""
    return redirect(url_for("admin.login", next=request.full_path.rstrip("?"), lang=request.args.get("lang")))


def require_login():
    """before_request of /admin: every page but the login page needs a session (else: to the login page)."""
    if request.endpoint not in OPEN_VIEWS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    g.action_form = ActionForm()


def login_rules():
    """The login throttle's numbers, as the login page and the manual state them."""
    return {"throttle": {"failures": accounts.MAX_FAILURES, "minutes": accounts.LOCKOUT_SECONDS // 60}}


def never_cache(response):
    """What an /admin page shows is one person's: no browser or proxy keeps it."""
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


def open_write_session():
    """before_request of /admin: a session on the primary database (``admin_api.write_sessions``: never the read
    replica, no statement timeout) and the data snapshot."""
    g.session = admin_api.write_sessions()()
    g.snapshot = current_app.extensions["data_state"].current(g.session)


def guard(blueprint):
    """An /admin blueprint: its session on the primary database, the language, a signed-in user required, never
    cached."""
    blueprint.before_request(open_write_session)
    blueprint.before_request(maps.check_request_language)
    blueprint.teardown_request(close_session)
    blueprint.after_request(maps.vary_on_language)
    blueprint.record_once(lambda setup: i18n.init_app(setup.app))
    blueprint.before_request(require_login)
    blueprint.context_processor(login_rules)
    blueprint.context_processor(_user_context_processor)
    blueprint.after_request(never_cache)


def back_here(endpoint, **values):
    """A redirect after a POST to an /admin page in the request's language (303: the browser GETs it)."""
    return redirect(url_for(endpoint, lang=current_language(), **values), 303)


def admin_only(view):
    """A view only admins may use (an editor gets 403 naming the role it needs)."""
    @wraps(view)
    def checked(*args, **kwargs):
        if not current_user.is_admin:
            abort(403, gettext("Only an administrator may do this; your role is editor."))
        return view(*args, **kwargs)
    return checked


def secret_key(config):
    """MAPSERVICE_SECRET_KEY, else a random key kept in var/secret-key (made once, readable by its owner only),
    so that every worker process signs cookies with the same key."""
    if config["MAPSERVICE_SECRET_KEY"]:
        return config["MAPSERVICE_SECRET_KEY"]
    if not SECRET_KEY_FILE.exists():
        SECRET_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        written = SECRET_KEY_FILE.with_name(f"secret-key.{os.getpid()}")
        descriptor = os.open(written, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(32))
        try:  # whole or not at all: a worker never reads half a key
            os.link(written, SECRET_KEY_FILE)
            logger.info("made a new secret key in %s", SECRET_KEY_FILE)
        except FileExistsError:  # another worker made it first
            pass
        finally:
            written.unlink()
    return SECRET_KEY_FILE.read_text(encoding="ascii").strip()


def check_csrf():
    """before_request: every form posted to the site carries its CSRF token (400 without it), except the API's
    requests, which authenticate with a Bearer token and never with the session cookie."""
    if request.routing_exception is None and not request.path.startswith("/api/"):  # 404 and 405 stay what they are
        csrf.protect()


def init_app(app):
    """Secret key, cookie flags, Flask-Login, CSRF, proxies and the upload limit for ``app``."""
    config = app.config
    app.secret_key = secret_key(config)
    config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                  SESSION_COOKIE_SECURE=bool(config["MAPSERVICE_HTTPS"]), SESSION_COOKIE_NAME="mapservice_session",
                  REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax",
                  REMEMBER_COOKIE_SECURE=bool(config["MAPSERVICE_HTTPS"]),
                  WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_SSL_STRICT=True,
                  MAX_CONTENT_LENGTH=config["MAPSERVICE_MAX_IMPORT_BYTES"] + MULTIPART_ALLOWANCE)
    if config["MAPSERVICE_TRUSTED_PROXIES"]:
        hops = config["MAPSERVICE_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    csrf.init_app(app)
    login_manager.init_app(app)
    # Public answers never read the session, so they carry no Vary: Cookie and any cache may share them: there is
    # no "remember me" (Flask-Login's remember-cookie hook reads the session after every request), and the user is
    # given to templates by the /admin blueprints only (``guard``), not to every page
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)
    app.template_context_processors[None].remove(_user_context_processor)
    login_manager.session_protection = "basic"
    app.before_request(check_csrf)

    @app.errorhandler(CSRFError)
    def refuse_without_token(exc):
        logger.info("400 on %s: %s", request.path, exc.description)
        return errors.error_response(400, gettext(
            "This form has expired or did not come from this site (its security token is missing or wrong). "
            "Open the page again and send the form once more."))

    @app.errorhandler(RequestEntityTooLarge)
    def refuse_too_large(exc):
        """413 before the body is read; a view's own reason is kept, else the limit in words (English in JSON,
        like every API error)."""
        if exc.description != RequestEntityTooLarge.description:
            return errors.error_response(413, exc.description)
        with force_locale("en") if errors.wants_json() else nullcontext():
            message = gettext("The file is larger than this service accepts (%(size)s); nothing was read. Split the "
                              "file, or save it without unused rows and columns.",
                              size=size_text(current_app.config["MAPSERVICE_MAX_IMPORT_BYTES"]))
        return errors.error_response(413, message)


def size_text(limit):
    """A size limit in words: whole MiB from one MiB on, else bytes."""
    if limit >= 2**20:
        return gettext("%(number)s MiB", number=f"{limit / 2**20:,.0f}")
    return gettext("%(number)s bytes", number=f"{limit:,}")
