"""Writing the stored tables and reading them back as frames; every write runs inside the caller's transaction."""
import io
import queue
import threading
from datetime import datetime, timezone

import geopandas as gpd
import pyarrow as pa
import pyarrow.csv as arrow_csv
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mapservice.store.models import DATE_COLUMNS, AdminArea, CodeAlias, DataVersion, NameVariant, Project

PROJECT_COLUMNS = [c.name for c in Project.__table__.columns]


def bump_data_version(session):
    """Increase the data version (ETags and caches key on it) and return the new value."""
    row = session.get(DataVersion, 1)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if row is None:
        row = DataVersion(id=1, version=0, updated_at=now)
        session.add(row)
    row.version += 1
    row.updated_at = now
    session.flush()
    return row.version


# a Core statement on the table, built once: every request asks it, and the ORM's get() cost a third of a
# trivial request's CPU (identity map, loader, cache key)
_DATA_VERSION = sa.select(DataVersion.__table__.c.version).where(DataVersion.__table__.c.id == 1)


def data_version(session):
    """The current data version (0 before the first import)."""
    return session.connection().scalar(_DATA_VERSION) or 0


def replace_areas(session, levels, aliases, variants=None):
    """Replace the stored areas of the given levels (``{level: admin_area rows}``), and the code aliases and
    name variants when given."""
    for level, rows in levels.items():
        session.execute(sa.delete(AdminArea).where(AdminArea.level == level))
        session.execute(sa.insert(AdminArea), rows)
    if variants is not None:
        session.execute(sa.delete(NameVariant))
        rows = [{"code": code, "name": name} for code, names in sorted(variants.items()) for name in sorted(names)]
        if rows:
            session.execute(sa.insert(NameVariant), rows)
    if aliases is not None:
        session.execute(sa.delete(CodeAlias))
        rows = [{"code": code, "code_2014": target, "method": "name match in province (gazetteer code history)"}
                for code, target in aliases.items()]
        if rows:
            session.execute(sa.insert(CodeAlias), rows)


def load_areas(session, level, display=False):
    """The stored areas of one level as a GeoDataFrame (code, names, parent, label point, geometry)."""
    column = AdminArea.geom_display if display else AdminArea.geom
    query = (sa.select(AdminArea.code, AdminArea.parent_code, AdminArea.name_km, AdminArea.name_en,
                       AdminArea.label_lon, AdminArea.label_lat, sa.func.ST_AsBinary(column).label("wkb"))
             .where(AdminArea.level == level).order_by(AdminArea.code))
    rows = session.execute(query).all()
    frame = gpd.GeoDataFrame([r._asdict() for r in rows],
                             columns=["code", "parent_code", "name_km", "name_en", "label_lon", "label_lat", "wkb"])
    geometry = gpd.GeoSeries.from_wkb([bytes(w) for w in frame["wkb"]], crs=4326)
    return gpd.GeoDataFrame(frame.drop(columns="wkb"), geometry=geometry.values, crs=4326)


def load_codes(session, level):
    """The stored codes of one level."""
    return set(session.scalars(sa.select(AdminArea.code).where(AdminArea.level == level)))


def load_aliases(session):
    """{code not in the 2014 set: the 2014 code it stands for}."""
    return dict(session.execute(sa.select(CodeAlias.code, CodeAlias.code_2014)).all())


def load_name_variants(session):
    """{area code: other Latin spellings of its name}."""
    variants = {}
    for code, name in session.execute(sa.select(NameVariant.code, NameVariant.name)):
        variants.setdefault(code, set()).add(name)
    return variants


def _upsert_statement(session):
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Project)
    updates = {c: statement.excluded[c] for c in PROJECT_COLUMNS if c != "project_id"}
    return statement.on_conflict_do_update(index_elements=["project_id"], set_=updates)


def upsert_projects(session, rows, chunk_size=5000, progress=None):
    """Insert or update projects by project_id (re-import never duplicates)."""
    statement = _upsert_statement(session)
    for start in range(0, len(rows), chunk_size):
        session.execute(statement, rows[start:start + chunk_size])
        if progress:
            progress(min(start + chunk_size, len(rows)), len(rows))


