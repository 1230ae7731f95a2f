"""The read path uses the indexes: the statements an OGC API bbox request and a filtered /api/v1/projects request
really run are explained by each database (PostgreSQL EXPLAIN, SQLite EXPLAIN QUERY PLAN) and must read the
project table through its spatial index or a filter index, never by a scan; an existing database gets the indexes it
lacks when the app starts."""
import contextlib

import pytest
import sqlalchemy as sa

from mapservice.ingest.pipelines import import_sample
from mapservice.store import grid
from mapservice.store.db import SQLITE_MMAP_BYTES, create_db_engine, init_schema
from mapservice.web import create_app
from tests.test_tiles import tile_of


@pytest.fixture
def loaded(db):
    """3,000 SAMPLE projects over the country (enough for a planner to choose), with fresh planner statistics."""
    import_sample(db.sessions, db.config, 3000, seed=1)
    engine = create_db_engine(db.config)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    return db


@contextlib.contextmanager
def statements_run():
    """Every (statement, parameters) any engine runs inside the block."""
    seen = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def plans(db, statements):
    """The plan text of each statement on the project table. On tables this small a planner may rightly scan or walk
    the primary key, so PostgreSQL is left only the plans that search an index by the condition (bitmap scans) and
    the scan, made the most costly: a condition no index serves (lon BETWEEN ...) still shows a Seq Scan."""
    engine = create_db_engine(db.config)
    found = []
    with engine.connect() as conn:
        cursor = conn.connection.cursor()
        if db.backend == "postgis":  # only plans that read an index on the condition remain (bitmap scans)
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_indexscan = off")
        for statement, parameters in statements:
            if "FROM project" not in statement or not statement.lstrip().upper().startswith("SELECT"):
                continue
            prefix = "EXPLAIN " if db.backend == "postgis" else "EXPLAIN QUERY PLAN "
            cursor.execute(prefix + statement, parameters)
            found.append((statement, "\n".join(str(row[-1]) for row in cursor.fetchall())))
    engine.dispose()
    return found


def request_plans(db, url):
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "MAPSERVICE_DATA_DIR": db.config["MAPSERVICE_DATA_DIR"],
                      "TESTING": True})
    client = app.test_client()
    client.get("/api/v1/")  # the snapshot first, so that only the request's own statements are seen
    with statements_run() as seen:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, plans(db, seen)


def test_a_bbox_page_and_its_count_read_the_grid_index(loaded):
    response, found = request_plans(loaded, "/ogc/collections/projects/items?bbox=102.7,13.4,102.9,13.5&limit=1")
    page = response.get_json()
    assert page["numberMatched"] > page["numberReturned"] == 1
    assert len(found) == 1  # one statement: the page and its count (a full page: a last page needs no count)
    statement, plan = found[0]
    if loaded.backend == "postgis":  # the box's strips joined to the grid's index, for the page and the count
        assert plan.count("Index Scan on ix_project_cell") == 2, (statement, plan)
        assert plan.count("Function Scan on strip_ranges") == 2, (statement, plan)
        assert "Seq Scan on project" not in plan, (statement, plan)
    else:  # the strips read off the index alone, in its order (no sort of the rows they hold)
        assert plan.count("SEARCH project USING COVERING INDEX ix_project_cell (<expr>>? AND <expr><?)") == (
            2 * grid.STRIPS), (statement, plan)
        assert "SCAN project" not in plan and "TEMP B-TREE" not in plan, (statement, plan)


@pytest.mark.parametrize("query, index", [
    ("year=2016&province=01", "ix_project_province_year"),
    ("district=0105", "ix_project_district_year"),
    ("sector=well&year=2017", "ix_project_sector_year"),
])
def test_filtered_project_lists_read_a_filter_index(loaded, query, index):
    response, found = request_plans(loaded, f"/api/v1/projects?{query}&limit=1")
    assert response.get_json()["total"] >= 1
    assert len(found) == 2  # the page and its count (a full page: a last page needs no count)
    for statement, plan in found:
        assert index in plan, (statement, plan)
        assert "Seq Scan on project" not in plan and "SCAN project" not in plan.replace("SCAN project_", ""), plan


def test_an_existing_database_gets_the_missing_indexes_at_start(db):
    engine = create_db_engine(db.config)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_project_province_year"))
        conn.execute(sa.text("DROP INDEX ix_project_cell"))
    init_schema(engine)
    with engine.connect() as conn:
        names = set(conn.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'" if db.backend ==
                                         "spatialite" else "SELECT indexname FROM pg_indexes")))
    engine.dispose()
    assert {"ix_project_province_year", "ix_project_district_year", "ix_project_commune_year",
            "ix_project_sector_year", "ix_project_year", "ix_project_cell"} <= names


def test_a_postgis_schema_made_after_a_spatialite_one_has_its_spatial_index(make_db):
    """GeoAlchemy2's SQLite DDL takes the spatial indexes off the shared model: PostGIS made next must get them."""
    spatialite, postgis = make_db("spatialite"), make_db("postgis")
    for db in (spatialite, postgis):
        engine = create_db_engine(db.config)
        init_schema(engine)
        engine.dispose()
    assert postgis.scalar("SELECT count(*) FROM pg_indexes WHERE indexname IN ('idx_project_geom', "
                          "'idx_admin_area_geom')") == 2
    assert spatialite.scalar("SELECT count(*) FROM sqlite_master WHERE name IN ('idx_project_geom', "
                             "'idx_admin_area_geom')") == 2


def test_spatialite_connections_map_the_file(make_db):
    """SpatiaLite reads its pages through a memory mapping (no read() call per page): PRAGMA mmap_size is set on
    every connection the engine opens."""
    db = make_db("spatialite")
    engine = create_db_engine(db.config)
    with engine.connect() as first, engine.connect() as second:
        sizes = [conn.exec_driver_sql("PRAGMA mmap_size").scalar() for conn in (first, second)]
    engine.dispose()
    assert sizes == [SQLITE_MMAP_BYTES, SQLITE_MMAP_BYTES]


@pytest.mark.parametrize("z", [7, 13])  # thinned below z12 (the lowest id per grid cell), every project from z12
def test_a_rendered_project_tile_reads_an_index(loaded, z):
    x, y = tile_of(104.9, 11.6, z)
    response, found = request_plans(loaded, f"/tiles/projects/{z}/{x}/{y}.mvt?year=2016&sector=rural_road")
    assert response.data and found  # features in the tile, from statements on the project table
    for statement, plan in found:
        assert "Seq Scan on project" not in plan and "SCAN project" not in plan.replace("SCAN project_", ""), plan
        # SpatiaLite: joined to the R*Tree, not rowid IN (SpatialIndex ...), which first lists every id of the box
        assert "LIST SUBQUERY" not in plan, (statement, plan)
    if z >= 12:  # a street's tile: its box picks fewer projects than the year and sector (a z7 tile may not)
        assert any("idx_project_geom" in plan for _statement, plan in found), found
