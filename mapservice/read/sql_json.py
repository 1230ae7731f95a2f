"""JSON text built by the database, for the pages that hold many rows (OGC API items, /api/v1/projects): one text
per row, so that no Python object is made per row or per value. PostgreSQL (``json_build_object``,
``ST_AsGeoJSON``) and SpatiaLite (``json_object``, ``AsGeoJSON``) each get the SQL that gives the values Python's
``json.dumps`` gives: booleans as true/false (SQLite keeps 0/1), dates as "YYYY-MM-DD", floats that read back as the
same double (SQLite's own JSON keeps only 15 digits), points rounded to 6 decimals as ``round(x, 6)`` rounds."""
import functools

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

DIALECTS = {"postgresql": postgresql.dialect, "sqlite": sqlite.dialect}

COORDINATE_DECIMALS = 6  # about 0.1 m, as RFC 7946 recommends


def _kind(column):
    kind = column.type
    return ("boolean" if isinstance(kind, sa.Boolean) else "date" if isinstance(kind, sa.Date)
            else "float" if isinstance(kind, sa.Float) else "plain")


def _postgres_value(column):
    kind = _kind(column)
    if kind == "date":
        return sa.func.to_char(column, "YYYY-MM-DD")
    if kind == "float":  # json.dumps writes 4100.0 where PostgreSQL writes 4100: keep the number a float
        whole = sa.and_(column == sa.func.trunc(column), sa.func.abs(column) < 1e15)
        return sa.case((whole, sa.cast(sa.cast(column, sa.Text) + ".0", sa.JSON)), else_=sa.func.to_json(column))
    return column


def _sqlite_value(column):
    kind = _kind(column)
    if kind == "boolean":
        return sa.case((column.is_(True), sa.func.json("true")), (column.is_(False), sa.func.json("false")))
    if kind == "float":  # 15 digits when they read back as the same double, else 17 (they always do)
        short = sa.func.printf("%!.15g", column)
        text = sa.case((sa.cast(short, sa.Float) == column, short), else_=sa.func.printf("%!.17g", column))
        return sa.case((column.is_(None), None), else_=sa.func.json(text))
    return column


def object_text(dialect, members, drop_nulls=False):
    """The JSON object text of ``members`` ((key, column) pairs, in order); members whose value is null left out
    when ``drop_nulls``. The expression is compiled once per dialect and members, and reaches statements as one
    SQL fragment: dozens of keys and cases would otherwise be walked for the statement cache's key on every
    request (milliseconds of CPU)."""
    return _object_fragment(dialect, tuple(members), drop_nulls)


@functools.lru_cache(maxsize=64)
def _object_fragment(dialect, members, drop_nulls):
    expression = _object_expression(dialect, members, drop_nulls)
    compiled = expression.compile(dialect=DIALECTS[dialect](), compile_kwargs={"literal_binds": True})
    return sa.literal_column(str(compiled), sa.Text)


def _object_expression(dialect, members, drop_nulls):
    if dialect == "postgresql":
        built = sa.func.json_build_object(*[part for key, column in members
                                            for part in (sa.literal(key), _postgres_value(column))])
        return sa.cast(sa.func.json_strip_nulls(built) if drop_nulls else built, sa.Text)
    built = sa.func.json_object(*[part for key, column in members for part in (sa.literal(key), _sqlite_value(column))])
    # RFC 7396 merge patch: a null member of the patch is removed, the others are added in their order
    return sa.func.json_patch("{}", built) if drop_nulls else built


def point_text(dialect, lon, lat):
    """The GeoJSON text of the point (lon, lat), coordinates rounded to 6 decimals; null without a point."""
    if dialect == "postgresql":
        return sa.func.ST_AsGeoJSON(sa.func.ST_MakePoint(lon, lat), COORDINATE_DECIMALS)
    return sa.func.AsGeoJSON(sa.func.MakePoint(lon, lat), COORDINATE_DECIMALS)


def dialect_of(session):
    """"postgresql" or "sqlite"."""
    return session.get_bind().dialect.name
