"""Import pipelines: boundaries, and project batches (read -> validate -> join -> store, one transaction)."""
import contextlib
import gc
import hashlib
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from mapservice.ingest import boundaries, gazetteer, readers
from mapservice.ingest.currency import parse_rates
from mapservice.ingest.join import join_projects_to_communes, prepare_communes
from mapservice.ingest.records import CodeBook, SourceError, validate_records
from mapservice.ingest.source_files import CHUNK_ROWS
from mapservice.store import history as version_history
from mapservice.store import tables
from mapservice.store.locks import import_lock
from mapservice.store.models import ImportBatch, Project
from mapservice.store.statistics import rebuild_area_statistics

logger = logging.getLogger(__name__)
# the reasons of this many invalid rows are kept for the report (a file of millions of bad rows would otherwise
# hold a reason object per cell in memory); the rest are counted
REPORTED_ROWS = 10_000


class ImportRefused(Exception):
    """A batch with invalid rows, refused as a whole; ``rejected`` lists each row's line and reason (those of the
    first REPORTED_ROWS invalid rows); ``invalid_rows``: how many rows were invalid in all."""

    def __init__(self, source, rejected, rows_read, invalid_rows=None):
        self.source, self.rejected, self.rows_read = source, rejected, rows_read
        self.invalid_rows = len({r["line"] for r in rejected}) if invalid_rows is None else invalid_rows
        super().__init__(f"{source}: {self.invalid_rows:,} invalid row(s) of {rows_read:,}; nothing was imported "
                         "(use --skip-invalid to load the valid rows)")


@dataclass
class ImportSummary:
    source: str
    rows_read: int
    rows_loaded: int
    rejected: list = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    join_status: dict = field(default_factory=dict)
    batch_id: int | None = None
    data_version: int | None = None
    version_id: int | None = None  # the version history's record (store/history.py)
    seconds: dict = field(default_factory=dict)  # per step, for the summary line and the benchmark
    ignored_columns: list = field(default_factory=list)  # header cells that are none of the format's columns


def import_boundaries(session_factory, config, preset="ncdd2014", level=None, file=None, overrides=None):
    """Import boundary levels (all three from MAPSERVICE_DATA_DIR by default) in one transaction."""
    data_dir = config["MAPSERVICE_DATA_DIR"]
    levels = boundaries.read_all_levels(data_dir, preset, overrides or {}, config["MAPSERVICE_MAX_IMPORT_BYTES"],
                                        only_level=level, file=file)
    history = Path(data_dir) / gazetteer.CODE_HISTORY
    aliases = gazetteer.build_commune_aliases(data_dir) if history.exists() else None
    variants = gazetteer.read_spelling_variants(data_dir)
    with _import_lock(session_factory, config), session_factory.begin() as session:
        _check_parents_stored(session, levels)
        tables.replace_areas(session, {level: boundaries.to_rows(frame) for level, frame in levels.items()},
                             aliases, variants)
        tracker = version_history.Tracker(session, session.scalars(sa.select(Project.project_id)))
        if tracker.ids:
            relocate_projects(session)
        tracker.record("boundaries", "cli", str(file) if file else f"{preset} boundaries", None,
                       tables.bump_data_version(session), {level: len(frame) for level, frame in levels.items()})
    return {level: len(frame) for level, frame in levels.items()}


def _check_parents_stored(session, levels):
    """A level imported alone must find its parents already stored."""
    from mapservice.store.models import AdminArea

    for child, parent in (("district", "province"), ("commune", "district")):
        if child in levels and parent not in levels:
            stored = set(session.scalars(sa.select(AdminArea.code).where(AdminArea.level == parent)))
            missing = sorted(set(levels[child]["parent_code"]) - stored)
            if missing:
                raise SourceError(f"{child} parent(s) {', '.join(missing[:5])} are not stored; import the {parent} level first")


