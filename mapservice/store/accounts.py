"""Accounts of the people who publish: users (admin | editor scoped to province or district codes), API tokens
(stored as SHA-256 of the token, shown once), login attempts (throttling) and the audit log.

Passwords are hashed with Argon2id (argon2-cffi). Login throttling: ``MAX_FAILURES`` (5) failed logins of one
account, or from one client, within ``WINDOW_SECONDS`` (60) lock that account (or client) out for
``LOCKOUT_SECONDS`` (300, five minutes) counted from the last of those failures; the next attempt is refused
with ``LoginThrottled(retry_after)`` without looking at the password. A successful login ends an account's run of
failures. Every function works inside the caller's session (the caller commits)."""
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Mapped, mapped_column

from mapservice.store.models import AdminArea, Base

ROLES = ("admin", "editor")
MAX_FAILURES = 5
WINDOW_SECONDS = 60
LOCKOUT_SECONDS = 300
MIN_PASSWORD_LENGTH = 10
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
SCOPE_LEVELS = {2: "province", 4: "district"}
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))  # verified against for unknown names (same time as a real one)


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


class User(Base):
    """Someone who may log in: ``admin`` (everything) or ``editor`` (the projects of ``areas``, province or district
    codes)."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[str] = mapped_column(sa.String(8))
    areas: Mapped[list] = mapped_column(sa.JSON, default=list)
    password_hash: Mapped[str] = mapped_column(sa.Text)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)

    @property
    def is_admin(self):
        return self.role == "admin"

    def as_dict(self):
        return {"name": self.name, "role": self.role, "areas": list(self.areas or []), "disabled": self.disabled,
                "created_at": self.created_at.isoformat(timespec="seconds") + "Z"}


class ApiToken(Base):
    """A token for ``Authorization: Bearer``; only its SHA-256 is kept."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime)


class LoginAttempt(Base):
    """One login attempt (the throttle counts the failed ones)."""

    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime, index=True)
    user_name: Mapped[str] = mapped_column(sa.String(64), index=True)
    client: Mapped[str] = mapped_column(sa.String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(sa.Boolean)


class AuditEvent(Base):
    """One login or action, for the admins' audit log."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime, index=True)
    user_name: Mapped[str] = mapped_column(sa.String(64))
    client: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class AccountError(ValueError):
    """A user that cannot be created or changed as asked; the message says why (English, for the CLI), ``code``
    and ``params`` let a page say it in its language, ``field`` is the form field at fault."""

    def __init__(self, message, code, field="name", **params):
        self.code, self.field, self.params = code, field, params
        super().__init__(message)


class LoginRefused(Exception):
    """Wrong name or password (one reason for both: ``bad_credentials``), or a disabled account (``disabled``)."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__("this account is disabled" if reason == "disabled" else "wrong name or password")


class LoginThrottled(Exception):
    """Too many failed logins of this account or from this client; ``retry_after`` in whole seconds."""

    def __init__(self, retry_after):
        self.retry_after = retry_after
        minutes = max(1, round(retry_after / 60))
        super().__init__(f"too many failed logins: try again in {minutes} minute(s)")


def check_areas(session, role, areas):
    """The normalised area codes of a new user: editors need at least one stored province or district code."""
    codes = sorted({str(code).strip() for code in areas or [] if str(code).strip()})
    if role == "admin":
        return []
    if not codes:
        raise AccountError("an editor needs at least one area (--area, a province or district code)", "no_area",
                           "areas")
    wrong = [code for code in codes if not code.isdigit() or len(code) not in SCOPE_LEVELS]
    if wrong:
        raise AccountError(f"area {', '.join(wrong)} is not a province (2 digits) or district (4 digits) code",
                           "area_not_a_code", "areas", areas=", ".join(wrong))
    stored = set(session.scalars(sa.select(AdminArea.code).where(AdminArea.code.in_(codes))))
    missing = [code for code in codes if code not in stored]
    if missing:
        raise AccountError(f"area {', '.join(missing)} is not a stored province or district", "area_not_stored",
                           "areas", areas=", ".join(missing))
    return codes


def create_user(session, name, role, areas, password=None):
    """Add a user; returns (user, the generated password or None when ``password`` was given)."""
    name = (name or "").strip()
    if not NAME_PATTERN.fullmatch(name):
        raise AccountError(f'user name "{name}" must be 2 to 64 letters, digits or . _ @ -', "bad_name", name=name)
    if role not in ROLES:
        raise AccountError(f'role "{role}" is not one of {", ".join(ROLES)}', "bad_role", "role", role=role)
    if session.scalar(sa.select(User.id).where(User.name == name)) is not None:
        raise AccountError(f'user "{name}" already exists', "name_taken", name=name)
    codes = check_areas(session, role, areas)
    generated = None
    if password is None:
        password = generated = secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", "short_password",
                           "password", length=MIN_PASSWORD_LENGTH)
    user = User(name=name, role=role, areas=codes, password_hash=_hasher.hash(password), disabled=False,
                created_at=utcnow())
    session.add(user)
    session.flush()
    return user, generated


