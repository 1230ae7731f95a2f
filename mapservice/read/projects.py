"""Project queries shared by the API, the downloads and the pages: filtered, sorted, paged lists and one project."""
import functools
import json
from urllib.parse import urlencode

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from mapservice.read.filters import STRIP_ARRAYS, STRIP_RANGES, FilterError, project_conditions
from mapservice.store import grid
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
FEATURE_FIELDS = [f for f in RECORD_FIELDS if f not in ("lon", "lat")]  # a feature's properties
SORT_KEYS = ("project_id", "fiscal_year", "budget", "contract_value", "expenditure", "title_en", "actual_end")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
MAX_OFFSET = 100_000_000  # far beyond any number of projects; bigger numbers would overflow the databases' integers
# From this offset on, the next link of a page in the default order (by project_id) carries the page's last id
# (after=<project_id>): the database seeks to it on the primary key instead of walking past every project before it
KEYSET_FROM = 10_000
COORDINATE_DECIMALS = 6  # about 0.1 m, as RFC 7946 recommends


# named once, so that every record query is the same statement to the compiled-statement cache
_PROVINCE, _DISTRICT, _COMMUNE = (aliased(AdminArea, name=f"{level}_area") for level in ("province", "district",
                                                                                          "commune"))
_NAMES = {f"{level}_name_{lang}": getattr(area, f"name_{lang}")
          for level, area in (("province", _PROVINCE), ("district", _DISTRICT), ("commune", _COMMUNE))
          for lang in ("km", "en")}
RECORD_COLUMNS = {f: _NAMES[f] if f in _NAMES else getattr(Project, f) for f in RECORD_FIELDS}
# a page reads an area's code where its name goes (labelled once, for the statement cache), then names it
_NAME_SOURCES = {f"{level}_name_{lang}": (level, f"name_{lang}") for level in ("province", "district", "commune")
                 for lang in ("km", "en")}
_CODE_AS_NAME = {f: getattr(Project, f"{level}_code").label(f) for f, (level, _) in _NAME_SOURCES.items()}
_NO_AREA = {"name_km": None, "name_en": None}


def _with_names(select):
    """The select joined to the areas whose names the record holds."""
    return (select.outerjoin(_PROVINCE, _PROVINCE.code == Project.province_code)
            .outerjoin(_DISTRICT, _DISTRICT.code == Project.district_code)
            .outerjoin(_COMMUNE, _COMMUNE.code == Project.commune_code))


def _record_query():
    return _with_names(sa.select(*[column.label(f) for f, column in RECORD_COLUMNS.items()]))


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


def parse_after(args, paged_otherwise, others="offset and sort"):
    """The project_id a keyset page starts after (``after``; None without it). It pages the default order only:
    ``paged_otherwise`` (the request also gives an offset or another order, named by ``others``) is refused."""
    text = args.get("after")
    if text is None:
        return None
    if not text.strip():
        raise FilterError("after", text, "a project_id (the next links carry it)")
    if paged_otherwise:
        raise FilterError("after", text, f"without {others} (it pages the default order, by project_id)")
    return text.strip()


def keyset_conditions(filters, after):
    """The filters' conditions, and ``project_id > after`` for a keyset page."""
    return [*project_conditions(filters), *([] if after is None else [Project.project_id > after])]


def count_projects(session, filters):
    return session.scalar(sa.select(sa.func.count()).select_from(Project).where(*project_conditions(filters)))


def sort_order(sort):
    """ORDER BY clauses of a sort parameter: missing values last in both directions, on both databases (SQLite and
    PostgreSQL disagree by default), then the project id for a stable order when paging."""
    key, descending = parse_sort(sort)
    column = getattr(Project, key)
    order = [column.is_(None), column.desc() if descending else column.asc()]
    return order if key == "project_id" else [*order, Project.project_id.asc()]


def list_projects(session, filters, sort="project_id", limit=None, offset=0, after=None):
    """Project records (dicts in RECORD_FIELDS order) matching the filters (after the project_id ``after``); all of
    them when limit is None."""
    query = _record_query().where(*keyset_conditions(filters, after)).order_by(*sort_order(sort)).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in session.execute(query)]


# a page's limit and offset are given when its statement runs: a Page made once serves every page of its shape
PAGE_LIMIT, PAGE_OFFSET = (sa.bindparam(name, type_=sa.Integer) for name in ("page_limit", "page_offset"))
_FEATURE_LEAD = (Project.project_id, Project.lon, Project.lat)  # a feature's id and point, before its properties