def load_code_book(session, first_year, last_year, rates=None):
    """The stored communes and code aliases that stated codes are checked against, and the exchange rates."""
    return CodeBook(communes=tables.load_codes(session, "commune"), aliases=tables.load_aliases(session),
                    first_year=first_year, last_year=last_year, rates=rates or {})


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_projects(session_factory, config, path, source_format=None, skip_invalid=False, progress=None,
                    context=None, chunk_rows=None, user_name="cli"):
    """Import one file of project records as one batch; refuse it whole if any row is invalid. The file is read,
    validated, joined and stored ``chunk_rows`` rows at a time (CHUNK_ROWS), in one transaction."""
    path = Path(path)
    source_format = source_format or readers.detect_format(path)
    context = dict(context or {})
    with _import_lock(session_factory, config), session_factory.begin() as session:
        if source_format == "pid":  # names the report's communes: the ones stored when the batch commits
            context["gazetteer_communes"] = _pid_communes(session)
        # the checksum in a thread while the reader checks the file (hashlib works without the GIL; the
        # database's core has nothing to do yet)
        with ThreadPoolExecutor(1, thread_name_prefix="checksum") as pool:
            checksum = pool.submit(file_sha256, path)
            chunks = readers.read_chunks(path, source_format, config["MAPSERVICE_MAX_IMPORT_BYTES"],
                                         chunk_rows=chunk_rows, **context)
            origin = BatchSource(str(path), source_format, checksum.result(), is_sample=None)
        summary, clock = _import_chunks(session, config, chunks, origin, skip_invalid, progress=progress,
                                        user_name=user_name)
    summary.ignored_columns = list(chunks.attrs.get("ignored_columns", []))
    clock.lap("statistics")  # includes the commit
    return summary


def read_project_file(session_factory, config, path, source_format=None, context=None):
    """The raw canonical records of a project file (any layout readers.py knows), whole, and its format (a draft's
    upload: checked and kept before anything is stored)."""
    source_format = source_format or readers.detect_format(path)
    context = dict(context or {})
    if source_format == "pid":
        with session_factory() as session:
            context["gazetteer_communes"] = _pid_communes(session)
    return readers.read(path, source_format, max_bytes=config["MAPSERVICE_MAX_IMPORT_BYTES"], **context), source_format


def _pid_communes(session):
    return tables.load_areas(session, "commune")[["code", "name_en", "name_km"]]


def import_sample(session_factory, config, n_projects, seed, output=None, progress=None):
    """Generate the SAMPLE dataset from the stored communes and load it in place of earlier sample data.

    ``output``: called with the generated records (a raw frame) before they are loaded; `mapservice sample
    --output` writes them as CSV through formats/csv_cells.py."""
    from mapservice.ingest import sample

    with session_factory() as session:
        communes = tables.load_areas(session, "commune")
    if communes.empty:
        raise SourceError("no communes are stored; run `mapservice import-boundaries` first", "no_boundaries")
    villages = gazetteer.read_gazetteer(config["MAPSERVICE_DATA_DIR"], "village")
    raw = sample.generate_sample(communes, villages, n_projects, seed=seed)
    if output:
        output(raw.drop(columns="line"))
    source = f"{sample.SAMPLE_MARK} generator (projects={n_projects}, seed={seed})"
    return import_records(session_factory, config, raw, source, "sample", f"seed-{seed}-n-{n_projects}",
                          is_sample=True, replace_sample=True, progress=progress)


def import_records(session_factory, config, raw, source, source_format, sha256, skip_invalid=False,
                   is_sample=False, replace_sample=False, progress=None, chunk_rows=None, user_name="cli"):
    """Validate, join and store raw canonical records (the part shared by files and the sample generator).

    ``is_sample``: True when every record is SAMPLE data, or the set of the project ids that are (an OC4IDS
    package of ours keeps its marks). ``replace_sample``: delete the earlier sample first (``mapservice sample``
    only; importing a file never removes projects). The records go through ``chunk_rows`` at a time."""
    size = chunk_rows or CHUNK_ROWS
    chunks = (raw.iloc[start:start + size] for start in range(0, max(len(raw), 1), size))
    with _import_lock(session_factory, config), session_factory.begin() as session:
        summary, clock = _import_chunks(session, config, chunks, BatchSource(source, source_format, sha256, is_sample),
                                        skip_invalid, replace_sample, progress, total=len(raw), user_name=user_name)
    clock.lap("statistics")  # includes the commit
    return summary