# the bulk path: every column but the point, which the database makes from lon/lat
BULK_COLUMNS = [c for c in PROJECT_COLUMNS if c != "geom"]
STAGE_TABLE = "project_stage"


class ProjectWriter:
    """Bulk upserts of projects by project_id inside the caller's transaction, a frame at a time.

    PostGIS: each frame is written by a writer thread while the caller prepares the next one (PostgreSQL works on
    the other core meanwhile; psycopg releases the GIL while it waits on the server; one frame waits at most, so
    memory stays flat): ``COPY`` into a temporary staging table (CSV written by Arrow from the frame's columns,
    ``arrow_table``, made in the caller's thread; ``write_row`` of tuples for a frame that does not convert), one
    ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` of the chunk (a plain ``INSERT`` into a table that was empty and
    is held locked), then the statements ``write`` was given (the history's rows of the chunk), on the one
    connection of the transaction. An error of the thread is raised in the caller by the next ``write``, ``wait``
    or ``finish``, so the transaction rolls back; ``close`` (always, in a ``finally``) stops the thread before it
    does. SpatiaLite: ``executemany`` of plain tuples, in the caller's thread. No dict and no ORM object per row; the
    point is made in SQL from lon/lat (``ST_SetSRID(ST_MakePoint)`` / ``MakePoint``). The frames hold BULK_COLUMNS,
    typed (``project_frame`` in ingest/pipelines.py)."""

    def __init__(self, session, batch_id=None):
        self.connection = session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.batch_id, self._triggers = batch_id, []
        if self.postgres:
            self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
            self.connection.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {STAGE_TABLE} (LIKE project INCLUDING DEFAULTS) ON COMMIT DROP")
            # an empty table locked against every other transaction gets new rows only (an import's project ids
            # are unique, validation refuses one given twice): plain INSERTs, a third cheaper than the upsert
            self._new_only = _is_empty(self.connection) and _lock_now(self.connection)
            self._indexes = _drop_secondary_indexes(self.connection) if self._new_only else []
            self._driver = self.connection.connection.driver_connection
            self._queue, self._error = queue.Queue(maxsize=1), None
            self._thread = threading.Thread(target=self._run, name="project-writer", daemon=True)
            self._thread.start()
        else:
            self._insert = _sqlite_upsert_sql()
            if batch_id is not None:
                self._triggers = _drop_row_triggers(self.connection)

    @property
    def stages(self):
        """True when each frame passes through STAGE_TABLE, where ``write``'s statements find it."""
        return self.postgres

    def write(self, frame, then=()):
        """Store ``frame``; then run the statements ``then`` ((SQL, parameters), PostGIS only) on its staged rows."""
        if not self.postgres:
            rows = _tuples(frame, iso_dates=True)
            if rows:
                self.connection.exec_driver_sql(self._insert, rows)
            return
        self._raise()
        table = arrow_table(frame)  # in the caller's thread: the writer's does the database's part only
        self._queue.put((frame if table is None else None, table, list(then)))

    def wait(self):
        """Return once every frame given is stored (the caller may use the connection again), or raise the writer's
        error."""
        if self.postgres:
            self._queue.join()
            self._raise()

    def finish(self):
        if not self.postgres:
            if self._triggers:
                _index_batch(self.connection, self.batch_id, self._triggers)
            return
        self.wait()
        self.close()
        self.connection.exec_driver_sql(f"DROP TABLE {STAGE_TABLE}")
        if self._indexes:
            self.connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            for sql in self._indexes:
                self.connection.exec_driver_sql(sql)

    def close(self):
        """Stop the writer thread (the frame it is storing finished, the waiting one dropped); idempotent."""
        if not self.postgres or not self._thread.is_alive():
            return
        try:
            self._queue.get_nowait()  # a frame not begun is not stored (close after an error)
            self._queue.task_done()
        except queue.Empty:
            pass
        self._queue.put(None)
        self._thread.join()

    def _raise(self):
        if self._error is not None:
            raise self._error

    def _run(self):
        while (item := self._queue.get()) is not None:
            if self._error is None:  # after an error the rest is dropped: the transaction will roll back
                try:
                    self._store(*item)
                except BaseException as exc:  # noqa: BLE001 (raised again in the caller's thread)
                    self._error = exc
            self._queue.task_done()
        self._queue.task_done()

    def _store(self, frame, table, then):
        columns = ", ".join(BULK_COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in PROJECT_COLUMNS if c != "project_id")
        conflict = "" if self._new_only else f" ON CONFLICT (project_id) DO UPDATE SET {updates}"
        with self._driver.cursor() as cursor:
            if table is not None:
                with cursor.copy(f"COPY {STAGE_TABLE} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                    arrow_csv.write_csv(table, _CopyFile(copy), COPY_CSV)
            else:
                with cursor.copy(f"COPY {STAGE_TABLE} ({columns}) FROM STDIN") as copy:
                    for row in _tuples(frame, iso_dates=False):
                        copy.write_row(row)
            cursor.execute(
                f"INSERT INTO project ({columns}, geom) SELECT {columns}, ST_SetSRID(ST_MakePoint(lon, lat), 4326) "
                f"FROM {STAGE_TABLE}{conflict}")
            for sql, parameters in then:
                cursor.execute(sql, parameters)
            cursor.execute(f"TRUNCATE {STAGE_TABLE}")


# a load into an empty project table builds its secondary indexes once at the end, in sorted runs of this much memory
# each, instead of maintaining nine indexes row by row (the primary key stays: the upsert needs it)
INDEX_BUILD_MEMORY = "256MB"


def _is_empty(connection):
    return connection.exec_driver_sql("SELECT NOT EXISTS (SELECT 1 FROM project)").scalar()


def _lock_now(connection):
    """Take the project table's exclusive lock (which dropping its indexes needs) if no other transaction holds
    the table, else say so at once: an artefact build or a request reading the previous version is not waited for
    (nor made to wait); the load then keeps the indexes. A savepoint keeps the transaction usable after a refusal."""
    connection.exec_driver_sql("SAVEPOINT project_lock")
    try:
        connection.exec_driver_sql("LOCK TABLE project IN ACCESS EXCLUSIVE MODE NOWAIT")
    except sa.exc.OperationalError:
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT project_lock")
        return False
    connection.exec_driver_sql("RELEASE SAVEPOINT project_lock")
    return True


def _drop_secondary_indexes(connection):
    """Drop the indexes of the project table but its primary key, inside the transaction (PostgreSQL's DDL is
    transactional: a rollback brings them back); their CREATE statements, to make them again."""
    found = connection.exec_driver_sql(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = 'project'::regclass AND NOT i.indisprimary ORDER BY 1").all()
    for name, _sql in found:
        connection.exec_driver_sql(f"DROP INDEX {name}")
    return [sql for _name, sql in found]


def _sqlite_upsert_sql():
    number = {c: i for i, c in enumerate(BULK_COLUMNS, start=1)}
    values = ", ".join(f"?{i}" for i in number.values())
    updates = ", ".join(f"{c} = excluded.{c}" for c in PROJECT_COLUMNS if c != "project_id")
    # MakePoint of a NULL lon/lat is NULL: a project without a point has no geometry
    return (f"INSERT INTO project ({', '.join(BULK_COLUMNS)}, geom) "
            f"VALUES ({values}, MakePoint(?{number['lon']}, ?{number['lat']}, 4326)) "
            f"ON CONFLICT (project_id) DO UPDATE SET {updates}")


# SpatiaLite's per-row triggers on project.geom that an insert or an update of a row fires: the geometry constraint
# (ggi/ggu), the time of the last change (tmi/tmu) and the R*Tree entry (gii/giu). A bulk write of a batch drops them
# inside its transaction and does their work once for the batch (``_index_batch``); on a rollback they come back
# with the rest (SQLite's DDL is transactional). The delete triggers stay.
ROW_TRIGGERS = ("ggi", "ggu", "tmi", "tmu", "gii", "giu")
SPATIAL_INDEX = "idx_project_geom"


def _drop_row_triggers(connection):
    """Drop the insert/update triggers of project.geom; their CREATE statements, to make them again."""
    names = [f"{prefix}_project_geom" for prefix in ROW_TRIGGERS]
    marks = ", ".join("?" * len(names))
    found = connection.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'project' AND name IN ({marks})",
        tuple(names)).all()
    if len(found) != len(names):  # not the triggers this code knows: leave them, and the writes row by row
        return []
    for name, _sql in found:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in found]


