"""Budget import pipelines: a budget file (read -> validate -> store, one transaction) and the SAMPLE budgets
generated from the stored areas and SAMPLE projects. All-or-nothing, one ImportBatch, the data version bumped,
like ``ingest/pipelines.py``'s project imports."""
import logging
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from mapservice.ingest.budget_records import BudgetCodeBook, validate_budgets
from mapservice.ingest.budget_template import read_budget_template
from mapservice.ingest.pipelines import ImportRefused, ImportSummary, Stopwatch, file_sha256
from mapservice.ingest.records import SourceError
from mapservice.store import budget_tables, history, tables
from mapservice.store.models import AreaStatistic, ImportBatch

logger = logging.getLogger(__name__)
BUDGET_FORMAT = "budget"
SAMPLE_FORMAT = "budget-sample"


def load_budget_code_book(session, config):
    """The stored districts, communes and commune aliases that budget rows are checked against."""
    return BudgetCodeBook(districts=tables.load_codes(session, "district"),
                          communes=tables.load_codes(session, "commune"), aliases=tables.load_aliases(session),
                          first_year=config["MAPSERVICE_FIRST_YEAR"], last_year=config["MAPSERVICE_LAST_YEAR"])


def import_budgets(session_factory, config, path, skip_invalid=False, sheet=None):
    """Import one budget file (docs/budget-template.md) as one batch; refuse it whole if any row is invalid.

    With ``skip_invalid`` the valid area-years are loaded and an area-year with any invalid row is left out
    whole (its budget would not add up otherwise)."""
    path = Path(path)
    raw = read_budget_template(path, config["MAPSERVICE_MAX_IMPORT_BYTES"], sheet=sheet)
    with session_factory() as session:
        book = load_budget_code_book(session, config)
    if not book.districts:
        raise SourceError("no districts are stored; run `mapservice import-boundaries` first", "no_boundaries")
    clock = Stopwatch()
    valid, rejected = validate_budgets(raw, book)
    clock.lap("validate")
    if rejected and not skip_invalid:
        raise ImportRefused(str(path), rejected, len(raw))
    valid, withheld = _drop_incomplete_area_years(valid, rejected)
    summary = ImportSummary(source=str(path), rows_read=len(raw), rows_loaded=len(valid),
                            rejected=sorted(rejected + withheld, key=lambda item: item["line"]), seconds=clock.laps,
                            ignored_columns=list(raw.attrs.get("ignored_columns", [])))
    return store_budgets(session_factory, valid, summary, BUDGET_FORMAT, file_sha256(path), clock)


def _drop_incomplete_area_years(valid, rejected):
    """The valid rows whose area-year has no rejected row, and a reason for each row left out with them."""
    bad = valid.attrs.get("rejected_area_years", set())
    left_out = pd.Series([(code, int(year)) in bad for code, year in zip(valid["area_code"], valid["fiscal_year"])],
                         index=valid.index, dtype=bool)
    first_bad = {}
    for item in rejected:
        first_bad.setdefault(item.get("area_year"), item["line"])
    withheld = [{"line": int(number), "area_code": code, "column": "area_code",
                 "reason": f"not loaded: line {first_bad[(code, int(year))]} of {code} {int(year)} is invalid "
                           "(an area-year is loaded whole or not at all)"}
                for number, code, year in valid.loc[left_out, ["line_number", "area_code", "fiscal_year"]]
                .itertuples(index=False)]
    return valid[~left_out].reset_index(drop=True), withheld