@dataclass
class BatchSource:
    """Where a batch comes from; ``is_sample`` as ``import_records`` takes it, or None: each chunk's
    ``attrs["sample_ids"]`` (an OC4IDS package of ours), else no sample."""

    source: str
    source_format: str
    sha256: str
    is_sample: object = False

    def sample_mask(self, raw, joined):
        marks = raw.attrs.get("sample_ids", False) if self.is_sample is None else self.is_sample
        if isinstance(marks, set):
            return joined["project_id"].isin(marks)
        return pd.Series(bool(marks), index=joined.index)


def _import_chunks(session, config, chunks, origin, skip_invalid, replace_sample=False, progress=None, total=None,
                   user_name="cli"):
    """The import inside its transaction (under the import lock): the communes and codes read once, then each
    chunk validated, joined and written; the batch refused whole at the end if any row was invalid (every chunk
    still validated, so the report lists every rejected row), else the statistics rebuilt, the version bumped and
    recorded in the version history (store/history.py: each chunk's stored rows read before it is written, none
    when the table was empty; the rows new to the table recorded from the batch in SQL, or from each staged chunk
    as it is stored when every row is new). The writer stores a chunk while the next one is read (PostGIS); it is
    stopped before the transaction commits or rolls back. Returns (ImportSummary, the Stopwatch of its steps)."""
    clock = Stopwatch()
    book = load_code_book(session, config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"],
                          parse_rates(config["MAPSERVICE_EXCHANGE_RATES"]))
    if not book.communes:
        raise SourceError("no communes are stored; run `mapservice import-boundaries` first", "no_boundaries")
    communes = prepare_communes(tables.load_areas(session, "commune"))
    tracker = version_history.Tracker(session, session.scalars(sa.select(Project.project_id).where(
        Project.is_sample.is_(True))) if replace_sample else ())
    if replace_sample:  # a new sample replaces the old one whole
        session.execute(sa.delete(Project).where(Project.is_sample.is_(True)))
    stored_before = tables.count_projects(session)
    batch = ImportBatch(source_file=origin.source, source_format=origin.source_format, sha256=origin.sha256,
                        imported_at=datetime.now(timezone.utc).replace(tzinfo=None), rows_read=0, rows_loaded=0,
                        rows_rejected=0, rejected_rows=[], is_sample=False)
    session.add(batch)
    session.flush()
    action = "sample" if replace_sample else "import"
    writer = tables.ProjectWriter(session, batch.id)
    if writer.stages and not stored_before and not tracker.before:
        # every row is new: each chunk's are recorded as added as the writer stores them (Tracker.added_from_stage),
        # in project id order within the chunk; otherwise after the writes, the changes before the additions
        tracker.begin(action, user_name, origin.source, origin.sha256, {"batch_id": batch.id})
    try:
        with _collected_per_chunk():
            rows_read, rows_loaded, rejected, invalid_rows, statuses = _write_chunks(
                session, config, chunks, book, communes, origin, skip_invalid, writer, tracker, stored_before, batch,
                clock, progress, total)
        if invalid_rows and not skip_invalid:
            raise ImportRefused(origin.source, rejected, rows_read, invalid_rows)
        writer.finish()
    finally:
        writer.close()  # the writer thread stopped before the transaction commits or rolls back
    summary = ImportSummary(source=origin.source, rows_read=rows_read, rows_loaded=rows_loaded, rejected=rejected,
                            join_status=dict(statuses.most_common()), seconds=clock.laps)
    summary.inserted = tables.count_projects(session) - stored_before
    summary.updated = rows_loaded - summary.inserted
    batch.rows_read, batch.rows_loaded = rows_read, rows_loaded
    batch.rows_rejected, batch.rejected_rows = invalid_rows, rejected
    clock.lap("store")
    if progress and rows_loaded != total:  # the last line of the progress: as many stored as there will be
        progress(rows_loaded, rows_loaded)
    rebuild_area_statistics(session)
    summary.data_version = tables.bump_data_version(session)
    summary.batch_id = batch.id
    summary.version_id = tracker.record(action, user_name, origin.source, origin.sha256, summary.data_version,
                                        {"rows_read": rows_read, "rows_loaded": rows_loaded,
                                         "rows_rejected": batch.rows_rejected}, {"batch_id": batch.id},
                                        batch_id=batch.id).id
    logger.info("imported %s: %d loaded, %d rejected", origin.source, rows_loaded, len(rejected))
    return summary, clock