def get_user(session, name):
    user = session.scalar(sa.select(User).where(User.name == name))
    if user is None:
        raise AccountError(f'there is no user "{name}"', "no_such_user", name=name)
    return user


def list_users(session):
    return list(session.scalars(sa.select(User).order_by(User.name)))


def disable_user(session, name):
    """Disable an account: it can no longer log in, and its tokens stop working."""
    user = get_user(session, name)
    user.disabled = True
    session.flush()
    return user


def _failures(session, column, value, since):
    query = sa.select(LoginAttempt.at).where(column == value, LoginAttempt.at >= since,
                                             LoginAttempt.succeeded.is_(False))
    return list(session.scalars(query.order_by(LoginAttempt.at)))


def _retry_after(session, name, client, now):
    """Seconds until this account or client may try again (0: now)."""
    last_success = session.scalar(sa.select(sa.func.max(LoginAttempt.at))
                                  .where(LoginAttempt.user_name == name, LoginAttempt.succeeded.is_(True)))
    since = now - timedelta(seconds=WINDOW_SECONDS + LOCKOUT_SECONDS)
    account_since = max(since, last_success) if last_success else since
    wait = 0
    for column, value, start in ((LoginAttempt.user_name, name, account_since), (LoginAttempt.client, client, since)):
        times = _failures(session, column, value, start)
        # a lockout runs from the MAX_FAILURES-th failure of any WINDOW_SECONDS
        for first, last in zip(times, times[MAX_FAILURES - 1:]):
            if (last - first).total_seconds() <= WINDOW_SECONDS:
                wait = max(wait, (last + timedelta(seconds=LOCKOUT_SECONDS) - now).total_seconds())
    return max(0, int(wait + 0.999))


def authenticate(session, name, password, client):
    """The user ``name`` if ``password`` is theirs; else LoginRefused, or LoginThrottled after too many failures.
    Every attempt is recorded (and audited) in ``session``: the caller commits it also when this raises, or the
    failure would not count."""
    name, client = (name or "").strip()[:64], (client or "?")[:64]
    now = utcnow()
    wait = _retry_after(session, name, client, now)
    if wait:
        audit(session, name, client, "login_throttled", {"retry_after": wait})
        raise LoginThrottled(wait)
    user = session.scalar(sa.select(User).where(User.name == name))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    reason = None if ok and not user.disabled else "disabled" if ok else "bad_credentials"
    session.add(LoginAttempt(at=now, user_name=name, client=client, succeeded=reason is None))
    audit(session, name, client, "login" if reason is None else "login_failed", {"reason": reason} if reason else {})
    if reason:
        raise LoginRefused(reason)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.flush()
    return user


def set_password(session, name, password):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", "short_password",
                           "password", length=MIN_PASSWORD_LENGTH)
    user = get_user(session, name)
    user.password_hash = _hasher.hash(password)
    session.flush()
    return user


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session, user):
    """A new API token for ``user``: returned once, stored only as its SHA-256."""
    token = "msv_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=utcnow()))
    session.flush()
    return token


def user_by_token(session, token):
    """The enabled user holding ``token``, else None (the token's last use is recorded)."""
    if not token:
        return None
    found = session.execute(sa.select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                            .where(ApiToken.token_hash == _token_hash(token))).first()
    if found is None or found.User.disabled:
        return None
    found.ApiToken.last_used_at = utcnow()
    session.flush()
    return found.User


def audit(session, user_name, client, action, detail=None):
    """Record one login or action in the audit log."""
    session.add(AuditEvent(at=utcnow(), user_name=(user_name or "?")[:64], client=(client or "?")[:64],
                           action=action, detail=detail or {}))
    session.flush()


def audit_events(session, limit=500):
    """The latest audit events, newest first."""
    return list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


def can_touch(user, area_codes):
    """The codes of ``area_codes`` (province, district or commune codes; None for a project without an area)
    outside ``user``'s scope, sorted; an admin's scope is everything."""
    if user.is_admin:
        return []
    scope = tuple(user.areas or ())
    outside = {code or "" for code in area_codes if not code or not str(code).startswith(scope)}
    return sorted(outside)
