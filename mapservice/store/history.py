"""The version history of the published projects, written inside the caller's transaction: each version (import,
publish, rollback...) with who, when, the file, its checksum and counts, and per project the stored row before and
after (JSON values). Enough to list the changes and to roll back: the state of a project at version V is the row
after its last change at or before V (none: it did not exist).

The ``added`` rows an import records in SQL (a first import's million rows among them) keep no copy of the row:
their ``after`` is NULL, the row by reference - the row as stored at the end of that version, which is the
``before`` of the project's next change (that change's ``after`` when it is ``restored``, which differs only in
its batch: the version's own batch then), or the stored row when there is none. ``rows_after`` resolves it; an
``added`` row's fields are the columns of that row that are not NULL. (Writing the row as JSON was a third of the
database's work in a 1M-row import: docs/performance.md.)

The first version recorded on a database that already holds projects starts with a ``baseline`` version of the rows
stored then, so a rollback can reach back to them."""
from datetime import UTC, date, datetime

import sqlalchemy as sa

from mapservice.store import budget_tables, tables
from mapservice.store.models import DATE_COLUMNS, BudgetChange, Project, ProjectChange, VersionRecord

ROW_COLUMNS = [c for c in tables.PROJECT_COLUMNS if c != "geom"]  # geom is the point of lon/lat
MODES = ("merge", "replace")  # a draft's: add and update (as the CLI); replace: also remove the district-years' others
BOOKKEEPING = {"batch_id"}  # a re-import stores the row again under a new batch: kept for rollback, not a change
CHUNK = 5000


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


def _json_value(value):
    return value.isoformat() if isinstance(value, date) else value


def stored_rows(session, ids=None):
    """{project_id: the stored row as JSON values} of ``ids`` (every project when None)."""
    columns = [getattr(Project, c) for c in ROW_COLUMNS]
    if ids is None:
        chunks = [None]
    else:
        ids = sorted(set(ids))
        chunks = [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]
    found = {}
    for chunk in chunks:
        query = sa.select(*columns)
        if chunk is not None:
            query = query.where(Project.project_id.in_(chunk))
        for row in session.execute(query):
            found[row.project_id] = {c: _json_value(v) for c, v in zip(ROW_COLUMNS, row)}
    return found


def table_row(values):
    """A JSON row back as a project table row (dates, the point)."""
    row = {c: values.get(c) for c in ROW_COLUMNS}
    for column in DATE_COLUMNS:
        if row[column] is not None:
            row[column] = date.fromisoformat(row[column])
    row["geom"] = f"SRID=4326;POINT({row['lon']} {row['lat']})" if row["lon"] is not None else None
    return row


def changed_fields(before, after, ignore=BOOKKEEPING):
    """The columns whose values differ between two JSON rows (either may be None)."""
    before, after = before or {}, after or {}
    return [c for c in ROW_COLUMNS if c not in ignore and before.get(c) != after.get(c)]


def latest_version(session):
    return session.scalar(sa.select(sa.func.max(VersionRecord.id)))


def ensure_baseline(session, data_version):
    """Before the first recorded version: a ``baseline`` version holding every project stored now (if any)."""
    if latest_version(session) is not None or not session.scalar(sa.select(sa.func.count()).select_from(Project)):
        return None
    return record_version(session, "baseline", "system", None, None, {}, stored_rows(session), data_version)


def record_version(session, action, user_name, source_file, sha256, before, after, data_version, counts=None,
                   detail=None):
    """Record a version and the projects it changed (rows of ``before`` and ``after``, {id: row}; a row identical
    in both is no change). Returns the VersionRecord; its counts hold added, changed, removed (and ``restored``:
    rows stored again unchanged but for their batch, whose change keeps only the row after)."""
    version = _new_version(session, action, user_name, source_file, sha256, data_version, detail)
    tally = dict.fromkeys(("added", "changed", "removed", "restored"), 0)
    _record_changes(session, version, sorted(set(before) | set(after)), before, after, tally)
    version.counts = {**tally, **(counts or {})}
    session.flush()
    return version


def _new_version(session, action, user_name, source_file, sha256, data_version, detail):
    if action != "baseline":
        ensure_baseline(session, data_version - 1)
    version = VersionRecord(at=utcnow(), user_name=user_name, action=action, source_file=source_file, sha256=sha256,
                            counts={}, detail=detail or {}, data_version=data_version)
    session.add(version)
    session.flush()
    return version