def _index_batch(connection, batch_id, triggers):
    """What the dropped triggers would have done for the rows of ``batch_id``: their R*Tree entries replaced
    (RTreeAlign, as gii/giu), the geometry columns' last insert/update time set; then the triggers made again. The
    geometry constraint holds by construction: the point is MakePoint(lon, lat, 4326) or NULL."""
    connection.exec_driver_sql(f"DELETE FROM {SPATIAL_INDEX} WHERE pkid IN "
                               "(SELECT rowid FROM project WHERE batch_id = ?)", (batch_id,))
    connection.exec_driver_sql(f"SELECT count(RTreeAlign('{SPATIAL_INDEX}', rowid, geom)) FROM project "
                               "WHERE batch_id = ? AND geom IS NOT NULL", (batch_id,)).all()
    connection.exec_driver_sql(
        "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
        "last_update = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
        "WHERE Lower(f_table_name) = 'project' AND Lower(f_geometry_column) = 'geom'")
    for sql in triggers:
        connection.exec_driver_sql(sql)


def _arrow_type(column_type):
    if isinstance(column_type, sa.Boolean):
        return pa.bool_()
    if isinstance(column_type, sa.Integer):  # BigInteger too
        return pa.int64()
    if isinstance(column_type, sa.Float):
        return pa.float64()
    if isinstance(column_type, sa.Date):
        return pa.date32()
    return pa.string()