def _write_chunks(session, config, chunks, book, communes, origin, skip_invalid, writer, tracker, stored_before,
                  batch, clock, progress, total):
    """Each chunk validated, joined and handed to ``writer`` (which stores it while the next is prepared); returns
    (rows read, rows loaded, the reported rejected rows in line order, how many rows were invalid, join statuses)."""
    seen_ids, rejected, statuses = {}, [], Counter()
    invalid_rows = reported_rows = 0
    rows_read = rows_loaded = 0
    clock.lap("prepare")
    for raw in _timed(chunks, clock, "read"):
        gc.collect()  # what the chunks before left in cycles, once per chunk (_collected_per_chunk)
        rows_read += len(raw)
        valid, refused = validate_records(raw, book, seen_ids)
        lines = sorted({r["line"] for r in refused})
        invalid_rows += len(lines)
        if reported_rows < REPORTED_ROWS and lines:
            last = lines[min(len(lines), REPORTED_ROWS - reported_rows) - 1]
            rejected += [r for r in refused if r["line"] <= last]
            reported_rows += len([line for line in lines if line <= last])
        clock.lap("validate")
        if invalid_rows and not skip_invalid:
            continue  # nothing more is stored; the rest is read to report every rejected row
        joined = join_projects_to_communes(valid, communes)
        clock.lap("join")
        sample = origin.sample_mask(raw, joined)
        if stored_before:  # ids new to the table are recorded from the stored rows of the batch (Tracker)
            writer.wait()  # the session's connection is the writer's: the chunk before stored, the rows read now
            tracker.watch(joined["project_id"])
        then = [tracker.added_from_stage(tables.STAGE_TABLE, list(joined["project_id"]))] if tracker.version else ()
        writer.write(project_frame(joined, batch.id, sample, config["MAPSERVICE_PID_URL_TEMPLATE"]), then)
        batch.is_sample = batch.is_sample or bool(sample.any())
        statuses.update(joined["join_status"])
        rows_loaded += len(joined)
        clock.lap("store")
        if progress:
            progress(rows_loaded, total)
    rejected.sort(key=lambda item: item["line"])  # stable: a row's reasons stay in the order they were found
    return rows_read, rows_loaded, rejected, invalid_rows, statuses


@contextlib.contextmanager
def _collected_per_chunk():
    """The cyclic garbage collector not run on its own while the chunks are read, validated, joined and stored, but
    once per chunk (``_write_chunks``): a chunk makes hundreds of thousands of containers (rows, cells' lists,
    frames), for which the collector ran some hundred times per chunk, each time walking the chunk's live ones
    (about 7 s of a 1M-row import); one full collection per chunk frees what a chunk left in cycles, so memory
    stays flat. The objects alive before (the modules, the communes) are frozen meanwhile (``gc.freeze``: a
    collection does not walk them: 80 ms per chunk instead of 180) unless objects are frozen already (a web worker
    freezes its own after its start)."""
    enabled, freeze = gc.isenabled(), not gc.get_freeze_count()
    gc.disable()
    if freeze:
        gc.freeze()
    try:
        yield
    finally:
        if freeze:
            gc.unfreeze()
        if enabled:
            gc.enable()


