"""Writing budgets inside the caller's transaction: an import replaces every line of the area-years it holds;
the SAMPLE budgets are replaced whole and never take the place of real ones."""
import sqlalchemy as sa

from mapservice.store.models import Budget

BUDGET_COLUMNS = [c.name for c in Budget.__table__.columns]
CHUNK = 900  # codes per IN list (SQLite's old limit of 999 bound values)


def area_years(frame):
    """{fiscal year: sorted area codes} of a frame with ``area_code`` and ``fiscal_year``."""
    pairs = frame[["fiscal_year", "area_code"]].drop_duplicates()
    return {int(year): sorted(group["area_code"]) for year, group in pairs.groupby("fiscal_year")}


def delete_area_years(session, years):
    """Delete every stored line (real or SAMPLE) of the given {year: area codes}."""
    for year, codes in years.items():
        for start in range(0, len(codes), CHUNK):
            session.execute(sa.delete(Budget).where(Budget.fiscal_year == year,
                                                    Budget.area_code.in_(codes[start:start + CHUNK])))


def delete_sample_budgets(session):
    session.execute(sa.delete(Budget).where(Budget.is_sample.is_(True)))


def real_area_years(session, sample=False):
    """The (area code, year) pairs that hold real (not SAMPLE) budget lines; with ``sample``: SAMPLE lines."""
    query = sa.select(Budget.area_code, Budget.fiscal_year).where(Budget.is_sample.is_(sample)).distinct()
    return {(code, year) for code, year in session.execute(query)}


def stored_lines(session, pairs):
    """{(area code, year): its stored lines, each a JSON list of the BUDGET_COLUMNS values, sorted} of the given
    pairs; a pair with no line maps to []."""
    found = {pair: [] for pair in pairs}
    by_year = {}
    for code, year in found:
        by_year.setdefault(year, []).append(code)
    columns = [getattr(Budget, c) for c in BUDGET_COLUMNS]
    for year, codes in by_year.items():
        for start in range(0, len(codes), CHUNK):
            query = (sa.select(*columns)
                     .where(Budget.fiscal_year == year, Budget.area_code.in_(codes[start:start + CHUNK]))
                     .order_by(Budget.area_code, Budget.kind, Budget.line))
            for row in session.execute(query):
                found[(row.area_code, row.fiscal_year)].append(list(row))
    return found


def same_lines(before, after):
    """Whether two area-years' lines are the same but for the batch that stored them."""
    batch = BUDGET_COLUMNS.index("batch_id")
    return [line[:batch] + line[batch + 1:] for line in before] == [line[:batch] + line[batch + 1:] for line in after]


def write_area_years(session, state):
    """Make the stored lines of each area-year what ``state`` says ({(area code, year): lines as stored_lines
    gives them})."""
    years = {}
    for code, year in state:
        years.setdefault(year, []).append(code)
    delete_area_years(session, years)
    insert_budgets(session, [dict(zip(BUDGET_COLUMNS, line)) for lines in state.values() for line in lines])


def insert_budgets(session, rows, chunk_size=5000):
    """Insert budget rows (dicts with BUDGET_COLUMNS). PostgreSQL gets them by COPY (the SAMPLE's 143,000 lines in
    about a second instead of seven); SQLite by executemany."""
    if session.get_bind().dialect.name == "postgresql":
        cursor = session.connection().connection.driver_connection.cursor()
        with cursor.copy(f"COPY budget ({', '.join(BUDGET_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[column] for column in BUDGET_COLUMNS])
        return
    for start in range(0, len(rows), chunk_size):
        session.execute(sa.insert(Budget.__table__), rows[start:start + chunk_size])
