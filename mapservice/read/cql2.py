"""CQL2 filters (OGC API - Features Part 3): the text or JSON encoding parsed by pygeofilter, every property and
value checked against the collection's queryables, and the expression translated to SQLAlchemy conditions whose
values are all bound parameters (no SQL is built from the filter's text). No Flask here.

Supported: Basic CQL2 (AND, OR, NOT, =, <>, <, <=, >, >=, IS [NOT] NULL on properties and literals of the
queryable's type; DATE('...') for dates), LIKE, IN and BETWEEN, and S_INTERSECTS of the geometry with a BBOX or
any WKT/GeoJSON geometry (basic spatial functions plus)."""
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

import shapely
import shapely.geometry
import sqlalchemy as sa
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from mapservice.read.filters import FilterError

# cql-text is the draft's name for cql2-text, which GDAL up to 3.6 sends (and looks for in the API definition)
LANGUAGES = ("cql2-text", "cql2-json", "cql-text")
MAX_FILTER_LENGTH = 20000
COMPARISONS = {ast.Equal: "__eq__", ast.NotEqual: "__ne__", ast.LessThan: "__lt__", ast.LessEqual: "__le__",
               ast.GreaterThan: "__gt__", ast.GreaterEqual: "__ge__"}
PYTHON_TYPES = {"integer": (int, float), "number": (int, float), "string": (str,), "boolean": (bool,),
                "date": (date,)}


@dataclass(frozen=True)
class Queryable:
    """A property a filter (and sortby) may name: its column, JSON Schema type, allowed values and meaning."""

    name: str
    column: object
    type: str  # integer, number, string, boolean, date or geometry
    description: str
    enum: tuple = ()


class CQLError(FilterError):
    """A filter that cannot be parsed or does not fit the queryables; the message says where and why."""

    def __init__(self, message, parameter="filter"):
        ValueError.__init__(self, f"{parameter}: {message}")
        self.parameter, self.value, self.expected = parameter, None, message


def parse_filter(text, language, queryables, to_crs84=None):
    """The SQLAlchemy condition of a CQL2 filter (``language`` cql2-text or cql2-json, None = cql2-text);
    ``to_crs84`` turns a geometry literal given in the filter-crs into CRS84."""
    language = (language or "cql2-text").strip()
    if language not in LANGUAGES:
        raise FilterError("filter-lang", language, " or ".join(LANGUAGES[:2]))
    if len(text) > MAX_FILTER_LENGTH:
        raise CQLError(f"the filter is {len(text)} characters long; at most {MAX_FILTER_LENGTH} are accepted")
    tree = _parse_json(text) if language == "cql2-json" else _parse_text(text)
    return _condition(tree, queryables, to_crs84 or (lambda shape: shape))


def _parse_text(text):
    try:
        return parse_cql2_text(text)
    except UnexpectedInput as exc:
        raise CQLError(_syntax_error(text, exc)) from None
    except (ValueError, TypeError, AttributeError) as exc:
        raise CQLError(f"the filter is not valid CQL2 text ({exc})") from None


def _syntax_error(text, exc):
    """Where the parser stopped: the 1-based character position and what it found there."""
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return f"syntax error at position {len(text) + 1}: the filter ends too early (CQL2 text, e.g. " \
               "fiscal_year = 2016 AND province_code = '01')"
    position = (exc.pos_in_stream + 1) if exc.pos_in_stream is not None else exc.column
    found = exc.char if isinstance(exc, UnexpectedCharacters) else str(exc.token)
    return f'syntax error at position {position} (line {exc.line}, column {exc.column}): unexpected "{found}" ' \
           f"in CQL2 text: {text}"


def _parse_json(text):
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CQLError(f"syntax error at position {exc.pos + 1} (line {exc.lineno}, column {exc.colno}): "
                       f"{exc.msg} (the filter is not JSON)") from None
    try:
        return parse_cql2_json(_bbox_as_polygon(document))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CQLError(f"the filter is not valid CQL2 JSON ({exc}); e.g. "
                       '{"op": "=", "args": [{"property": "fiscal_year"}, 2016]}') from None