def store_budgets(session_factory, rows, summary, source_format, sha256, clock, sample=False):
    """Write validated budget lines in one transaction: an ImportBatch, the area-years replaced, the data version
    bumped. SAMPLE budgets replace the earlier SAMPLE budgets and skip the area-years that hold real ones."""
    with session_factory.begin() as session:
        if sample:
            replaced = budget_tables.real_area_years(session, sample=True)
            real = budget_tables.real_area_years(session)
            keep = [(code, int(year)) not in real for code, year in zip(rows["area_code"], rows["fiscal_year"])]
            rows = rows[keep]
        else:
            replaced = set()
        years = budget_tables.area_years(rows)
        pairs = replaced | {(code, year) for year, codes in years.items() for code in codes}
        before = budget_tables.stored_lines(session, pairs)
        if sample:
            budget_tables.delete_sample_budgets(session)
        else:
            budget_tables.delete_area_years(session, years)
        summary.rows_loaded = len(rows)
        batch = ImportBatch(source_file=summary.source, source_format=source_format, sha256=sha256,
                            imported_at=datetime.now(timezone.utc).replace(tzinfo=None), rows_read=summary.rows_read,
                            rows_loaded=len(rows), rows_rejected=len({r["line"] for r in summary.rejected}),
                            rejected_rows=summary.rejected, is_sample=sample)
        session.add(batch)
        session.flush()
        budget_tables.insert_budgets(session, budget_rows(rows, batch.id, sample))
        summary.inserted = len(rows)
        summary.batch_id = batch.id
        summary.data_version = tables.bump_data_version(session)
        version = history.record_version(  # in the version history: no project changed, these area-years did
            session, "budgets", "cli", summary.source, sha256, {}, {}, summary.data_version,
            {"budget_lines": len(rows), "rows_read": summary.rows_read}, {"batch_id": batch.id})
        version.counts = {**version.counts, "budget_area_years": history.record_budget_changes(
            session, version, before, budget_tables.stored_lines(session, pairs))}
        summary.version_id = version.id
    clock.lap("store")
    logger.info("imported budgets from %s: %d lines loaded, %d rejected", summary.source, len(rows),
                len(summary.rejected))
    return summary


def budget_rows(frame, batch_id, sample):
    """Rows for the budget table from a typed frame (area_code, level, fiscal_year, kind, line, approved, actual)."""
    def values(name, number=False):
        column = frame[name].astype(object)
        return [None if pd.isna(v) else int(v) if number else v for v in column]

    columns = {"area_code": values("area_code"), "fiscal_year": values("fiscal_year", True),
               "kind": values("kind"), "line": values("line"), "level": values("level"),
               "approved": values("approved", True), "actual": values("actual", True)}
    keys = [*columns, "is_sample", "batch_id"]
    return [dict(zip(keys, (*row, bool(sample), batch_id))) for row in zip(*columns.values())]


def project_spending(session):
    """Riel the stored projects spent per (level, area code, fiscal year), districts and communes."""
    query = (sa.select(AreaStatistic.level, AreaStatistic.area_code, AreaStatistic.fiscal_year,
                       sa.func.sum(AreaStatistic.expenditure))
             .where(AreaStatistic.level.in_(("district", "commune")))
             .group_by(AreaStatistic.level, AreaStatistic.area_code, AreaStatistic.fiscal_year))
    frame = pd.DataFrame(session.execute(query).all(), columns=["level", "area_code", "fiscal_year", "spent"])
    return frame.astype({"fiscal_year": "int64", "spent": "int64"})


def import_sample_budgets(session_factory, config, seed):
    """Generate SAMPLE budgets for every stored district and commune and year, consistent with the stored
    projects (an area-year's development expenditure is at least what its projects spent), and load them in
    place of the earlier SAMPLE budgets."""
    from mapservice.ingest import sample_budgets

    with session_factory() as session:
        areas = {level: sorted(tables.load_codes(session, level)) for level in ("district", "commune")}
        spent = project_spending(session)
    if not areas["district"]:
        raise SourceError("no districts are stored; run `mapservice import-boundaries` first", "no_boundaries")
    years = range(config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"] + 1)
    clock = Stopwatch()
    frame = sample_budgets.generate_sample_budgets(areas, spent, years, seed=seed)
    clock.lap("generate")
    summary = ImportSummary(source=f"{sample_budgets.SAMPLE_MARK} budget generator (seed={seed})",
                            rows_read=len(frame), rows_loaded=len(frame), seconds=clock.laps)
    return store_budgets(session_factory, frame, summary, SAMPLE_FORMAT, f"budget-seed-{seed}", clock, sample=True)