class Page:
    """The statement of one page of the projects matching ``conditions`` in ``order``: the ``lead`` columns, then
    ``fields``, then the ``count`` column (``count_up_to``) when one is given; and the reading of its rows. The
    ``conditions`` are on ``source``: the projects, or what ``filters.projects_from`` gives for a box.

    The page's ids are found first (on the indexes, reading no other column, however deep the offset), then only
    those rows are read, as plain tuples (no ORM object per row). An area's names are read as its code and looked
    up in ``areas`` (the snapshot's ``AreaGeometry.areas``: the same table at the same data version), not joined
    three times, which was a fifth of a page's cost. The limit, the offset and any named bind parameter of the
    conditions are given to ``read``, so that a Page kept by its caller serves every request of the same shape:
    building a statement and its cache key cost half a millisecond a request."""

    def __init__(self, conditions, order, fields, lead=(), count=None, source=Project.__table__, ids=None):
        self.fields, self.width, self.counted = tuple(fields), len(lead), count is not None
        self.named = [(f, *_NAME_SOURCES[f]) for f in self.fields if f in _NAME_SOURCES]
        columns = (*lead, *[_CODE_AS_NAME.get(f, RECORD_COLUMNS[f]) for f in self.fields])
        if ids is None:
            ids = (sa.select(Project.project_id).select_from(source).where(*conditions).order_by(*order)
                   .offset(PAGE_OFFSET).limit(PAGE_LIMIT).subquery("page"))
        else:  # the page's ids in the grid's order (``grid_ids``)
            order = [ids.c.cell, ids.c.project_id]
        query = _selecting(columns) if count is None else _selecting(columns).add_columns(count)
        self.statement = (query.select_from(Project).join(ids, ids.c.project_id == Project.project_id)
                          .order_by(*order))

    @classmethod
    def of_features(cls, conditions, order, fields=None, count=None, source=Project.__table__, ids=None):
        """A Page of GeoJSON features (``features`` of what it reads): their id and point, then the properties
        ``fields`` (default: the record without lon and lat)."""
        return cls(conditions, order, fields or FEATURE_FIELDS, _FEATURE_LEAD, count, source, ids)

    def read(self, session, limit, offset, areas, drop_nulls=False, parameters=None):
        """[(values of the lead columns, {field: value} in the fields' order)], and the count column's value (None
        without one or without a row); ``drop_nulls`` leaves out the fields without a value."""
        bound = {"page_limit": limit, "page_offset": offset, **(parameters or {})}
        rows = session.connection().execute(self.statement, bound).all()  # Core rows: the ORM's loop is skipped
        values, page = slice(self.width, self.width + len(self.fields)), []
        for row in rows:
            record = {k: v for k, v in zip(self.fields, row[values]) if v is not None or not drop_nulls}
            for field, level, key in self.named:  # the code, where the name goes: the record keeps its order
                if record.get(field) is not None:
                    name = areas[level].get(record[field], _NO_AREA)[key]
                    if name is None and drop_nulls:
                        del record[field]
                    else:
                        record[field] = name
            page.append((row[:self.width], record))
        return page, (rows[0][-1] if rows and self.counted else None)


@functools.lru_cache(maxsize=64)
def _selecting(columns):
    """``select(*columns)``, made once per set of columns: a page's fifty columns would otherwise be coerced into
    the statement on every request."""
    return sa.select(*columns)


CELL = grid.cell(Project.lon, Project.lat)  # a point's cell, as the index ix_project_cell holds it
# a keyset page in the grid's order starts after this cell and project id (the last of the page before)
AFTER_CELL, AFTER_ID = sa.bindparam("after_cell", type_=sa.BigInteger), sa.bindparam("after_id", type_=sa.String)


def grid_ids(conditions, dialect, keyset=False):
    """The ids of a page of the projects of a box (``conditions``: the exact lon/lat ones of
    ``filters.exact_box_conditions`` and any others) in the grid's order, by cell then id (store/grid.py), for
    ``Page(ids=...)``: each of the box's strips of cells (bound with ``filters.strip_parameters``) read in that
    order off the index ``ix_project_cell`` (``_each_strip``), up to the page's end. ``keyset``: the page starts
    after the bound AFTER_CELL and AFTER_ID."""
    after = [sa.tuple_(CELL, Project.project_id) > sa.tuple_(AFTER_CELL, AFTER_ID)] if keyset else []
    order = [sa.literal_column("cell"), sa.literal_column("project_id")]
    strips = _each_strip(lambda first, last: sa.select(Project.project_id, CELL.label("cell")).where(
        CELL.between(first, last), *conditions, *after), dialect, PAGE_LIMIT + PAGE_OFFSET, order)
    return strips.order_by(*order).offset(PAGE_OFFSET).limit(PAGE_LIMIT).subquery("page")


def grid_count_up_to(conditions, most, dialect):
    """``count_up_to`` for the projects of a box's strips (as ``grid_ids``) that match ``conditions``: counted off
    the index ``ix_project_cell`` alone, one strip after the other."""
    found = _each_strip(lambda first, last: sa.select(sa.literal(1).label("found")).where(
        CELL.between(first, last), *conditions), dialect, most + 1)
    return sa.select(sa.func.count()).select_from(found.limit(most + 1).subquery()).scalar_subquery()


