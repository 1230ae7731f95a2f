"""Per-area statistics: count, budget, contract value and expenditure per level, area, year and sector.

Communes are summed from the projects; districts and provinces are rolled up from the communes by
code prefix, so every total is conserved across levels and no project is counted twice.
"""
import pandas as pd
import sqlalchemy as sa

from mapservice.store.models import AreaStatistic, Project
from mapservice.store.tables import insert_tuples

KEYS = ["fiscal_year", "sector"]
MEASURES = ["project_count", "budget", "contract_value", "expenditure"]
PREFIX = {"province": 2, "district": 4, "commune": 6}


def compute_area_statistics(commune_totals):
    """Roll commune totals (commune_code, fiscal_year, sector, measures) up to all three levels."""
    frames = []
    for level, length in PREFIX.items():
        grouped = (commune_totals.assign(area_code=commune_totals["commune_code"].str[:length])
                   .groupby(["area_code"] + KEYS, as_index=False)[MEASURES].sum())
        frames.append(grouped.assign(level=level))
    result = pd.concat(frames, ignore_index=True)
    return result[["level", "area_code"] + KEYS + MEASURES]


def commune_totals(session):
    """Sum the stored projects per commune, year and sector (missing amounts count as zero)."""
    p = Project
    query = (sa.select(p.commune_code, p.fiscal_year, p.sector,
                       sa.func.count().label("project_count"),
                       sa.func.coalesce(sa.func.sum(p.budget), 0).label("budget"),
                       sa.func.coalesce(sa.func.sum(p.contract_value), 0).label("contract_value"),
                       sa.func.coalesce(sa.func.sum(p.expenditure), 0).label("expenditure"))
             .where(p.commune_code.is_not(None))
             .group_by(p.commune_code, p.fiscal_year, p.sector))
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["commune_code"] + KEYS + MEASURES)
    return frame.astype({m: "int64" for m in MEASURES})


def rebuild_area_statistics(session):
    """Replace the area_statistic table from the projects, inside the caller's transaction."""
    session.execute(sa.delete(AreaStatistic))
    stats = compute_area_statistics(commune_totals(session))
    columns = list(stats.columns)
    rows = list(zip(*(stats[c].astype(object).tolist() for c in columns)))  # plain Python values, as tuples
    insert_tuples(session, AreaStatistic.__tablename__, columns, rows)
    return len(stats)
