"""The projects of a box come in the grid's order (store/grid.py): by cell, then project id, the cell computed by
the databases as by the grid; every page of a box, followed by its next links or started after a project, is the
box's projects in that order on both databases, with filters too; sortby still orders by id."""
import random

import pytest
import sqlalchemy as sa

from mapservice.ingest.pipelines import import_sample
from mapservice.read.projects import CELL
from mapservice.store import grid
from mapservice.store.models import Project
from mapservice.web import create_app

BOXES = [
    (102.7, 13.4, 103.5, 14.0),   # a few rows
    (104.0, 11.0, 105.0, 12.0),   # edges on the grid's lines
    (103.0, 10.0, 104.0, 15.0),   # more rows than strips: grouped
    (102.0, 10.0, 108.0, 15.0),   # the whole country
    (105.5, -90.0, -170.0, 90.0),  # across the antimeridian
]


def test_a_boxs_strips_hold_every_point_inside_it():
    rng = random.Random(3)
    boxes = [*BOXES, (104.9, 11.55, 104.9, 11.55), (-180.0, -90.0, 180.0, 90.0), (179.5, 10.0, -179.5, 10.3)]
    for _ in range(300):
        x, y = rng.uniform(-180, 179), rng.uniform(-90, 89)
        boxes.append((x, y, min(180.0, x + rng.choice([0.0, 0.01, 0.1, 0.5, 3.0])),
                      min(90.0, y + rng.choice([0.0, 0.1, 0.3, 2.0]))))
    for box in boxes:
        ranges = grid.strips(box)
        assert len(ranges) == grid.STRIPS
        used = [r for r in ranges if r != grid.EMPTY]
        assert used and all(first <= last for first, last in used)
        minx, miny, maxx, maxy = box
        spans = [(minx, maxx)] if minx <= maxx else [(minx, 180.0), (-180.0, maxx)]
        points = [(x, y) for x0, x1 in spans for x in (x0, x1, rng.uniform(x0, x1)) for y in (miny, maxy)]
        points += [(rng.uniform(*rng.choice(spans)), rng.uniform(miny, maxy)) for _ in range(50)]
        for lon, lat in points:
            cell = grid.cell_of(lon, lat)
            assert any(first <= cell <= last for first, last in used), (box, lon, lat)
        rows = grid.row(maxy) - grid.row(miny) + 1
        if rows <= grid.STRIPS and minx <= maxx:  # one row each, only the box's columns
            assert [last - first for first, last in used] == [grid.column(maxx) - grid.column(minx)] * rows


@pytest.fixture
def sampled(db):
    import_sample(db.sessions, db.config, 3000, seed=1)
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "MAPSERVICE_DATA_DIR": db.config["MAPSERVICE_DATA_DIR"],
                      "TESTING": True})
    with db.sessions() as session:
        points = session.execute(sa.select(Project.project_id, Project.lon, Project.lat, Project.fiscal_year, CELL.label("cell"))
                                 .where(Project.lon.is_not(None))).all()
    return app.test_client(), points


def in_box(points, box, year=None):
    """The ids of the points inside ``box`` (and of ``year``) in the grid's order, worked out here."""
    minx, miny, maxx, maxy = box
    inside = [p for p in points if miny <= p.lat <= maxy and (minx <= p.lon <= maxx if minx <= maxx else
                                                              p.lon >= minx or p.lon <= maxx)
              and (year is None or p.fiscal_year == year)]
    return [p.project_id for p in sorted(inside, key=lambda p: (grid.cell_of(p.lon, p.lat), p.project_id))]


def every_page(client, url):
    """The ids of every page from ``url`` on, following the next links."""
    found, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        found += [feature["id"] for feature in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        pages += 1
    return found, pages


def test_the_databases_compute_each_points_cell_as_the_grid_does(sampled):
    _client, points = sampled
    assert len(points) == 3000
    assert [p.cell for p in points] == [grid.cell_of(p.lon, p.lat) for p in points]


@pytest.mark.parametrize("box", BOXES)
def test_every_page_of_a_box_is_its_projects_in_the_grids_order(sampled, box):
    client, points = sampled
    bbox = ",".join(str(number) for number in box)
    expected = in_box(points, box)
    assert expected
    found, pages = every_page(client, f"/ogc/collections/projects/items?bbox={bbox}&limit=70")
    assert found == expected and pages == len(expected) // 70 + 1
    page = client.get(f"/ogc/collections/projects/items?bbox={bbox}&limit=50&year=2016").get_json()
    assert [feature["id"] for feature in page["features"]] == in_box(points, box, 2016)[:50]
    by_id = client.get(f"/ogc/collections/projects/items?bbox={bbox}&limit=1000&sortby=project_id").get_json()
    assert [feature["id"] for feature in by_id["features"]] == sorted(expected)[:1000]


def test_a_keyset_page_of_a_box_starts_after_the_project_it_names(sampled, monkeypatch):
    client, points = sampled
    box = BOXES[3]
    expected = in_box(points, box)
    url = "/ogc/collections/projects/items?bbox=102,10,108,15&limit=100"
    page = client.get(f"{url}&after={expected[149]}").get_json()
    assert [feature["id"] for feature in page["features"]] == expected[150:250]
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert f"after={expected[249]}" in nxt
    from mapservice.formats import ogc
    monkeypatch.setattr(ogc, "KEYSET_FROM", 200)  # the next links carry the last id from this offset on
    found, _ = every_page(client, url)
    assert found == expected
    for after in ("NO-SUCH-PROJECT", "%27%3B--"):
        response = client.get(f"{url}&after={after}")
        assert response.status_code == 400
        assert response.get_json()["error"].startswith("after was ")
        assert "the id of a project with a point" in response.get_json()["error"]
