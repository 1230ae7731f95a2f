"""Import pipelines: boundaries, and project batches (read -> validate -> join -> store, one transaction)."""
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from mapservice.ingest import boundaries, gazetteer, readers
from mapservice.ingest.currency import parse_rates
from mapservice.ingest.join import join_projects_to_communes
from mapservice.ingest.records import CodeBook, SourceError, validate_records
from mapservice.store import history as version_history
from mapservice.store import tables
from mapservice.store.locks import import_lock
from mapservice.store.models import ImportBatch, Project
from mapservice.store.statistics import rebuild_area_statistics

logger = logging.getLogger(__name__)
STORE_CHUNK_ROWS = 20_000


class ImportRefused(Exception):
    """A batch with invalid rows, refused as a whole; ``rejected`` lists each row's line and reason."""

    def __init__(self, source, rejected, rows_read):
        self.source, self.rejected, self.rows_read = source, rejected, rows_read
        super().__init__(f"{source}: {len(rejected)} invalid row(s) of {rows_read}; nothing was imported "
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
                    context=None):
    """Import one file of project records as one batch; refuse it whole if any row is invalid."""
    path = Path(path)
    raw, source_format = read_project_file(session_factory, config, path, source_format, context)
    return import_records(session_factory, config, raw, str(path), source_format, file_sha256(path),
                          skip_invalid=skip_invalid, is_sample=raw.attrs.get("sample_ids", False), progress=progress)


def read_project_file(session_factory, config, path, source_format=None, context=None):
    """The raw canonical records of a project file (any layout readers.py knows) and its format."""
    source_format = source_format or readers.detect_format(path)
    context = dict(context or {})
    if source_format == "pid":
        with session_factory() as session:
            context["gazetteer_communes"] = tables.load_areas(session, "commune")[["code", "name_en", "name_km"]]
    return readers.read(path, source_format, max_bytes=config["MAPSERVICE_MAX_IMPORT_BYTES"], **context), source_format


def import_sample(session_factory, config, n_projects, seed, output=None, progress=None):
    """Generate the SAMPLE dataset from the stored communes and load it in place of earlier sample data."""
    from mapservice.ingest import sample

    with session_factory() as session:
        communes = tables.load_areas(session, "commune")
    if communes.empty:
        raise SourceError("no communes are stored; run `mapservice import-boundaries` first")
    villages = gazetteer.read_gazetteer(config["MAPSERVICE_DATA_DIR"], "village")
    raw = sample.generate_sample(communes, villages, n_projects, seed=seed)
    if output:
        raw.drop(columns="line").to_csv(output, index=False, encoding="utf-8")
    source = f"{sample.SAMPLE_MARK} generator (projects={n_projects}, seed={seed})"
    return import_records(session_factory, config, raw, source, "sample", f"seed-{seed}-n-{n_projects}",
                          is_sample=True, replace_sample=True, progress=progress)


