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


def real_area_years(session):
    """The (area code, year) pairs that hold real (not SAMPLE) budget lines."""
    query = sa.select(Budget.area_code, Budget.fiscal_year).where(Budget.is_sample.is_(False)).distinct()
    return set(session.execute(query).all())


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
