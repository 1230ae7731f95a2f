"""The grid of the projects' points, which orders a box's page of projects (OGC API items with a bbox).

A point's cell is a number: its row (a strip of ROWS_PER_DEGREE-th of a degree of latitude, south to north) times
COLUMNS, plus its column (a COLUMNS_PER_DEGREE-th of a degree of longitude, west to east). The project table has an
index on (cell, project_id, lon, lat) (store/models.py ``ix_project_cell``), so the projects of one row of a box
come out of the index in (cell, project_id) order, and a box is a few such ranges (``strips``), each read only as
far as the page needs (read/projects.py ``grid_ids``): a page of a box costs about its own length per strip however
many projects the box holds, where the order by id had to read and sort every project in the box (ten thousand in
a 0.5-degree box at 1M projects).

Both databases compute the cell from the stored lon/lat with the same arithmetic (IEEE doubles, truncated:
SQLite's CAST, PostgreSQL's trunc), and so does ``row``/``column`` here for a box's edges: a point inside a box is
in its rows and columns, and the exact lon/lat conditions decide the rest."""
import math

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

ROWS_PER_DEGREE, COLUMNS_PER_DEGREE = 10, 100
COLUMNS = 360 * COLUMNS_PER_DEGREE + 1  # columns 0 (-180) to 36,000 (+180)
STRIPS = 12  # the ranges of cells of one box: one per row (a 0.5-degree box has 6), rows grouped beyond
EMPTY = (1, 0)  # the range of a strip a box does not use


class cell(FunctionElement):  # noqa: N801 (an SQL expression, named as SQLAlchemy's functions are)
    """The cell of a point, ``cell(lon, lat)``: a BIGINT, NULL without a point."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(cell)
def _cell_sqlite(element, compiler, **kw):
    lon, lat = (compiler.process(argument, **kw) for argument in element.clauses)
    return (f"(CAST(({lat} + 90) * {ROWS_PER_DEGREE} AS INTEGER) * {COLUMNS} + "
            f"CAST(({lon} + 180) * {COLUMNS_PER_DEGREE} AS INTEGER))")


@compiles(cell, "postgresql")
def _cell_postgresql(element, compiler, **kw):
    lon, lat = (compiler.process(argument, **kw) for argument in element.clauses)
    return (f"(CAST(trunc(({lat} + 90) * {ROWS_PER_DEGREE}) * {COLUMNS} + "
            f"trunc(({lon} + 180) * {COLUMNS_PER_DEGREE}) AS BIGINT))")


def row(lat):
    return math.trunc((lat + 90) * ROWS_PER_DEGREE)


def column(lon):
    return math.trunc((lon + 180) * COLUMNS_PER_DEGREE)


def cell_of(lon, lat):
    """The cell of a point, as the databases compute it."""
    return row(lat) * COLUMNS + column(lon)


def strips(bbox):
    """STRIPS ranges (first cell, last cell) that hold every point of ``bbox`` (minlon, minlat, maxlon, maxlat;
    minlon > maxlon crosses the antimeridian): one per row of the box, only the box's columns; a box of more rows
    has them grouped (a range then also holds the other columns of its middle rows), as does a box across the
    antimeridian (whole rows). The ranges a box does not need are EMPTY."""
    minx, miny, maxx, maxy = bbox
    first, last = row(miny), row(maxy)
    west, east = (column(minx), column(maxx)) if minx <= maxx else (0, COLUMNS - 1)
    rows = last - first + 1
    bounds = [first + rows * i // STRIPS for i in range(STRIPS + 1)]
    ranges = [(start * COLUMNS + west, (end - 1) * COLUMNS + east) for start, end in zip(bounds, bounds[1:])
              if end > start]
    return ranges + [EMPTY] * (STRIPS - len(ranges))
