"""Totals from the stored data: the per-area values that layers, tiles and OGC API draw, totals per area, an
area's profile (per-year and per-sector series, sub-areas), and what is at a point. Read from the per-area
statistics where the filters allow."""
import dataclasses

import pandas as pd
import sqlalchemy as sa

from mapservice.read.filters import CODE_LENGTH, project_conditions
from mapservice.store.models import AreaStatistic, Project
from mapservice.store.vocabulary import SECTORS

MEASURES = ["project_count", "budget", "contract_value", "expenditure"]
LEVEL_COLUMN = {"province": Project.province_code, "district": Project.district_code, "commune": Project.commune_code}

CHILD = {"province": "district", "district": "commune", "commune": None}
LEVEL_OF_LENGTH = {2: "province", 4: "district", 6: "commune"}


def area_values(session, filters, level):
    """Per-area totals for the filters: from the precomputed statistics when they suffice, else from projects.

    The statistics hold one row per area of a level, so an area filter finer than the level (the provinces'
    totals for district=0105) needs the projects too."""
    finest = filters.commune or filters.district or filters.province
    finer_than_level = any(len(code) > CODE_LENGTH[level] for code in finest)
    if filters.only_statistics_dimensions() and not finer_than_level:
        s = AreaStatistic
        query = (sa.select(s.area_code, sa.func.sum(s.project_count), sa.func.sum(s.budget),
                           sa.func.sum(s.contract_value), sa.func.sum(s.expenditure))
                 .where(s.level == level, *_statistic_conditions(filters)).group_by(s.area_code))
    else:
        column = LEVEL_COLUMN[level]
        query = (sa.select(column, sa.func.count(), sa.func.coalesce(sa.func.sum(Project.budget), 0),
                           sa.func.coalesce(sa.func.sum(Project.contract_value), 0),
                           sa.func.coalesce(sa.func.sum(Project.expenditure), 0))
                 .where(column.is_not(None), *project_conditions(filters)).group_by(column))
    frame = pd.DataFrame(session.execute(query).all(), columns=["area_code"] + MEASURES)
    return frame.astype({m: "int64" for m in MEASURES}).set_index("area_code")


def _statistic_conditions(filters):
    s, conditions = AreaStatistic, []
    if filters.year_from is not None:
        conditions.append(s.fiscal_year.between(filters.year_from, filters.year_to))
    if filters.sector:
        conditions.append(s.sector.in_(filters.sector))
    prefixes = filters.commune or filters.district or filters.province
    if prefixes:
        conditions.append(sa.or_(*[s.area_code.startswith(p) for p in prefixes]))
    return conditions


def per_area(session, areas, filters, level):
    """Totals of every area of ``level`` inside the area filters (zeros included), and their sum."""
    values = area_values(session, filters, level).to_dict("index")
    zero = dict.fromkeys(MEASURES, 0)
    rows = [{"code": code, "level": level, "name_km": areas.areas[level][code]["name_km"],
             "name_en": areas.areas[level][code]["name_en"], **values.get(code, zero)}
            for code in sorted(areas.within(level, filters))]
    return {"level": level, "filters": filters.as_params(), "areas": rows,
            "totals": {m: sum(r[m] for r in rows) for m in MEASURES}}


def series(session, filters, by):
    """Totals per fiscal year or per sector for the filters."""
    if filters.only_statistics_dimensions():
        s = AreaStatistic
        prefixes = filters.commune or filters.district or filters.province
        level = LEVEL_OF_LENGTH[len(prefixes[0])] if prefixes else "province"
        conditions = [s.level == level]
        if filters.year_from is not None:
            conditions.append(s.fiscal_year.between(filters.year_from, filters.year_to))
        if filters.sector:
            conditions.append(s.sector.in_(filters.sector))
        if prefixes:
            conditions.append(s.area_code.in_(prefixes))
        key = getattr(s, by)
        query = sa.select(key, *[sa.func.sum(getattr(s, m)) for m in MEASURES]).where(*conditions).group_by(key)
    else:
        key = getattr(Project, by)
        query = (sa.select(key, sa.func.count(), *[sa.func.coalesce(sa.func.sum(getattr(Project, m)), 0)
                                                   for m in MEASURES[1:]])
                 .where(*project_conditions(filters)).group_by(key))
    return {row[0]: dict(zip(MEASURES, map(int, row[1:]))) for row in session.execute(query)}


def area_profile(session, areas, area, filters, years):
    """Everything the area page and the API need about one area (``years``: the data's first and last year, the
    span of the per-year series when the filters name none)."""
    scoped = dataclasses.replace(filters, **({"province": (), "district": (), "commune": ()} | {area.level: (area.code,)}))
    by_year = series(session, scoped, "fiscal_year")
    first = scoped.year_from or years[0]
    last = scoped.year_to or years[1]
    zero = dict.fromkeys(MEASURES, 0)
    child = CHILD[area.level]
    return {
        "code": area.code, "level": area.level, "parent_code": area.parent_code, "name_km": area.name_km,
        "name_en": area.name_en, "unit_type_km": area.unit_type_km, "unit_type_en": area.unit_type_en,
        "area_km2": round(area.area_km2, 1), "filters": filters.as_params(),
        "totals": {m: sum(v[m] for v in by_year.values()) for m in MEASURES},
        "by_year": [{"fiscal_year": year, **by_year.get(year, zero)} for year in range(first, last + 1)],
        "by_sector": [{"sector": code, "name_en": SECTORS[code][0], "name_km": SECTORS[code][1], **values}
                      for code, values in sorted(series(session, scoped, "sector").items())],
        "sub_areas": per_area(session, areas, scoped, child)["areas"] if child else [],
    }


def located(areas, lon, lat, commune_code):
    """The areas holding a point (all None outside Cambodia's communes)."""
    result = {"lon": lon, "lat": lat}
    for level, length in (("province", 2), ("district", 4), ("commune", 6)):
        code = commune_code[:length] if commune_code else None
        area = areas.areas[level].get(code) if code else None
        result[level] = {"code": code, "name_km": area["name_km"], "name_en": area["name_en"]} if area else None
    return result
