"""Totals are conserved across levels: property-based on random commune totals."""
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from mapservice.store.statistics import MEASURES, compute_area_statistics

codes = st.sampled_from(["010201", "010202", "010301", "020101", "020102", "250101"])
rows = st.lists(st.tuples(codes, st.integers(2014, 2019), st.sampled_from(["rural_road", "well", "school"]),
                          st.integers(1, 50), st.integers(0, 10**11), st.integers(0, 10**11), st.integers(0, 10**11)),
                max_size=60)


@settings(max_examples=100, deadline=None)
@given(rows)
def test_totals_are_conserved_across_levels(items):
    totals = pd.DataFrame(items, columns=["commune_code", "fiscal_year", "sector"] + MEASURES)
    totals = totals.groupby(["commune_code", "fiscal_year", "sector"], as_index=False)[MEASURES].sum()
    stats = compute_area_statistics(totals)
    expected = totals[MEASURES].sum()
    for level in ("province", "district", "commune"):
        of_level = stats[stats["level"] == level]
        assert of_level[MEASURES].sum().tolist() == expected.tolist()
        # per year and sector too: nothing moves between groups when rolling up
        by_group = of_level.groupby(["fiscal_year", "sector"])[MEASURES].sum()
        pd.testing.assert_frame_equal(by_group, totals.groupby(["fiscal_year", "sector"])[MEASURES].sum())
        # each area appears once per (year, sector)
        assert not of_level.duplicated(["area_code", "fiscal_year", "sector"]).any()
        assert of_level["area_code"].str.len().eq({"province": 2, "district": 4, "commune": 6}[level]).all()


def test_roll_up_by_code_prefix():
    totals = pd.DataFrame({"commune_code": ["010201", "010202", "010301"], "fiscal_year": [2016] * 3,
                           "sector": ["well"] * 3, "project_count": [1, 2, 3], "budget": [10, 20, 30],
                           "contract_value": [9, 18, 27], "expenditure": [8, 16, 24]})
    stats = compute_area_statistics(totals)
    got = stats.set_index(["level", "area_code"])[["project_count", "expenditure"]].to_dict("index")
    assert got == {
        ("province", "01"): {"project_count": 6, "expenditure": 48},
        ("district", "0102"): {"project_count": 3, "expenditure": 24},
        ("district", "0103"): {"project_count": 3, "expenditure": 24},
        ("commune", "010201"): {"project_count": 1, "expenditure": 8},
        ("commune", "010202"): {"project_count": 2, "expenditure": 16},
        ("commune", "010301"): {"project_count": 3, "expenditure": 24},
    }
