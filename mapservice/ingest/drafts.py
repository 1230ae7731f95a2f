"""Publishing over the web: a file (or one corrected project) becomes a *draft*, checked exactly as the CLI
import checks (the same readers, ``validate_records`` and ``join_projects_to_communes``), kept with its report
until someone publishes or discards it; and rolling the published data back to an earlier version.

Every function checks the user's role and scope itself (``store/accounts.can_touch``), whatever the caller:
an editor touches only the projects of their areas, only their own drafts; rolling back is for admins, or an editor
when every project it changes lies in their areas. Publishing and rolling back run in one transaction under the
import lock: a new ImportBatch (publish), the projects written, the statistics rebuilt, the data version bumped,
the version recorded (store/history.py) - or nothing. A draft checked on another data version than the
published one is stale (``DraftStale``, HTTP 409): it must be uploaded again."""
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from mapservice.ingest import pipelines, readers
from mapservice.ingest.currency import parse_rates
from mapservice.ingest.join import join_projects_to_communes
from mapservice.ingest.reasons import structured
from mapservice.ingest.records import CANONICAL_COLUMNS, SourceError, validate_records
from mapservice.store import accounts, budget_tables, history, tables
from mapservice.store.locks import import_lock
from mapservice.store.models import Draft, ImportBatch, Project, VersionRecord
from mapservice.store.statistics import rebuild_area_statistics

MODES = history.MODES
EDITABLE = [c for c in CANONICAL_COLUMNS if c != "project_id"]


class DraftError(Exception):
    """A draft action refused; ``status`` is the HTTP status the web answers with, ``detail`` a JSON-able dict."""

    status = 400

    def __init__(self, message, **detail):
        self.detail = detail
        super().__init__(message)


class NotFound(DraftError):
    status = 404


class NotAllowed(DraftError):
    """Out of role or out of scope; ``detail["areas"]`` the codes outside the user's areas, ``detail["projects"]``
    {area: [project ids]}."""

    status = 403


class DraftStale(DraftError):
    status = 409


class DraftClosed(DraftError):
    status = 409


class DraftInvalid(DraftError):
    status = 400


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


def _json_row(row):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def project_area(row):
    """The most precise area code of a project row (commune, else district, else province; None: no area)."""
    return row.get("commune_code") or row.get("district_code") or row.get("province_code")


def check_scope(user, rows_by_area):
    """Refuse (NotAllowed) when ``user`` may not touch some of the projects; ``rows_by_area``: {area or None:
    project ids}. The message names the areas and their projects."""
    outside = accounts.can_touch(user, list(rows_by_area))
    if not outside:
        return
    projects = {code: sorted(rows_by_area[code or None]) for code in outside}
    listed = "; ".join(f"{code or 'no area'}: {', '.join(ids[:10])}{' ...' if len(ids) > 10 else ''}"
                       for code, ids in projects.items())
    raise NotAllowed(f"{user.name} may publish projects of {', '.join(user.areas) or 'no area'} only; outside them: "
                     f"{listed}", areas=outside, projects=projects)


def _areas_of(rows, stored):
    """{area: project ids} of draft rows and of the stored rows they would replace or remove."""
    found = {}
    for row in list(rows) + list(stored):
        found.setdefault(project_area(row), set()).add(row["project_id"])
    return found


def check_records(session, config, raw):
    """Validate and join raw canonical records exactly as the import does: (project table rows as JSON values,
    structured reasons of the rejected rows, join status counts)."""
    book = pipelines.load_code_book(session, config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"],
                                    parse_rates(config["MAPSERVICE_EXCHANGE_RATES"]))
    if not book.communes:
        raise SourceError("no communes are stored; run `mapservice import-boundaries` first", "no_boundaries")
    valid, rejected = validate_records(raw, book)
    joined = join_projects_to_communes(valid, tables.load_areas(session, "commune"))
    is_sample = raw.attrs.get("sample_ids", False)
    sample = joined["project_id"].isin(is_sample) if isinstance(is_sample, set) else \
        pd.Series(bool(is_sample), index=joined.index)
    rows = pipelines.project_rows(joined, None, sample, config["MAPSERVICE_PID_URL_TEMPLATE"])
    rows = [{c: v for c, v in _json_row(row).items() if c in history.ROW_COLUMNS} for row in rows]
    return rows, [structured(item) for item in rejected], joined["join_status"].value_counts().to_dict()


