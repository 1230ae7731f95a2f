"""The join rules on hand-drawn communes: borders, holes, outside, conflicts, code-only placement."""
import numpy as np
import pandas as pd
import pytest

from mapservice.ingest.join import join_projects_to_communes
from mapservice.store.spatial import locate_points
from tests import handdrawn as hd


@pytest.mark.parametrize("point, expected", [
    (hd.INSIDE_A, "010201"),
    (hd.INSIDE_B, "010202"),
    (hd.INSIDE_C, "010301"),
    (hd.ON_SHARED_BORDER, "010201"),      # shared by 010201 and 010202: lowest code wins
    (hd.ON_THREE_WAY_CORNER, "010201"),   # shared by all three
    (hd.IN_HOLE, None),
    (hd.OUTSIDE_EVERY_COMMUNE, None),
    ((np.nan, np.nan), None),
])
def test_locate_points(point, expected):
    assert locate_points([point[0]], [point[1]], hd.communes()).tolist() == [expected]


def test_border_rule_does_not_depend_on_polygon_order():
    reversed_communes = hd.communes().iloc[::-1].reset_index(drop=True)
    lon, lat = zip(hd.ON_SHARED_BORDER, hd.ON_THREE_WAY_CORNER)
    assert locate_points(lon, lat, reversed_communes).tolist() == ["010201", "010201"]


def test_join_statuses_and_placement():
    records = pd.DataFrame({
        "project_id": ["agree", "conflict", "code-only", "point-only", "unmatched", "code-outside"],
        "commune_code": ["010201", "010202", "010301", None, None, "010202"],
        "lon": [hd.INSIDE_A[0], hd.INSIDE_A[0], np.nan, hd.INSIDE_B[0], hd.IN_HOLE[0], hd.OUTSIDE_EVERY_COMMUNE[0]],
        "lat": [hd.INSIDE_A[1], hd.INSIDE_A[1], np.nan, hd.INSIDE_B[1], hd.IN_HOLE[1], hd.OUTSIDE_EVERY_COMMUNE[1]],
    })
    communes = hd.communes()
    joined = join_projects_to_communes(records, communes)
    label_c = communes.set_index("code").loc["010301", ["label_lon", "label_lat"]].tolist()
    expected = pd.DataFrame({
        "project_id": records["project_id"],
        # the stated commune keeps the money in a conflict
        "commune_code": ["010201", "010202", "010301", "010202", None, "010202"],
        "lon": [hd.INSIDE_A[0], hd.INSIDE_A[0], label_c[0], hd.INSIDE_B[0], hd.IN_HOLE[0], hd.OUTSIDE_EVERY_COMMUNE[0]],
        "lat": [hd.INSIDE_A[1], hd.INSIDE_A[1], label_c[1], hd.INSIDE_B[1], hd.IN_HOLE[1], hd.OUTSIDE_EVERY_COMMUNE[1]],
        "point_code": ["010201", "010201", None, "010202", None, None],
        "join_status": ["agree", "conflict", "code_only", "point_only", "unmatched", "conflict"],
        "location_precision": ["exact", "exact", "commune", "exact", "exact", "exact"],
        "district_code": ["0102", "0102", "0103", "0102", None, "0102"],
        "province_code": ["01", "01", "01", "01", None, "01"],
    })
    pd.testing.assert_frame_equal(joined[expected.columns], expected, check_dtype=False)
    # the representative point of the commune is inside it, so code-only projects sit in their commune
    assert locate_points([label_c[0]], [label_c[1]], communes).tolist() == ["010301"]