def _each_strip(strip, dialect, most, order=()):
    """The rows of ``strip(first cell, last cell)`` (a select) for each strip of a box, as one selectable.

    SQLite: a union of a select per strip (``filters.STRIP_RANGES``), which it merges or runs one after the other
    as the rows are asked for. PostgreSQL: the arrays of the strips' ranges (``filters.STRIP_ARRAYS``) joined
    laterally to ``strip``, each strip read in ``order`` up to ``most`` rows: a union's generic plan sorted all the
    strips hold, and its text, longer than psycopg caches, was parsed again on every request."""
    if dialect != "postgresql":
        return sa.union_all(*[strip(first, last) for first, last in STRIP_RANGES])
    ranges = sa.func.unnest(*STRIP_ARRAYS).table_valued("low", "high").render_derived(name="strip_ranges")
    lateral = strip(ranges.c.low, ranges.c.high).order_by(*order).limit(most).lateral("strip")
    return sa.select(*lateral.c).select_from(ranges).join(lateral, sa.true())


def count_up_to(conditions, most, source=Project.__table__):
    """A column of the number of projects matching ``conditions`` (on ``source``: the projects, or what
    ``filters.projects_from`` gives), counted up to ``most + 1`` (beyond, the exact number is not worth visiting
    every match). A page's statement carries it, so that a page and its count are one round trip; the databases
    evaluate it once, not per row."""
    found = sa.select(sa.literal(1)).select_from(source).where(*conditions).limit(most + 1).subquery()
    return sa.select(sa.func.count()).select_from(found).scalar_subquery()


def records_page(session, filters, sort, limit, offset, areas, after=None):
    """A page of project records (dicts in RECORD_FIELDS order)."""
    page = Page(keyset_conditions(filters, after), sort_order(sort), RECORD_FIELDS)
    return [record for _, record in page.read(session, limit, offset, areas)[0]]


def features(page):
    """GeoJSON Feature parts of what a ``Page.of_features`` read: [(id, properties dict, geometry GeoJSON text or
    None)], for ``feature_object`` and ``dumps``."""
    return [(lead[0], record, point_text(lead[1], lead[2])) for lead, record in page]


def point_text(lon, lat):
    """The GeoJSON text of a point, coordinates rounded to COORDINATE_DECIMALS as ``round`` rounds; None
    without a point."""
    if lon is None or lat is None:
        return None
    return (f'{{"type":"Point","coordinates":[{round(lon, COORDINATE_DECIMALS)!r},'
            f'{round(lat, COORDINATE_DECIMALS)!r}]}}')


def collection_text(session, filters, sort, limit, offset, areas, after=None):
    """A page of projects as a GeoJSON FeatureCollection (JSON bytes), every property kept (null when unknown)."""
    page, _ = Page.of_features(keyset_conditions(filters, after), sort_order(sort)).read(session, limit, offset, areas)
    return dumps({"type": "FeatureCollection", "features": [feature_object(*f) for f in features(page)]})


def feature_object(feature_id, properties, geometry):
    """One GeoJSON Feature for ``dumps``, its geometry (GeoJSON text) embedded as it is."""
    return {"type": "Feature", "id": feature_id, "properties": properties,
            "geometry": None if geometry is None else orjson.Fragment(geometry)}


def dumps(document, sort_keys=False):
    """JSON bytes of a document of the read path: UTF-8, dates as "YYYY-MM-DD", floats as ``json.dumps`` writes
    their value; keys sorted when ``sort_keys`` (as ``jsonify`` sorts them)."""
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_SORT_KEYS if sort_keys else 0))


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


def _page_members(returned, total, limit, offset, base_url, args, last_id=None, after=None):
    """count, position and links; deep in the default order (from KEYSET_FROM, or after a keyset page) next
    carries ``after=<last_id>``, and a keyset page (its position unknown) has no prev link."""
    def link(position):
        params = {k: v for k, v in args.items() if k not in ("offset", "after")} | position | {"limit": limit}
        return base_url + "?" + urlencode(params)

    default_order = parse_sort(args.get("sort")) == ("project_id", False)
    keyset = default_order and last_id is not None and (after is not None or offset + limit >= KEYSET_FROM)
    more = returned == limit if after is not None else offset + limit < total
    members = {
        "total": total, "limit": limit, "offset": offset, "returned": returned,
        "next": (link({"after": last_id} if keyset else {"offset": offset + limit}) if more else None),
        "prev": link({"offset": max(offset - limit, 0)}) if offset > 0 and after is None else None,
    }
    return members if after is None else members | {"after": after}


def page_text(records, total, limit, offset, base_url, args, after=None):
    """A page of records (``records_page``) with its count and next/previous links (the other parameters kept), as
    JSON bytes; members sorted, as ``jsonify`` sorts them."""
    last_id = records[-1]["project_id"] if records else None
    members = _page_members(len(records), total, limit, offset, base_url, args, last_id, after)
    return dumps(members | {"projects": records}, sort_keys=True)