def _store_draft(session, user, kind, source_file, source_format, sha256, raw_columns, rows, rejected, join_status,
                 mode, rows_read, client, ignored_columns=()):
    gone = history.others_of_district_years(session, rows, mode)
    stored = history.stored_rows(session, [r["project_id"] for r in rows] + gone)
    check_scope(user, _areas_of(rows, stored.values()))
    report = {"rows_read": rows_read, "rows_valid": len(rows), "rows_rejected": len({r["line"] for r in rejected}),
              "rejected": rejected, "columns": raw_columns, "join_status": join_status, "mode": mode,
              "ignored_columns": list(ignored_columns),
              "stored_districts": sorted({r["district_code"] for r in stored.values() if r.get("district_code")})}
    draft = Draft(owner=user.name, created_at=utcnow(), kind=kind, source_file=source_file,
                  source_format=source_format, sha256=sha256, base_version=tables.data_version(session),
                  status="draft", report=report, rows=rows)
    session.add(draft)
    session.flush()
    accounts.audit(session, user.name, client, "draft_created",
                   {"draft": draft.id, "file": source_file, "rows": len(rows), "rejected": report["rows_rejected"]})
    return draft.id


def _refused(session_factory, user, client, action, exc, detail):
    """Audit a refusal in its own transaction (the refused one is rolled back)."""
    with session_factory.begin() as session:
        accounts.audit(session, user.name, client, action, {**detail, "refused": str(exc)[:500]})


def create_draft(session_factory, config, path, user, original_name, source_format=None, context=None, mode="merge",
                 client=None):
    """Read a file (any layout the importer reads), check it, and keep it as a draft of ``user``; returns its id.
    An editor's draft touching projects outside their areas is refused (NotAllowed, naming projects and areas)."""
    if mode not in MODES:
        raise DraftError(f'mode was "{mode}"; expected one of {", ".join(MODES)}')
    path = Path(path)
    # the format by the file's own name (a CSV's header tells a PID report); the saved copy when it keeps the suffix
    named = path if path.suffix.lower() == Path(original_name).suffix.lower() else Path(original_name)
    source_format = source_format or readers.detect_format(named)
    try:
        raw, source_format = pipelines.read_project_file(session_factory, config, path, source_format, context)
    except SourceError as exc:  # named by the file the user sent, not the server's copy of it
        raise SourceError(str(exc).replace(str(path), original_name), exc.code, **exc.params) from None
    columns = [c for c in CANONICAL_COLUMNS if c in raw.columns and raw[c].notna().any()]
    try:
        with session_factory.begin() as session:
            rows, rejected, join_status = check_records(session, config, raw)
            return _store_draft(session, user, "upload", original_name, source_format, pipelines.file_sha256(path),
                                columns, rows, rejected, join_status, mode, len(raw), client,
                                raw.attrs.get("ignored_columns", []))
    except NotAllowed as exc:
        _refused(session_factory, user, client, "draft_refused", exc, {"file": original_name})
        raise


def raw_of_stored(row):
    """A stored project as raw canonical columns (what a template row holding it would say): amounts in their
    original currency, the stated code, the point only when it was given (not placed in the commune by us)."""
    raw = {c: row.get(c) for c in CANONICAL_COLUMNS}
    raw["commune_code"] = row.get("stated_code")
    if row.get("location_precision") != "exact":
        raw["lon"] = raw["lat"] = None
    if row.get("original_currency"):
        raw["currency"] = row["original_currency"]
        raw.update(json.loads(row.get("original_amounts") or "{}"))
    if row.get("eia_required") is not None:
        raw["eia_required"] = "yes" if row["eia_required"] else "no"
    return {k: (None if v is None else str(v)) for k, v in raw.items()}


