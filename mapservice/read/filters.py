"""The filters every layer, endpoint and download shares: parsed once from query parameters, validated,
and turned into SQL conditions on the project table. No Flask here: ``parse_filters`` takes any mapping."""
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from mapservice.store import grid, vocabulary
from mapservice.store.models import Project

FILTER_PARAMETERS = ("year", "province", "district", "commune", "sector", "status", "eia_required", "eia_status",
                     "funding_source", "q")
CHOICES = {
    "sector": vocabulary.SECTORS, "status": vocabulary.STATUSES, "eia_status": vocabulary.EIA_STATUSES,
    "funding_source": vocabulary.FUNDING_SOURCES,
}
CODE_LENGTH = {"province": 2, "district": 4, "commune": 6}
MAX_QUERY_LENGTH = 100
# A blank value is an error, not "all": `sector=%20` silently meaning "every sector" turned a filtered request into a
# full-dataset export. Leaving the parameter out is how to ask for all.
BLANK = "a value (leave the parameter out for all)"
YES_NO = {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False}  # exactly as documented


class FilterError(ValueError):
    """A query parameter that is not allowed; the message names the parameter, the value and what is allowed."""

    def __init__(self, parameter, value, expected):
        self.parameter, self.value, self.expected = parameter, value, expected
        super().__init__(f'{parameter} was "{value}"; expected {expected}')


class UnknownParameter(FilterError):
    """A query parameter the endpoint does not take."""

    def __init__(self, parameter, allowed):
        ValueError.__init__(self, f'{parameter} is not a parameter of this endpoint; it takes {", ".join(allowed)}')
        self.parameter, self.value, self.expected = parameter, None, list(allowed)


@dataclass(frozen=True)
class Filters:
    """Validated filters; empty tuples and None mean "not filtered"."""

    year_from: int | None = None
    year_to: int | None = None
    province: tuple = ()
    district: tuple = ()
    commune: tuple = ()
    sector: tuple = ()
    status: tuple = ()
    eia_required: bool | None = None
    eia_status: tuple = ()
    funding_source: tuple = ()
    q: str | None = None

    def only_statistics_dimensions(self):
        """True when per-area statistics (by year, sector and area) can answer without reading projects."""
        return not (self.status or self.eia_required is not None or self.eia_status or self.funding_source or self.q)

    def as_params(self):
        """The normalised query parameters (sorted lists, canonical year), used in cache keys and links."""
        params = {}
        if self.year_from is not None:
            same = self.year_from == self.year_to
            params["year"] = str(self.year_from) if same else f"{self.year_from}-{self.year_to}"
        for name in ("province", "district", "commune", "sector", "status", "eia_status", "funding_source"):
            if getattr(self, name):
                params[name] = ",".join(getattr(self, name))
        if self.eia_required is not None:
            params["eia_required"] = "yes" if self.eia_required else "no"
        if self.q:
            params["q"] = self.q
        return params


def parse_filters(args, area_codes, first_year=2014, last_year=2019):
    """Validate the filter parameters of ``args`` (a mapping of str to str) into ``Filters``.

    ``area_codes`` is the set of stored area codes; an unknown code is an error, not an empty result.
    """
    check_single_values(args, FILTER_PARAMETERS)
    values = {}
    year = _get(args, "year")
    if year is not None:
        values["year_from"], values["year_to"] = _parse_years(year, first_year, last_year)
    for level in ("province", "district", "commune"):
        values[level] = _parse_codes(args, level, area_codes)
    for name, choices in CHOICES.items():
        values[name] = _parse_choices(args, name, choices)
    values["eia_required"] = _parse_yes_no(args, "eia_required")
    query = _get(args, "q")
    if query is not None:
        if len(query) > MAX_QUERY_LENGTH:
            raise FilterError("q", query[:20] + "...", f"at most {MAX_QUERY_LENGTH} characters")
        values["q"] = " ".join(query.split()) or None
    return Filters(**values)