def _bbox_as_polygon(node):
    """A CQL2 JSON {"bbox": [minx, miny, maxx, maxy]} as a GeoJSON polygon (pygeofilter swaps its axes)."""
    if isinstance(node, list):
        return [_bbox_as_polygon(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"}:
        return shapely.geometry.mapping(_box(node["bbox"]))
    return {key: _bbox_as_polygon(value) for key, value in node.items()}


def _box(numbers):
    if not isinstance(numbers, (list, tuple)) or len(numbers) not in (4, 6) or not all(
            isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
        raise CQLError(f"a bbox has 4 numbers (minx, miny, maxx, maxy) or 6 with heights; got {numbers!r}")
    minx, miny, maxx, maxy = numbers if len(numbers) == 4 else (numbers[0], numbers[1], numbers[3], numbers[4])
    if minx > maxx or miny > maxy:
        raise CQLError(f"a bbox is minx, miny, maxx, maxy with min <= max; got {list(numbers)!r}")
    return shapely.box(minx, miny, maxx, maxy)


# --- translation ------------------------------------------------------------------------------------------

def _condition(node, queryables, to_crs84):
    if isinstance(node, ast.And):
        return sa.and_(_condition(node.lhs, queryables, to_crs84), _condition(node.rhs, queryables, to_crs84))
    if isinstance(node, ast.Or):
        return sa.or_(_condition(node.lhs, queryables, to_crs84), _condition(node.rhs, queryables, to_crs84))
    if isinstance(node, ast.Not):
        return sa.not_(_condition(node.sub_node, queryables, to_crs84))
    if isinstance(node, bool):  # the literals TRUE and FALSE as whole conditions
        return sa.true() if node else sa.false()
    if type(node) in COMPARISONS:
        return _comparison(node, queryables)
    if isinstance(node, ast.IsNull):
        condition = _property(node.lhs, queryables).column.is_(None)
        return sa.not_(condition) if node.not_ else condition
    if isinstance(node, ast.Like):
        return _like(node, queryables)
    if isinstance(node, ast.In):
        prop = _property(node.lhs, queryables)
        condition = prop.column.in_([_literal(value, prop) for value in node.sub_nodes])
        return sa.not_(condition) if node.not_ else condition
    if isinstance(node, ast.Between):
        prop = _property(node.lhs, queryables)
        condition = prop.column.between(_literal(node.low, prop), _literal(node.high, prop))
        return sa.not_(condition) if node.not_ else condition
    if isinstance(node, ast.GeometryIntersects):
        return _intersects(node, queryables, to_crs84)
    raise CQLError(f"{_name(node)} is not supported; this server implements Basic CQL2 (AND, OR, NOT, =, <>, <, "
                   "<=, >, >=, IS NULL), LIKE, IN, BETWEEN and S_INTERSECTS")


def _name(node):
    if isinstance(node, ast.Function):
        return f"the function {node.name}()"
    return f"{getattr(node, 'op', None) and node.op.value or type(node).__name__}"


def _comparison(node, queryables):
    lhs, rhs, method = node.lhs, node.rhs, COMPARISONS[type(node)]
    if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):  # 2016 = fiscal_year
        swapped = {"__lt__": "__gt__", "__le__": "__ge__", "__gt__": "__lt__", "__ge__": "__le__"}
        lhs, rhs, method = rhs, lhs, swapped.get(method, method)
    if not isinstance(lhs, ast.Attribute):
        raise CQLError(f"a comparison needs a property on one side; {lhs!r} and {rhs!r} are both values")
    prop = _property(lhs, queryables)
    if prop.type == "geometry":
        raise CQLError(f"{prop.name} is a geometry: use S_INTERSECTS({prop.name}, ...) instead of a comparison")
    if isinstance(rhs, ast.Attribute):
        other = _property(rhs, queryables)
        if _comparable(other.type) != _comparable(prop.type):
            raise CQLError(f"{prop.name} ({prop.type}) cannot be compared with {other.name} ({other.type})")
        return getattr(prop.column, method)(other.column)
    return getattr(prop.column, method)(_literal(rhs, prop, check_enum=method in ("__eq__", "__ne__")))


def _comparable(kind):
    return "number" if kind == "integer" else kind


def _property(node, queryables):
    if not isinstance(node, ast.Attribute):
        raise CQLError(f"expected a property name, got {node!r}")
    found = queryables.get(node.name)
    if found is None:
        raise CQLError(f'"{node.name}" is not a queryable of this collection; the queryables are '
                       f"{', '.join(queryables)} (see its /queryables)")
    return found


DATE_TEXT = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T(?:00:00(?::00)?Z?)?)?")


def _literal(value, prop, check_enum=True):
    """The Python value to bind for ``value`` against ``prop``; a value of another type is refused."""
    if prop.type == "date" and isinstance(value, str) and DATE_TEXT.fullmatch(value):
        value = date.fromisoformat(value[:10])  # GDAL sends a date as '2016-06-28T'
    if isinstance(value, datetime):
        raise CQLError(f"{prop.name} is a date; compare it with DATE('YYYY-MM-DD'), not a timestamp")
    allowed = PYTHON_TYPES.get(prop.type, ())
    if not isinstance(value, allowed) or (isinstance(value, bool) and prop.type != "boolean"):
        example = {"integer": "2016", "number": "1000000", "string": "'text'", "boolean": "TRUE",
                   "date": "DATE('2016-06-28')"}[prop.type]
        raise CQLError(f"{prop.name} is {prop.type}; {value!r} is not (e.g. {prop.name} = {example})")
    if check_enum and prop.enum and value not in prop.enum:
        raise CQLError(f'{prop.name} was "{value}"; expected one of {", ".join(map(str, prop.enum))}')
    return value


def _like(node, queryables):
    prop = _property(node.lhs, queryables)
    if prop.type != "string" or not isinstance(node.pattern, str):
        raise CQLError(f"LIKE compares text: {prop.name} is {prop.type}")
    # CQL2 wildcards are SQL's (% and _) with \ as escape; both databases compare case-insensitively here
    condition = sa.func.lower(prop.column).like(node.pattern.lower(), escape="\\")
    return sa.not_(condition) if node.not_ else condition


def _intersects(node, queryables, to_crs84):
    lhs, rhs = node.lhs, node.rhs
    if not isinstance(lhs, ast.Attribute):
        lhs, rhs = rhs, lhs
    prop = _property(lhs, queryables)
    if prop.type != "geometry":
        raise CQLError(f"S_INTERSECTS needs the geometry property; {prop.name} is {prop.type}")
    shape = to_crs84(_geometry(rhs))
    return prop.column.ST_Intersects(sa.func.ST_GeomFromText(sa.bindparam(None, shape.wkt), 4326))


def _geometry(value):
    """A shapely geometry (CRS84) from a WKT/GeoJSON literal or BBOX(minx, miny, maxx, maxy)."""
    if isinstance(value, ast.Function) and value.name.lower() == "bbox":
        return _box(value.arguments)
    if isinstance(value, values.Geometry):
        try:
            shape = shapely.geometry.shape(value.geometry)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CQLError(f"the geometry of S_INTERSECTS is not valid ({exc})") from None
        if not shape.is_valid:
            raise CQLError(f"the geometry of S_INTERSECTS is not valid: {shapely.is_valid_reason(shape)}")
        return shape
    raise CQLError(f"S_INTERSECTS takes a geometry literal (WKT, GeoJSON) or BBOX(minx, miny, maxx, maxy); "
                   f"got {value!r}")
