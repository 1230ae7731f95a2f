"""Project queries shared by the API, the downloads and the pages: filtered, sorted, paged lists and one project."""
import json
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from mapservice.read.filters import FilterError, project_conditions
from mapservice.store.models import AdminArea, Project

# The public record of a project, in this order, in every format (JSON, GeoJSON, CSV, XLSX, GeoPackage).
RECORD_FIELDS = [
    "project_id", "pid_reference", "pid_url", "title_km", "title_en", "sector", "project_type", "status",
    "fiscal_year", "funding_source", "planned_start", "planned_end", "actual_start", "actual_end", "currency",
    "budget", "contract_value", "expenditure", "cs_fund", "local_contribution", "original_currency",
    "exchange_rate", "original_amounts", "contract_number",
    "awarded_tenderer", "number_of_bidders", "eia_required", "eia_status", "eia_document_url",
    "province_code", "province_name_km", "province_name_en", "district_code", "district_name_km", "district_name_en",
    "commune_code", "commune_name_km", "commune_name_en", "village_code", "stated_code", "join_status",
    "location_precision", "quality_flags", "lon", "lat", "is_sample",
]
SORT_KEYS = ("project_id", "fiscal_year", "budget", "contract_value", "expenditure", "title_en", "actual_end")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
MAX_OFFSET = 100_000_000  # far beyond any number of projects; bigger numbers would overflow the databases' integers


def _record_query():
    province, district, commune = aliased(AdminArea), aliased(AdminArea), aliased(AdminArea)
    names = {
        "province_name_km": province.name_km, "province_name_en": province.name_en,
        "district_name_km": district.name_km, "district_name_en": district.name_en,
        "commune_name_km": commune.name_km, "commune_name_en": commune.name_en,
    }
    columns = [names[f].label(f) if f in names else getattr(Project, f) for f in RECORD_FIELDS]
    return (sa.select(*columns)
            .outerjoin(province, province.code == Project.province_code)
            .outerjoin(district, district.code == Project.district_code)
            .outerjoin(commune, commune.code == Project.commune_code))


def parse_sort(text):
    """'-budget' -> (column, descending); the default is by project id."""
    text = (text or "project_id").strip()
    key = text.removeprefix("-")
    if key not in SORT_KEYS:
        raise FilterError("sort", text, f"one of {', '.join(SORT_KEYS)}, with a leading - for descending")
    return key, text.startswith("-")


def parse_page(args):
    """limit (1..MAX_LIMIT, default DEFAULT_LIMIT; more is an error, not a silent cap) and offset (>= 0)."""
    values = {}
    for name, default, low, high in (("limit", DEFAULT_LIMIT, 1, MAX_LIMIT), ("offset", 0, 0, MAX_OFFSET)):
        text = (args.get(name) or "").strip() or str(default)
        if not text.isdigit() or not low <= int(text) <= high:
            raise FilterError(name, text, f"a whole number from {low} to {high}")
        values[name] = int(text)
    return values["limit"], values["offset"]


def count_projects(session, filters):
    return session.scalar(sa.select(sa.func.count()).select_from(Project).where(*project_conditions(filters)))


def list_projects(session, filters, sort="project_id", limit=None, offset=0):
    """Project records (dicts in RECORD_FIELDS order) matching the filters; all of them when limit is None."""
    key, descending = parse_sort(sort)
    column = getattr(Project, key)
    # missing values last in both directions, on both databases (SQLite and PostgreSQL disagree by default)
    order = [column.is_(None), column.desc() if descending else column.asc()]
    if key != "project_id":
        order.append(Project.project_id.asc())  # a stable order for paging
    query = _record_query().where(*project_conditions(filters)).order_by(*order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in session.execute(query)]


def get_project(session, project_id):
    row = session.execute(_record_query().where(Project.project_id == project_id)).first()
    return dict(row._mapping) if row else None


def to_json(record):
    """A record with dates as ISO strings (JSON has no date type)."""
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in record.items()}


def to_feature(record):
    geometry = None if record["lon"] is None else {
        "type": "Point", "coordinates": [round(record["lon"], 6), round(record["lat"], 6)]}
    properties = {k: v for k, v in to_json(record).items() if k not in ("lon", "lat")}
    return {"type": "Feature", "id": record["project_id"], "properties": properties, "geometry": geometry}


def to_geojson(records, single=False):
    """GeoJSON text (RFC 7946): one Feature, or a FeatureCollection."""
    body = to_feature(records[0]) if single else {"type": "FeatureCollection", "features": [to_feature(r) for r in records]}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def page_body(records, total, limit, offset, base_url, args):
    """A page of records with its count and next/previous links (the other parameters kept)."""
    def link(new_offset):
        params = {k: v for k, v in args.items() if k != "offset"} | {"offset": new_offset, "limit": limit}
        return base_url + "?" + urlencode(params)

    return {
        "total": total, "limit": limit, "offset": offset, "returned": len(records),
        "next": link(offset + limit) if offset + limit < total else None,
        "prev": link(max(offset - limit, 0)) if offset > 0 else None,
        "projects": [to_json(r) for r in records],
    }