def check_single_values(args, names, blank_ok=False):
    """Raise FilterError for a parameter of ``names`` given twice (only one would count, silently) or blank."""
    getlist = getattr(args, "getlist", None)
    for name in names:
        values = getlist(name) if getlist else ([args[name]] if name in args else [])
        if len(values) > 1:
            raise FilterError(name, "&".join(values), "one value (several codes or choices go comma-separated)")
        if values and not blank_ok and not str(values[0]).strip():
            raise FilterError(name, values[0], BLANK)


def _get(args, name):
    value = args.get(name)
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        raise FilterError(name, args.get(name), BLANK)
    return value


def _parse_years(text, first, last):
    expected = f"a year from {first} to {last}, or a range such as {first}-{last}"
    match = re.fullmatch(r"(\d{4})(?:\s*[-/]\s*(\d{4}))?", text)
    if not match:
        raise FilterError("year", text, expected)
    start, end = int(match.group(1)), int(match.group(2) or match.group(1))
    if not (first <= start <= end <= last):
        raise FilterError("year", text, expected)
    return start, end


def _split(args, name):
    value = _get(args, name)
    if value is None:
        return []
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not parts:  # "," alone is as blank as ""
        raise FilterError(name, value, BLANK)
    return parts


def _parse_codes(args, level, area_codes):
    codes = []
    for raw in _split(args, level):
        code = raw.upper().removeprefix("KH")
        if not re.fullmatch(rf"\d{{{CODE_LENGTH[level]}}}", code) or code not in area_codes:
            raise FilterError(level, raw, f"a {level} code of {CODE_LENGTH[level]} digits that exists "
                                          "(see /api/v1/places)")
        codes.append(code)
    return tuple(sorted(set(codes)))


def _parse_choices(args, name, choices):
    picked = []
    for value in _split(args, name):
        if value not in choices:
            raise FilterError(name, value, f"one or more of {', '.join(choices)} (comma-separated)")
        picked.append(value)
    return tuple(sorted(set(picked)))


def _parse_yes_no(args, name):
    value = _get(args, name)
    if value is None:
        return None
    if value not in YES_NO:
        raise FilterError(name, value, "yes or no")
    return YES_NO[value]


def project_conditions(filters):
    """SQL conditions on ``Project`` for the filters (all combined with AND)."""
    p, conditions = Project, []
    # One year is an equality, so that an index on (area or sector, fiscal_year, project_id) gives a page its order:
    # with BETWEEN 2018 AND 2018 PostgreSQL walked the primary key instead, past 700k projects at 1M.
    if filters.year_from is not None and filters.year_from == filters.year_to:
        conditions.append(p.fiscal_year == filters.year_from)
    elif filters.year_from is not None:
        conditions.append(p.fiscal_year.between(filters.year_from, filters.year_to))
    for level, column in (("province", p.province_code), ("district", p.district_code), ("commune", p.commune_code)):
        if getattr(filters, level):
            conditions.append(column.in_(getattr(filters, level)))
    for name in ("sector", "status", "eia_status", "funding_source"):
        if getattr(filters, name):
            conditions.append(getattr(p, name).in_(getattr(filters, name)))
    if filters.eia_required is not None:
        conditions.append(p.eia_required.is_(filters.eia_required))
    if filters.q:
        for word in filters.q.split(" "):
            literal = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")  # words, not wildcards
            pattern = f"%{literal.casefold()}%"
            conditions.append(sa.or_(sa.func.lower(p.title_en).like(pattern, escape="\\"),
                                     p.title_km.like(f"%{literal}%", escape="\\"),
                                     sa.func.lower(p.project_id).like(pattern, escape="\\")))
    return conditions


BOX_PARAMETERS = ("box_minx", "box_miny", "box_maxx", "box_maxy")


def box_parameters(bbox):
    """The values of BOX_PARAMETERS for ``bbox``."""
    return dict(zip(BOX_PARAMETERS, (float(value) for value in bbox)))