def correct_project(session_factory, config, user, project_id, fields, client=None):
    """A one-project draft: the stored project with ``fields`` ({canonical column: text}) changed, checked like an
    import; returns the draft id. Its project must be in the user's areas before and after."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise DraftError(f"cannot correct {', '.join(unknown)}; the fields are {', '.join(EDITABLE)}",
                         fields=unknown)
    try:
        with session_factory.begin() as session:
            stored = history.stored_rows(session, [project_id]).get(project_id)
            if stored is None:
                raise NotFound(f'there is no project "{project_id}"')
            check_scope(user, _areas_of([], [stored]))
            raw = {**raw_of_stored(stored), **{k: (None if v is None or str(v).strip() == "" else str(v))
                                               for k, v in fields.items()}}
            frame = pd.DataFrame([{"line": 1, **raw}])
            rows, rejected, join_status = check_records(session, config, frame)
            changed = sorted(k for k in fields if raw_of_stored(stored).get(k) != raw.get(k))
            digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
            draft_id = _store_draft(session, user, "correction", f"correction of {project_id}", "form", digest,
                                    changed, rows, rejected, join_status, "merge", 1, client)
            return draft_id
    except NotAllowed as exc:
        _refused(session_factory, user, client, "correction_refused", exc, {"project": project_id})
        raise


def get_draft(session, draft_id, user):
    """A draft the user may see: their own, or any for an admin."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"there is no draft {draft_id}")
    if not user.is_admin and draft.owner != user.name:
        raise NotAllowed(f"draft {draft_id} belongs to {draft.owner}", areas=[])
    return draft


def list_drafts(session, user, status="draft"):
    query = sa.select(Draft).order_by(Draft.id.desc())
    if status:
        query = query.where(Draft.status == status)
    if not user.is_admin:
        query = query.where(Draft.owner == user.name)
    return list(session.scalars(query))


def _open_draft(session, draft_id, user):
    draft = get_draft(session, draft_id, user)
    if draft.status != "draft":
        raise DraftClosed(f"draft {draft_id} is already {draft.status}", status_now=draft.status)
    return draft


def _lock(session_factory, config):
    """The import lock: a publish or rollback never runs beside an import (or another publish)."""
    return import_lock(session_factory.kw["bind"], config["MAPSERVICE_IMPORT_WAIT_SECONDS"])


def publish_draft(session_factory, config, draft_id, user, client=None, skip_invalid=False):
    """Apply a draft in one transaction; returns the new VersionRecord. Refused: a draft with rejected rows (unless
    ``skip_invalid``), a stale draft (the published data changed since it was checked: 409), a closed one (409),
    one out of the user's scope (403)."""
    try:
        with _lock(session_factory, config), session_factory.begin() as session:
            draft = _open_draft(session, draft_id, user)
            rows, report = draft.rows, draft.report
            _check_fresh(session, draft)
            if report["rows_rejected"] and not skip_invalid:
                raise DraftInvalid(f"draft {draft_id} has {report['rows_rejected']} invalid row(s); correct the file "
                                   "and upload it again, or publish the valid rows only", rejected=report["rows_rejected"])
            gone = history.others_of_district_years(session, rows, report.get("mode", "merge"))
            tracker = history.Tracker(session, [r["project_id"] for r in rows] + gone)
            check_scope(user, _areas_of(rows, tracker.before.values()))
            batch = ImportBatch(source_file=draft.source_file, source_format=draft.source_format, sha256=draft.sha256,
                                imported_at=utcnow(), rows_read=report["rows_read"], rows_loaded=len(rows),
                                rows_rejected=report["rows_rejected"],
                                rejected_rows=[{k: r[k] for k in ("line", "project_id", "column", "reason") if k in r}
                                               for r in report["rejected"]],
                                is_sample=any(r.get("is_sample") for r in rows))
            session.add(batch)
            session.flush()
            if gone:
                session.execute(sa.delete(Project).where(Project.project_id.in_(gone)))
            tables.upsert_projects(session, [{**history.table_row(r), "batch_id": batch.id} for r in rows])
            rebuild_area_statistics(session)
            version = tracker.record("publish" if draft.kind == "upload" else "correction", user.name,
                                     draft.source_file, draft.sha256, tables.bump_data_version(session),
                                     {"rows_read": report["rows_read"], "rows_loaded": len(rows)},
                                     {"draft_id": draft.id, "batch_id": batch.id})
            draft.status, draft.decided_at, draft.decided_by, draft.version_id = "published", utcnow(), user.name, \
                version.id
            accounts.audit(session, user.name, client, "publish", {"draft": draft.id, "version": version.id,
                                                                  **version.counts})
            return version
    except (NotAllowed, DraftStale) as exc:
        _refused(session_factory, user, client, "publish_refused", exc, {"draft": draft_id})
        raise