def import_records(session_factory, config, raw, source, source_format, sha256, skip_invalid=False,
                   is_sample=False, replace_sample=False, progress=None, user_name="cli"):
    """Validate, join and store raw canonical records (the part shared by files and the sample generator).

    ``is_sample``: True when every record is SAMPLE data, or the set of the project ids that are (an OC4IDS
    package of ours keeps its marks). ``replace_sample``: delete the earlier sample first (``mapservice sample``
    only; importing a file never removes projects)."""
    clock = Stopwatch()
    # under the import lock, in the write transaction: the communes validated and joined against are the ones
    # stored when the batch commits (a boundary import cannot slip in between)
    with _import_lock(session_factory, config), session_factory.begin() as session:
        book = load_code_book(session, config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"],
                              parse_rates(config["MAPSERVICE_EXCHANGE_RATES"]))
        if not book.communes:
            raise SourceError("no communes are stored; run `mapservice import-boundaries` first")
        communes = tables.load_areas(session, "commune")
        valid, rejected = validate_records(raw, book)
        clock.lap("validate")
        if rejected and not skip_invalid:
            raise ImportRefused(source, rejected, len(raw))
        joined = join_projects_to_communes(valid, communes)
        clock.lap("join")
        summary = ImportSummary(source=source, rows_read=len(raw), rows_loaded=len(joined), rejected=rejected,
                                join_status=joined["join_status"].value_counts().to_dict(), seconds=clock.laps)
        tracker = version_history.Tracker(session, set(joined["project_id"]) | (  # the version history (store/history.py)
            set(session.scalars(sa.select(Project.project_id).where(Project.is_sample.is_(True))))
            if replace_sample else set()))
        if replace_sample:  # a new sample replaces the old one whole
            session.execute(sa.delete(Project).where(Project.is_sample.is_(True)))
        sample = joined["project_id"].isin(is_sample) if isinstance(is_sample, set) else \
            pd.Series(bool(is_sample), index=joined.index)
        existing = _existing_ids(session, joined["project_id"])
        batch = ImportBatch(source_file=source, source_format=source_format, sha256=sha256,
                            imported_at=datetime.now(timezone.utc).replace(tzinfo=None), rows_read=len(raw),
                            rows_loaded=len(joined), rows_rejected=len({r["line"] for r in rejected}),
                            rejected_rows=rejected, is_sample=bool(sample.any()))
        session.add(batch)
        session.flush()
        # rows for the table a chunk at a time: a dict per project for a whole big file would be most of the memory
        for start in range(0, len(joined), STORE_CHUNK_ROWS):
            part = slice(start, start + STORE_CHUNK_ROWS)
            rows = project_rows(joined.iloc[part], batch.id, sample.iloc[part], config["MAPSERVICE_PID_URL_TEMPLATE"])
            tables.upsert_projects(session, rows)
            if progress:
                progress(min(start + STORE_CHUNK_ROWS, len(joined)), len(joined))
        clock.lap("store")
        rebuild_area_statistics(session)
        summary.data_version = tables.bump_data_version(session)
        summary.batch_id = batch.id
        summary.version_id = tracker.record("sample" if replace_sample else "import", user_name, source, sha256,
                                            summary.data_version, {"rows_read": len(raw), "rows_loaded": len(joined),
                                                                   "rows_rejected": batch.rows_rejected},
                                            {"batch_id": batch.id}).id
    clock.lap("statistics")  # includes the commit
    summary.updated = len(existing)
    summary.inserted = len(joined) - len(existing)
    logger.info("imported %s: %d loaded, %d rejected", source, len(joined), len(rejected))
    return summary


def _import_lock(session_factory, config):
    """The one import lock of the database (store/locks.py), waiting MAPSERVICE_IMPORT_WAIT_SECONDS for it."""
    return import_lock(session_factory.kw["bind"], config["MAPSERVICE_IMPORT_WAIT_SECONDS"])


class Stopwatch:
    """Seconds per named step."""

    def __init__(self):
        self.laps, self._last = {}, time.perf_counter()

    def lap(self, name):
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now


def _existing_ids(session, ids):
    found = set()
    ids = list(ids)
    for start in range(0, len(ids), 20000):
        chunk = ids[start:start + 20000]
        found.update(session.scalars(sa.select(Project.project_id).where(Project.project_id.in_(chunk))))
    return found


def project_rows(joined, batch_id, is_sample, pid_url_template):
    """Rows for the project table: typed values, EWKT points, PID record URLs (``is_sample``: a boolean Series,
    True for SAMPLE rows, whose made-up references get no link to the real PID)."""
    frame = joined.copy()
    frame["pid_url"] = frame["pid_url"].where(
        frame["pid_url"].notna() | frame["pid_reference"].isna() | is_sample,
        frame["pid_reference"].map(lambda pid: pid_url_template.format(pid=pid)
                                   if pd.notna(pid) and pid_url_template else None))
    frame["geom"] = [f"SRID=4326;POINT({x} {y})" if pd.notna(x) else None for x, y in zip(frame["lon"], frame["lat"])]
    frame["batch_id"] = batch_id
    frame["is_sample"] = is_sample
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
