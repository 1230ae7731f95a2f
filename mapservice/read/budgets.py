"""Questions asked of the stored budgets: lines filtered by area and year, an area-year's infographic figures
(planned against actual, the change from the previous year, the share of development money that went into the
mapped projects), and per-area totals for the "budget by area" layer. No Flask."""
import sqlalchemy as sa

from mapservice.read.filters import FilterError
from mapservice.store.budget_vocabulary import BUDGET_LEVELS, DEVELOPMENT_LINE, KINDS, LINES
from mapservice.store.models import AdminArea, AreaStatistic, Budget

FILTERS = ("year", "province", "district", "commune")  # the shared filters budgets take
RECORD_FIELDS = ["area_code", "level", "name_km", "name_en", "fiscal_year", "kind", "line", "line_name_en",
                 "line_name_km", "approved", "actual", "is_sample"]
ORDER = {(kind, line): index for index, (kind, line) in
         enumerate((kind, line) for kind in KINDS for line in LINES[kind])}


def budget_conditions(filters, level=None):
    """SQL conditions on ``Budget`` for the year and area filters (an area filter holds its sub-areas) and level."""
    conditions = []
    if filters.year_from is not None:
        conditions.append(Budget.fiscal_year.between(filters.year_from, filters.year_to))
    prefixes = filters.commune or filters.district or filters.province
    if prefixes:
        conditions.append(sa.or_(*[Budget.area_code.startswith(code) for code in prefixes]))
    if level:
        conditions.append(Budget.level == level)
    return conditions


def parse_budget_level(value):
    """The level parameter of budget queries: district, commune, or None for both."""
    text = (value or "").strip()
    if text and text not in BUDGET_LEVELS:
        raise FilterError("level", text, "district or commune (budgets are per district and per commune)")
    return text or None


def list_budgets(session, filters, level=None):
    """Every stored line matching the filters, as records (RECORD_FIELDS), by area, year, kind and line."""
    query = (sa.select(Budget.area_code, Budget.level, AdminArea.name_km, AdminArea.name_en, Budget.fiscal_year,
                       Budget.kind, Budget.line, Budget.approved, Budget.actual, Budget.is_sample)
             .join(AdminArea, AdminArea.code == Budget.area_code)
             .where(*budget_conditions(filters, level)))
    records = []
    for row in session.execute(query):
        record = row._asdict()
        line = LINES[record["kind"]][record["line"]]
        record["line_name_en"], record["line_name_km"] = line.en, line.km
        records.append({field: record[field] for field in RECORD_FIELDS})
    return sorted(records, key=lambda r: (r["area_code"], r["fiscal_year"], ORDER[(r["kind"], r["line"])]))


def budget_years(session, code):
    """The fiscal years for which an area's budget is stored."""
    return list(session.scalars(sa.select(Budget.fiscal_year).where(Budget.area_code == code).distinct()
                                .order_by(Budget.fiscal_year)))


def _lines(session, code, year):
    rows = session.execute(sa.select(Budget.kind, Budget.line, Budget.approved, Budget.actual, Budget.is_sample)
                           .where(Budget.area_code == code, Budget.fiscal_year == year))
    return {(kind, line): (approved, actual, sample) for kind, line, approved, actual, sample in rows}


def _change(now, before):
    """The relative change from ``before`` to ``now`` (None when either is missing or before is 0)."""
    return None if now is None or not before else round((now - before) / before, 4)


def _sum(values):
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def _kind_figures(kind, lines, previous):
    """A kind's lines (vocabulary order, only those stored) with their previous-year amounts, and its totals."""
    rows = []
    for code, names in LINES[kind].items():
        if (kind, code) not in lines:
            continue
        approved, actual, _ = lines[(kind, code)]
        before = previous.get((kind, code), (None, None, None))
        rows.append({"line": code, "name_en": names.en, "name_km": names.km, "approved": approved, "actual": actual,
                     "previous_approved": before[0], "previous_actual": before[1],
                     "change": _change(actual, before[1])})
    totals = {key: _sum(row[key] for row in rows) for key in ("approved", "actual")}
    totals["previous_actual"] = _sum(v[1] for (k, _), v in previous.items() if k == kind) if previous else None
    totals["change"] = _change(totals["actual"], totals["previous_actual"])
    return {"lines": rows, "totals": totals}


def project_totals(session, code, level, year):
    """Number of projects and riel they spent in an area-year (from area_statistic)."""
    s = AreaStatistic
    count, spent = session.execute(sa.select(sa.func.coalesce(sa.func.sum(s.project_count), 0),
                                             sa.func.coalesce(sa.func.sum(s.expenditure), 0))
                                   .where(s.level == level, s.area_code == code, s.fiscal_year == year)).one()
    return {"count": int(count), "expenditure": int(spent)}


def infographic(session, area, year):
    """The figures of an area-year's infographic, or None when no budget of that year is stored.

    ``development``: the development line; ``projects``: what the mapped projects of the area spent that year;
    ``projects_share``: that spending as a share of the actual (else approved) development expenditure."""
    lines = _lines(session, area.code, year)
    if not lines:
        return None
    previous = _lines(session, area.code, year - 1)
    figures = {kind: _kind_figures(kind, lines, previous) for kind in KINDS}
    development = next((row for row in figures["expenditure"]["lines"] if row["line"] == DEVELOPMENT_LINE), None)
    projects = project_totals(session, area.code, area.level, year)
    base = development and (development["actual"] if development["actual"] is not None else development["approved"])
    return {
        "code": area.code, "level": area.level, "name_km": area.name_km, "name_en": area.name_en,
        "parent_code": area.parent_code, "fiscal_year": year, "previous_year": year - 1 if previous else None,
        "revenue": figures["revenue"], "expenditure": figures["expenditure"],
        "development": development, "projects": projects,
        "projects_share": round(projects["expenditure"] / base, 4) if base else None,
        "is_sample": any(sample for _, _, sample in lines.values()),
    }


def budget_by_area(session, filters, level):
    """{area code: {"approved", "actual"}}: each area's own expenditure budget summed over the filtered years."""
    query = (sa.select(Budget.area_code, sa.func.sum(Budget.approved), sa.func.sum(Budget.actual))
             .where(Budget.kind == "expenditure", *budget_conditions(filters, level)).group_by(Budget.area_code))
    return {code: {"approved": int(approved or 0), "actual": None if actual is None else int(actual)}
            for code, approved, actual in session.execute(query)}


def has_budgets(session):
    """True when any budget line is stored."""
    return session.scalar(sa.select(Budget.area_code).limit(1)) is not None