def _timed(chunks, clock, step):
    """The chunks of ``chunks``, the time spent reading each one counted as ``step``."""
    iterator = iter(chunks)
    while True:
        clock.lap("_")
        chunk = next(iterator, None)
        clock.lap(step)
        if chunk is None:
            return
        yield chunk


def _import_lock(session_factory, config):
    """The one import lock of the database (store/locks.py), waiting MAPSERVICE_IMPORT_WAIT_SECONDS for it."""
    return import_lock(session_factory.kw["bind"], config["MAPSERVICE_IMPORT_WAIT_SECONDS"])


class Stopwatch:
    """Seconds per named step."""

    def __init__(self):
        self.laps, self._last = {}, time.perf_counter()

    def lap(self, name):
        """Add the time since the last lap to step ``name`` (steps repeated per chunk add up); "_" is not kept."""
        now = time.perf_counter()
        if name != "_":
            self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now


def project_frame(joined, batch_id, is_sample, pid_url_template):
    """The project table's columns but the point (tables.BULK_COLUMNS) for joined records: typed values, PID
    record URLs (``is_sample``: a boolean Series, True for SAMPLE rows, whose made-up references get no link to
    the real PID)."""
    frame = joined.copy()
    frame["pid_url"] = frame["pid_url"].where(
        frame["pid_url"].notna() | frame["pid_reference"].isna() | is_sample,
        frame["pid_reference"].map(lambda pid: pid_url_template.format(pid=pid)
                                   if pd.notna(pid) and pid_url_template else None))
    frame["batch_id"] = batch_id
    frame["is_sample"] = is_sample.to_numpy(dtype=bool)
    return frame.reindex(columns=tables.BULK_COLUMNS)


def project_rows(joined, batch_id, is_sample, pid_url_template):
    """Rows for the project table as dicts (``tables.upsert_projects``): ``project_frame`` plus EWKT points."""
    frame = project_frame(joined, batch_id, is_sample, pid_url_template)
    frame["geom"] = [f"SRID=4326;POINT({x} {y})" if pd.notna(x) else None for x, y in zip(frame["lon"], frame["lat"])]
    frame = frame.reindex(columns=tables.PROJECT_COLUMNS)
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def relocate_projects(session):
    """Re-run the join of every stored project against the stored communes (after a boundary import)."""
    communes = tables.load_areas(session, "commune")
    columns = ["project_id", "stated_code", "lon", "lat", "location_precision"]
    stored = pd.DataFrame(session.execute(sa.select(*[getattr(Project, c) for c in columns])).all(), columns=columns)
    # a commune-precision point was placed by us, not stated: forget it before re-placing
    placed = stored["location_precision"] == "commune"
    stored.loc[placed, ["lon", "lat"]] = None
    book = load_code_book(session, 0, 9999)
    # a project without a stated code reads back as None or NaN (by backend): it has no commune of its own
    stated = stored["stated_code"].map(lambda c: c[:6] if isinstance(c, str) and len(c) == 8 else
                                       c if isinstance(c, str) else None)
    stored["commune_code"] = stated.map(lambda c: None if c is None else c if c in book.communes
                                        else book.aliases.get(c))
    joined = join_projects_to_communes(stored, communes)
    for record in joined[["project_id", "commune_code", "district_code", "province_code", "point_code",
                          "join_status", "location_precision", "lon", "lat"]].to_dict("records"):
        record = {k: (None if pd.isna(v) else v) for k, v in record.items()}
        record["geom"] = f"SRID=4326;POINT({record['lon']} {record['lat']})" if record["lon"] is not None else None
        session.execute(sa.update(Project).where(Project.project_id == record.pop("project_id")).values(**record))
    rebuild_area_statistics(session)