# BULK_COLUMNS as Arrow types: a frame is converted to them (checked: an amount with a fraction is refused)
BULK_SCHEMA = pa.schema([(c.name, _arrow_type(c.type)) for c in Project.__table__.columns if c.name in BULK_COLUMNS])
# every value quoted, NULL written as nothing: PostgreSQL's CSV reads an unquoted empty value as NULL and a quoted
# one as text ("" is an empty text); a double is written with its shortest exact digits. 10,000 rows (4 MB) per
# write: each write takes the GIL from the caller's thread, which holds it most of the time
COPY_CSV = arrow_csv.WriteOptions(include_header=False, quoting_style="all_valid", batch_size=10_000)


def arrow_table(frame):
    """The rows of ``frame`` (BULK_COLUMNS) as an Arrow table of the table's column types, which Arrow writes as
    the CSV of a ``COPY`` in C++ (rather than a Python tuple per row); None when a column holds values of another
    type than its table column (the rows then go by ``write_row``, which leaves the conversion to PostgreSQL)."""
    try:
        return pa.Table.from_pandas(frame[BULK_COLUMNS], schema=BULK_SCHEMA, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


class _CopyFile(io.RawIOBase):
    """A ``COPY ... FROM STDIN`` as the file Arrow's CSV writer writes to, a batch of rows at a time (the CSV of a
    chunk is never held whole)."""

    def __init__(self, copy):
        super().__init__()
        self.copy = copy

    def writable(self):
        return True

    def write(self, data):
        self.copy.write(data)
        return len(data)


def _tuples(frame, iso_dates):
    """The rows of ``frame`` as tuples of plain Python values (None for missing), in BULK_COLUMNS order."""
    columns = []
    for name in BULK_COLUMNS:
        series = frame[name]
        values = series.astype(object).where(series.notna(), None).tolist()
        if iso_dates and name in DATE_COLUMNS:  # SQLite keeps dates as text, as SQLAlchemy writes them
            values = [None if v is None else v.isoformat() for v in values]
        columns.append(values)
    return list(zip(*columns))


def count_projects(session):
    return session.execute(sa.select(sa.func.count()).select_from(Project)).scalar()


def insert_tuples(session, table, columns, rows):
    """Insert plain tuples into ``table`` (its ``columns``) with one executemany, in the caller's transaction: no
    dict per row (the statistics of a big import are tens of thousands of rows)."""
    connection = session.connection()
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    if rows:
        connection.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) "
                                   f"VALUES ({', '.join([mark] * len(columns))})", rows)