def bbox_conditions(bbox, dialect):
    """SQL conditions on ``Project`` for points inside ``bbox`` (minlon, minlat, maxlon, maxlat; minlon > maxlon
    crosses the antimeridian), edges included. The spatial index picks the candidates (PostGIS ``&&`` on the GiST
    index, SpatiaLite's R*Tree ``idx_project_geom``); both keep boxes in 32-bit floats rounded outward, so the
    stored lon/lat decide exactly. The numbers are the named bind parameters BOX_PARAMETERS: a statement made for
    one box serves another on the same side of the antimeridian, run with its ``box_parameters``."""
    if bbox is None:
        return []
    (minx, miny, maxx, maxy), spans = _box_binds(bbox)
    if dialect == "postgresql":
        candidates = [sa.or_(*[Project.geom.op("&&")(sa.func.ST_MakeEnvelope(x0, miny, x1, maxy, 4326))
                               for x0, x1 in spans])]
    else:  # on the R*Tree's columns: the statement selects from projects_from(bbox, dialect)
        candidates = [sa.or_(*[sa.and_(RTREE.c.xmin <= x1, RTREE.c.xmax >= x0) for x0, x1 in spans]),
                      RTREE.c.ymin <= maxy, RTREE.c.ymax >= miny]
    return [*candidates, *exact_box_conditions(bbox)]


def exact_box_conditions(bbox):
    """The conditions on the stored lon/lat of the points inside ``bbox`` (edges included), with the named bind
    parameters BOX_PARAMETERS: what decides, after an index (spatial, or the grid's) gave the candidates."""
    (_minx, miny, _maxx, maxy), spans = _box_binds(bbox)
    return [sa.or_(*[Project.lon.between(x0, x1) for x0, x1 in spans]), Project.lat.between(miny, maxy)]


def _box_binds(bbox):
    """The bind parameters of a box's numbers, and its spans of longitude (two across the antimeridian)."""
    minx, miny, maxx, maxy = (sa.bindparam(name, value, type_=sa.Float) for name, value in box_parameters(bbox).items())
    return (minx, miny, maxx, maxy), [(minx, maxx)] if bbox[0] <= bbox[2] else [(minx, 180.0), (-180.0, maxx)]


# the ranges of grid cells (store/grid.py) of a box's strips, as bind parameters (their values: strip_parameters):
# on SQLite a pair per strip, on PostgreSQL an array of the first cells and one of the last
STRIP_RANGES = [tuple(sa.bindparam(f"strip_{i}_{end}", type_=sa.BigInteger) for end in ("from", "to"))
                for i in range(grid.STRIPS)]
STRIP_ARRAYS = tuple(sa.bindparam(f"strips_{end}", type_=postgresql.ARRAY(sa.BigInteger)) for end in ("from", "to"))


def strip_parameters(bbox, dialect):
    """The values of STRIP_RANGES (STRIP_ARRAYS on PostgreSQL, the strips the box uses) for ``bbox``."""
    ranges = grid.strips(bbox)
    if dialect == "postgresql":
        used = [strip for strip in ranges if strip != grid.EMPTY]
        return {bind.key: [strip[end] for strip in used] for end, bind in enumerate(STRIP_ARRAYS)}
    return {bind.key: value for binds, values in zip(STRIP_RANGES, ranges) for bind, value in zip(binds, values)}


# SpatiaLite's R*Tree of the projects' points, and the projects joined to their entries: a box's conditions read
# the index as a join (SQLite walks the R*Tree and looks each row up by its rowid), a third cheaper at 1M projects
# than ``rowid IN (the R*Tree's ids)``, which SQLite first copies into a temporary table
RTREE = sa.table("idx_project_geom", *[sa.column(name) for name in ("pkid", "xmin", "xmax", "ymin", "ymax")])
INDEXED_PROJECTS = Project.__table__.join(RTREE, RTREE.c.pkid == sa.literal_column(f"{Project.__tablename__}.rowid"))


def projects_from(bbox, dialect):
    """What a statement with ``bbox_conditions(bbox, dialect)`` selects from: the projects, joined to their R*Tree
    on SpatiaLite when there is a box."""
    return INDEXED_PROJECTS if bbox is not None and dialect != "postgresql" else Project.__table__
