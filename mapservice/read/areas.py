"""Queries about admin areas: lists with their project totals, one area, its ancestors."""
import sqlalchemy as sa

from mapservice.store.models import AdminArea, AreaStatistic, ImportBatch


def list_areas(session, level, parent_code=None):
    """Areas of one level (optionally within a parent) with projects, budget and expenditure, by code."""
    totals = (sa.select(AreaStatistic.area_code,
                        sa.func.sum(AreaStatistic.project_count).label("projects"),
                        sa.func.sum(AreaStatistic.budget).label("budget"),
                        sa.func.sum(AreaStatistic.expenditure).label("expenditure"))
              .where(AreaStatistic.level == level).group_by(AreaStatistic.area_code).subquery())
    query = (sa.select(AdminArea.code, AdminArea.name_km, AdminArea.name_en, AdminArea.unit_type_en,
                       sa.func.coalesce(totals.c.projects, 0), sa.func.coalesce(totals.c.budget, 0),
                       sa.func.coalesce(totals.c.expenditure, 0))
             .outerjoin(totals, totals.c.area_code == AdminArea.code)
             .where(AdminArea.level == level).order_by(AdminArea.code))
    if parent_code:
        query = query.where(AdminArea.parent_code == parent_code)
    keys = ["code", "name_km", "name_en", "unit_type_en", "projects", "budget", "expenditure"]
    return [dict(zip(keys, row)) for row in session.execute(query)]


def get_area(session, code):
    return session.get(AdminArea, code)


def level_counts(session):
    rows = session.execute(sa.select(AdminArea.level, sa.func.count()).group_by(AdminArea.level))
    return dict(rows.all())


def has_sample_data(session):
    return bool(session.scalar(sa.select(sa.func.count()).where(ImportBatch.is_sample.is_(True))))