def _record_changes(session, version, ids, before, after, tally):
    """The ProjectChange rows of ``ids`` (rows looked up in ``before`` and ``after``), counted into ``tally``."""
    rows = []
    for project_id in ids:
        old, new = before.get(project_id), after.get(project_id)
        if old == new:
            continue
        fields = changed_fields(old, new)
        kind = "added" if old is None else "removed" if new is None else "changed" if fields else "restored"
        tally[kind] += 1
        place = new or old
        rows.append({"version_id": version.id, "project_id": project_id, "kind": kind, "fields": fields,
                     "before": None if kind == "restored" else old, "after": new, "province_code": place.get("province_code"),
                     "district_code": place.get("district_code"), "commune_code": place.get("commune_code")})
    for start in range(0, len(rows), CHUNK):
        session.execute(sa.insert(ProjectChange), rows[start:start + CHUNK])


class Tracker:
    """Made before a transaction's writes to the projects ``ids``: reads their rows; ``watch(more_ids)`` reads
    more before they are written (an import, a chunk at a time); ``record(...)`` after the writes records the
    version, reading the rows again a chunk at a time (so what is recorded is what was stored, and only the rows
    that existed before are held in memory).

    An import passes ``record(batch_id=...)``: every project stored under that batch and not among the rows read
    before is recorded as ``added`` in one ``INSERT ... SELECT`` (by reference to the stored
    row: the module's docstring), so a first import reads nothing back into Python; the import need not ``watch`` the ids that are
    new to the table (none, when it was empty). A bulk writer that stages each chunk (PostGIS) may instead ``begin``
    the version before the writes and record each chunk's added rows as it stores them (``added_from_stage``): the
    database's work is then done while the next chunk is read."""

    def __init__(self, session, ids=()):
        ensure_baseline(session, tables.data_version(session))
        self.session, self.ids, self.before = session, set(), {}
        self.version, self.added = None, 0  # begun early (``begin``), and its added rows recorded so far
        self.watch(ids)

    def watch(self, ids):
        new = set(ids) - self.ids
        self.before.update(stored_rows(self.session, new))
        self.ids |= new

    def begin(self, action, user_name, source_file, sha256, detail=None):
        """Record the version now, before the writes (``record`` completes it): a bulk write then records its
        ``added`` rows a chunk at a time (``added_from_stage``) as it stores them. Its data version is the one
        ``tables.bump_data_version`` gives next in this transaction (under the import lock)."""
        self.version = _new_version(self.session, action, user_name, source_file, sha256,
                                    tables.data_version(self.session) + 1, detail)
        return self.version

    def added_from_stage(self, stage, ids):
        """The statement (SQL, parameters) that records, in the begun version, the projects of the staged chunk
        ``stage`` (a PostgreSQL table of project columns, each row as it is stored) whose ids are not among the rows
        read before, as ``added``: the chunk's part of what ``_record_added_batch`` does for a whole batch."""
        known = [pid for pid in ids if pid in self.before]
        self.added += len(ids) - len(known)
        return (f"INSERT INTO project_change ({CHANGE_COLUMNS}) "
                + _added_rows_sql("%s", stage, "project_id <> ALL(%s)"), (self.version.id, known))

    def record(self, action, user_name, source_file, sha256, data_version, counts=None, detail=None, batch_id=None):
        if self.version is None:
            version = _new_version(self.session, action, user_name, source_file, sha256, data_version, detail)
        else:  # begun: the added rows are recorded, the version's time and data version are now's
            version, version.at, version.data_version = self.version, utcnow(), data_version
        tally = dict.fromkeys(("added", "changed", "removed", "restored"), 0)
        ids = sorted(self.ids if batch_id is None else self.before)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            _record_changes(self.session, version, chunk, self.before, stored_rows(self.session, chunk), tally)
        if batch_id is not None:
            tally["added"] += self.added if self.version is not None else _record_added_batch(
                self.session, version, batch_id, self.before)
        version.counts = {**tally, **(counts or {})}
        self.session.flush()
        return version


KNOWN_TABLE = "history_known_ids"
CHANGE_COLUMNS = "version_id, project_id, kind, fields, before, after, province_code, district_code, commune_code"