def _check_fresh(session, draft):
    """Refuse (DraftStale, 409) a draft that a version published since it was checked has overtaken: one that
    changed its projects, or projects of its districts (also those of the stored projects it replaces), or the
    boundaries. Another district's publication leaves it as it was checked."""
    rows = draft.rows or []
    districts = {r.get("district_code") for r in rows} | set(draft.report.get("stored_districts", []))
    conflict = history.conflicting_version(session, draft.base_version, [r["project_id"] for r in rows],
                                           {d for d in districts if d})
    if conflict:
        version, now = conflict
        raise DraftStale(f"version {version} changed the published data of this draft's projects or districts since "
                         f"draft {draft.id} was checked (data version {draft.base_version}, now {now}); upload the "
                         "file again", checked_on=draft.base_version, published=now, version=version)


def discard_draft(session_factory, draft_id, user, client=None):
    """Drop a draft (kept as ``discarded`` in the list, its rows emptied)."""
    with session_factory.begin() as session:
        draft = _open_draft(session, draft_id, user)
        draft.status, draft.decided_at, draft.decided_by, draft.rows = "discarded", utcnow(), user.name, []
        accounts.audit(session, user.name, client, "discard", {"draft": draft.id})


def rollback_to(session_factory, config, version_id, user, client=None):
    """Make the published projects and budgets what they were at ``version_id``, as a new version (one
    transaction); returns the new VersionRecord. A rollback does not cross a boundary import (``DraftClosed``, 409):
    the projects would get the codes of boundaries that are no longer stored."""
    try:
        with _lock(session_factory, config), session_factory.begin() as session:
            if session.get(VersionRecord, version_id) is None:
                raise NotFound(f"there is no version {version_id}")
            crossed = history.boundary_versions_after(session, version_id)
            if crossed:
                raise DraftClosed(f"version {crossed[-1]} imported the boundaries again: the published data can go "
                                  f"back to version {crossed[-1]} or later only", boundaries=crossed[-1])
            state = history.state_at(session, version_id)
            tracker = history.Tracker(session, state)
            budgets = history.budget_state_at(session, version_id)
            budgets_now = budget_tables.stored_lines(session, budgets)
            if not user.is_admin:
                areas = _areas_of([r for r in state.values() if r], tracker.before.values())
                for code, year in budgets:
                    areas.setdefault(code, set()).add(f"budget {code} {year}")
                check_scope(user, areas)
            changed_budgets = {k: v for k, v in budgets.items() if not budget_tables.same_lines(budgets_now[k], v)}
            if all(tracker.before.get(k) == v for k, v in state.items()) and not changed_budgets:
                raise DraftClosed(f"the published data are already as they were at version {version_id}")
            history.write_rows(session, state)
            budget_tables.write_area_years(session, changed_budgets)
            rebuild_area_statistics(session)
            version = tracker.record("rollback", user.name, None, None, tables.bump_data_version(session),
                                     detail={"to_version": version_id})
            version.counts = {**version.counts, "budget_area_years": history.record_budget_changes(
                session, version, {k: budgets_now[k] for k in changed_budgets}, changed_budgets)}
            accounts.audit(session, user.name, client, "rollback", {"to_version": version_id, "version": version.id,
                                                                   **version.counts})
            return version
    except NotAllowed as exc:
        _refused(session_factory, user, client, "rollback_refused", exc, {"to_version": version_id})
        raise