def _record_added_batch(session, version, batch_id, known):
    """The ``added`` changes of the projects stored under ``batch_id`` whose ids are not in ``known`` (the rows
    read before), in one INSERT ... SELECT, by reference (the module's docstring). Returns how many were recorded."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    skip = ""
    if known:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {KNOWN_TABLE}")
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {KNOWN_TABLE} (project_id VARCHAR(64) PRIMARY KEY)"
                                   + (" ON COMMIT DROP" if postgres else ""))
        ordered = sorted(known)
        for start in range(0, len(ordered), CHUNK):
            connection.exec_driver_sql(f"INSERT INTO {KNOWN_TABLE} (project_id) VALUES ({mark})",
                                       [(pid,) for pid in ordered[start:start + CHUNK]])
        skip = f" AND project_id NOT IN (SELECT project_id FROM {KNOWN_TABLE})"
    result = connection.exec_driver_sql(
        f"INSERT INTO project_change ({CHANGE_COLUMNS}) "
        + _added_rows_sql(mark, "project", f"batch_id = {mark}{skip}"), (version.id, batch_id))
    if known:
        connection.exec_driver_sql(f"DROP TABLE {KNOWN_TABLE}")
    return result.rowcount


def _added_rows_sql(mark, source, condition):
    """SQL of the ``added`` change rows (CHANGE_COLUMNS; the version id its first parameter, ``mark`` the driver's
    placeholder) of the rows of ``source`` (a table of project columns) that meet ``condition`` (SQL, its parameters
    after the version id), in project id order, by reference: no fields, no row after (``rows_after``)."""
    return (f"SELECT {mark}, project_id, 'added', '[]', NULL, NULL, province_code, district_code, commune_code "
            f"FROM {source} WHERE {condition} ORDER BY project_id")


def by_reference(change):
    """Whether a change row (with ``kind`` and ``after``) holds its row after by reference (``rows_after``)."""
    return change.kind == "added" and change.after is None


def rows_after(session, changes):
    """{change id: the row after (JSON values; None: removed)} of ``changes`` (rows with the ProjectChange columns
    id, version_id, project_id, kind and after), those by reference resolved (the module's docstring)."""
    found = {c.id: c.after for c in changes if not by_reference(c)}
    pending = [c for c in changes if by_reference(c)]
    batches = {}
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start:start + CHUNK]
        versions = {c.version_id for c in chunk} - set(batches)
        batches.update(session.execute(sa.select(VersionRecord.id, VersionRecord.detail)
                                       .where(VersionRecord.id.in_(sorted(versions)))).all())
        waiting = {}  # {project id: its changes to resolve, oldest first} (one per version: added, removed, added)
        for change in sorted(chunk, key=lambda c: c.version_id):
            waiting.setdefault(change.project_id, []).append(change)
        query = (sa.select(ProjectChange.project_id, ProjectChange.version_id, ProjectChange.before,
                           ProjectChange.after)
                 .where(ProjectChange.project_id.in_(list(waiting)),
                        ProjectChange.version_id > min(c.version_id for c in chunk))
                 .order_by(ProjectChange.version_id, ProjectChange.id))
        for project_id, version_id, before, after in session.execute(query):
            earlier = waiting[project_id]
            while earlier and earlier[0].version_id < version_id:  # the first change after it: its next
                found[earlier.pop(0).id] = before if before is not None else after
        stored = stored_rows(session, [project_id for project_id, earlier in waiting.items() if earlier])
        for change in chunk:
            row = found.get(change.id) or stored.get(change.project_id)
            batch = (batches[change.version_id] or {}).get("batch_id")
            found[change.id] = row if row is None or batch is None else {**row, "batch_id": batch}
    return found


def state_at(session, version_id):
    """What rolling back to ``version_id`` must write: {project_id: JSON row, or None to delete} for every
    project changed after that version."""
    later = sa.select(ProjectChange.project_id).where(ProjectChange.version_id > version_id).distinct()
    ids = list(session.scalars(later))
    state = dict.fromkeys(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        query = (sa.select(ProjectChange.id, ProjectChange.version_id, ProjectChange.project_id, ProjectChange.kind,
                           ProjectChange.after)
                 .where(ProjectChange.version_id <= version_id, ProjectChange.project_id.in_(chunk))
                 .order_by(ProjectChange.version_id, ProjectChange.id))
        last = {change.project_id: change for change in session.execute(query)}  # the last change wins
        after = rows_after(session, list(last.values()))
        state.update({project_id: after[change.id] for project_id, change in last.items()})
    return state


def record_budget_changes(session, version, before, after):
    """The BudgetChange rows of a version: each area-year of ``before`` / ``after`` ({(code, year): lines}) whose
    lines differ (not only by their batch). Returns how many area-years changed."""
    pairs = sorted(set(before) | set(after))
    rows = [{"version_id": version.id, "area_code": code, "fiscal_year": year, "before": before.get((code, year), []),
             "after": after.get((code, year), [])} for code, year in pairs
            if not budget_tables.same_lines(before.get((code, year), []), after.get((code, year), []))]
    for start in range(0, len(rows), CHUNK):
        session.execute(sa.insert(BudgetChange), rows[start:start + CHUNK])
    return len(rows)


def budget_state_at(session, version_id):
    """What rolling back to ``version_id`` must write to the budgets: {(area code, year): lines} for every area-year
    changed after that version - the lines before its first change after it (what was stored at that version)."""
    query = (sa.select(BudgetChange.area_code, BudgetChange.fiscal_year, BudgetChange.before)
             .where(BudgetChange.version_id > version_id)
             .order_by(BudgetChange.version_id.desc(), BudgetChange.id.desc()))
    return {(code, year): lines for code, year, lines in session.execute(query)}  # the earliest change wins


def conflicting_version(session, data_version, ids, districts):
    """The first version after ``data_version`` that a draft checked then cannot be published over: one that
    imported the boundaries (the draft was joined to others), or changed one of the projects ``ids`` or a project
    in one of ``districts`` (its totals, and what a replace removes, were computed without it). None: no such
    version, the draft is still what it was checked as. Returns (version id, its data version)."""
    later = sa.select(VersionRecord.id, VersionRecord.data_version).where(VersionRecord.data_version > data_version)
    found = list(session.execute(later.where(VersionRecord.action == "boundaries").order_by(VersionRecord.id).limit(1)))
    changes = (sa.select(VersionRecord.id, VersionRecord.data_version)
               .join(ProjectChange, ProjectChange.version_id == VersionRecord.id)
               .where(VersionRecord.data_version > data_version).order_by(VersionRecord.id).limit(1))
    districts = sorted(set(districts))
    if districts:
        found += session.execute(changes.where(ProjectChange.district_code.in_(districts)))
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        found += session.execute(changes.where(ProjectChange.project_id.in_(ids[start:start + CHUNK])))
    return tuple(min(found)) if found else None


def boundary_versions_after(session, version_id):
    """The ids of the boundary imports recorded after ``version_id`` (a rollback does not cross them)."""
    return list(session.scalars(sa.select(VersionRecord.id).where(VersionRecord.id > version_id,
                                                                  VersionRecord.action == "boundaries")
                                .order_by(VersionRecord.id)))


def write_rows(session, state):
    """Make the stored projects what ``state`` says ({id: JSON row or None}): delete, then insert or update."""
    gone = [project_id for project_id, row in state.items() if row is None]
    for start in range(0, len(gone), CHUNK):
        session.execute(sa.delete(Project).where(Project.project_id.in_(gone[start:start + CHUNK])))
    rows = [table_row(row) for row in state.values() if row is not None]
    if rows:
        tables.upsert_projects(session, rows)


def versions(session, limit=None):
    """The recorded versions, newest first."""
    query = sa.select(VersionRecord).order_by(VersionRecord.id.desc())
    return list(session.scalars(query.limit(limit) if limit else query))


def others_of_district_years(session, rows, mode):
    """A draft in replace mode: the stored (non-SAMPLE) projects of its rows' (district, fiscal year) pairs that it
    does not hold, which publishing it removes; none in merge mode."""
    if mode != "replace" or not rows:
        return []
    pairs = sorted({(r["district_code"], r["fiscal_year"]) for r in rows if r.get("district_code")})
    ids = {r["project_id"] for r in rows}
    found = set()
    for district, year in pairs:
        found.update(session.scalars(sa.select(Project.project_id).where(
            Project.district_code == district, Project.fiscal_year == year, Project.is_sample.is_(False))))
    return sorted(found - ids)
