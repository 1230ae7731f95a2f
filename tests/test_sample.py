"""The SAMPLE generator on the real 2014 communes and villages: determinism, coverage, mix, places, validity."""
import os
from pathlib import Path

import pandas as pd
import pytest
import shapely

from mapservice import config
from mapservice.ingest import sample
from mapservice.ingest.records import CANONICAL_COLUMNS, CodeBook, normalise_code, validate_records
from mapservice.store.spatial import locate_points

DATA_DIR = os.environ.get("MAPSERVICE_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
N = 15000
SECTOR_TARGETS = {"rural_road": 0.45, "culvert": 0.15, "bridge": 0.05, "well": 0.10, "irrigation": 0.10,
                  "drainage": 0.04, "school": 0.04, "health_post": 0.02, "market": 0.02, "public_building": 0.03}
OPEN_CONTRACTING_FIELDS = ["title_km", "title_en", "project_type", "budget", "contract_value", "planned_start",
                           "planned_end", "contract_number", "awarded_tenderer", "number_of_bidders", "eia_required",
                           "eia_status", "pid_reference", "commune_code", "lon", "lat"]


@pytest.fixture(scope="module")
def inputs():
    return sample.read_sample_inputs(DATA_DIR)


@pytest.fixture(scope="module")
def frame(inputs):
    return sample.generate_sample(*inputs, N, seed=7)


@pytest.fixture(scope="module")
def validated(inputs, frame):
    return validate_records(frame, CodeBook(communes=set(inputs[0]["code"])))


def own_commune(frame):
    """The commune a project belongs to, from its id (SAMPLE-YYYY-CCCCCC-NNNN): known even for point-only rows."""
    return frame["project_id"].str.split("-").str[2]


def stated_commune(frame):
    return frame["commune_code"].map(lambda c: None if c is None else normalise_code(c)[:6])


def test_same_seed_gives_the_same_frame_and_another_seed_another(inputs):
    first = sample.generate_sample(*inputs, 2000, seed=3)
    pd.testing.assert_frame_equal(first, sample.generate_sample(*inputs, 2000, seed=3))
    other = sample.generate_sample(*inputs, 2000, seed=4)
    assert list(other.columns) == list(first.columns) == ["line"] + CANONICAL_COLUMNS
    assert (other["budget"] != first["budget"]).mean() > 0.9
    assert (other["title_en"] != first["title_en"]).mean() > 0.5


def test_every_commune_has_a_project_and_the_years_are_even(inputs, frame):
    assert len(frame) == N and frame["line"].tolist() == list(range(1, N + 1))
    assert set(own_commune(frame)) == set(inputs[0]["code"]) and len(inputs[0]) == 1633
    assert frame["fiscal_year"].value_counts().to_dict() == {str(y): N // 6 for y in range(2014, 2020)}


def test_fewer_projects_than_communes_land_in_distinct_communes(inputs):
    small = sample.generate_sample(*inputs, 500, seed=1)
    assert own_commune(small).nunique() == 500
    with pytest.raises(ValueError, match="n_projects was 0"):
        sample.generate_sample(*inputs, 0)


def test_sector_mix_and_project_types(frame):
    shares = frame["sector"].value_counts(normalize=True)
    for sector, target in SECTOR_TARGETS.items():
        assert abs(shares[sector] - target) < 0.015, (sector, shares[sector])
    types = frame.groupby("sector")["project_type"].value_counts(normalize=True)
    assert types["rural_road", "construction"] > 0.6 and 0.25 < types["rural_road", "rehabilitation"] < 0.35
    assert 0.25 < types["irrigation", "rehabilitation"] < 0.35 and types["well", "construction"] > 0.85


def test_titles_name_a_village_of_the_project_commune(inputs, frame):
    villages = inputs[1]
    known_en = set(zip(villages["code"].str[:6], villages["name_en"]))
    known_km = set(zip(villages["code"].str[:6], villages["name_km"]))
    title_en, title_km = frame["title_en"].dropna(), frame["title_km"].dropna()
    by_village_en = title_en[title_en.str.endswith(" village")]
    assert len(by_village_en) > 0.99 * len(title_en)  # one commune has no village in the gazetteer
    place_en = by_village_en.str.split(", ").str[-1].str.removesuffix(" village")
    assert all(pair in known_en for pair in zip(own_commune(frame)[place_en.index], place_en))
    place_km = title_km[title_km.str.contains(" ភូមិ")].str.split(" ភូមិ").str[-1]
    assert all(pair in known_km for pair in zip(own_commune(frame)[place_km.index], place_km))
    assert frame.loc[0, "title_en"].endswith(" village") and frame.loc[0, "title_km"].split(" ")[1].startswith("ភូមិ")
    roads = frame[(frame["sector"] == "rural_road") & (frame["project_type"] == "construction")]["title_en"]
    assert roads.str.match(r"(Laterite|Concrete|Earth) road, .+ (village|commune)$").all()


def test_money_is_whole_thousands_of_riel_with_sector_spreads(frame):
    money = frame[["budget", "contract_value", "expenditure", "cs_fund", "local_contribution"]]
    assert money.stack().dropna().str.fullmatch(r"[1-9]\d*000|0").all()
    budget = pd.to_numeric(frame["budget"])
    medians = budget.groupby(frame["sector"]).median()
    assert 40e6 < medians["rural_road"] < 150e6 and 2e6 < medians["well"] < 8e6 and 80e6 < medians["school"] < 300e6
    assert medians["culvert"] < medians["rural_road"] < medians["market"]
    assert (budget.mean() > budget.median())  # right-skewed
    both = frame["budget"].notna()
    assert (pd.to_numeric(frame["cs_fund"]) + pd.to_numeric(frame["local_contribution"]))[both].eq(budget[both]).all()
    cancelled = frame["status"] == "cancelled"
    assert 0.005 < cancelled.mean() < 0.015
    assert frame.loc[cancelled, ["expenditure", "actual_start", "actual_end"]].isna().all().all()


def test_values_are_template_strings(frame):
    for column in ["planned_start", "planned_end", "actual_start", "actual_end"]:
        assert frame[column].dropna().str.fullmatch(r"20\d\d-\d\d-\d\d").all()
    for column in ["lon", "lat"]:
        assert frame[column].dropna().str.fullmatch(r"1\d{1,2}\.\d{6}").all()
    assert set(frame["eia_required"]) == {"yes", "no"} and set(frame["currency"]) == {"KHR"}
    assert set(frame["number_of_bidders"].dropna()) <= {"1", "2", "3", "4", "5", "6"}
    assert frame["number_of_bidders"].value_counts(normalize=True)[["2", "3"]].sum() > 0.5
    assert frame["lon"].map(lambda v: v is None or isinstance(v, str)).all()  # None, never NaN


def test_ids_are_unique_and_marked_as_sample(frame):
    assert frame["project_id"].is_unique and frame["contract_number"].dropna().is_unique
    assert frame["project_id"].str.startswith(sample.SAMPLE_MARK + "-").all()
    assert frame["project_id"].iloc[0] == "SAMPLE-2014-010201-0001"



def test_some_projects_have_a_sample_pid_record_shaped_like_the_real_one(frame):
    recorded = frame["pid_reference"].notna()
    assert 0.3 < recorded.mean() < 0.4 and (frame["pid_url"].notna() == recorded).all()
    assert frame.loc[recorded, "pid_reference"].str.fullmatch(r"\d{6}").all() and frame["pid_reference"].dropna().is_unique
    real = config.SETTINGS["MAPSERVICE_PID_URL_TEMPLATE"][0]  # http://db.ncdd.gov.kh/pid/reports/monitoring/...
    shaped = frame.loc[recorded].apply(lambda row: real.format(pid=row["pid_reference"]).replace(
        "http://db.ncdd.gov.kh/", "https://example.org/sample/"), axis=1)
    assert (frame.loc[recorded, "pid_url"] == shaped).all()


def test_eia_fields(frame):
    required = frame["eia_required"] == "yes"
    assert 0.06 < required.mean() < 0.10
    by_sector = required.groupby(frame["sector"]).mean()
    assert by_sector["bridge"] > 0.2 and by_sector["market"] > 0.15 and by_sector["rural_road"] < 0.1
    assert (frame.loc[~required, "eia_status"] == "not_required").all()
    assert set(frame.loc[required, "eia_status"]) == {"approved", "pending", "not_done"}
    approved = frame["eia_status"] == "approved"
    assert (frame.loc[approved, "eia_document_url"]
            == "https://example.org/sample/eia/" + frame.loc[approved, "project_id"] + ".pdf").all()
    assert frame.loc[~approved, "eia_document_url"].isna().all()


def test_location_forms(inputs, frame):
    has_code, has_point = frame["commune_code"].notna(), frame["lon"].notna()
    assert 0.72 < (has_code & has_point).mean() < 0.80
    assert 0.17 < (has_code & ~has_point).mean() < 0.23
    assert 0.02 < (~has_code & has_point).mean() < 0.04
    assert not (~has_code & ~has_point).any()
    codes = frame["commune_code"].dropna()
    pcodes, village_codes = codes[codes.str.startswith("KH")], codes[codes.str.fullmatch(r"\d{8}")]
    assert 5 <= len(pcodes) <= 100 and 5 <= len(village_codes) <= 100
    assert (pcodes.str[2:] == own_commune(frame)[pcodes.index]).all()
    assert (village_codes.str[:6] == own_commune(frame)[village_codes.index]).all()
    assert village_codes.isin(set(inputs[1]["code"])).all()
    assert len(pcodes) + len(village_codes) + codes.str.fullmatch(r"\d{6}").sum() == len(codes)


def test_points_lie_in_their_commune_except_the_conflicts(inputs, frame):
    communes = inputs[0]
    point = frame["lon"].notna()
    lon, lat = frame.loc[point, "lon"].astype(float), frame.loc[point, "lat"].astype(float)
    located = pd.Series(locate_points(lon, lat, communes), index=lon.index)
    assert located.notna().all()
    stated = stated_commune(frame)[point]
    conflict = stated.notna() & (stated != located)
    assert 0.010 < conflict.sum() / len(frame) < 0.020
    geometry = communes.set_index("code").geometry
    agree = point & ~frame.index.isin(conflict[conflict].index) & frame["commune_code"].notna()
    assert shapely.contains_xy(geometry[stated_commune(frame)[agree]].values,
                               frame.loc[agree, "lon"].astype(float), frame.loc[agree, "lat"].astype(float)).all()
    # every conflicting point lies in a neighbour of the stated commune, not in the stated commune itself
    outside = ~shapely.contains_xy(geometry[stated[conflict]].values, lon[conflict], lat[conflict])
    neighbours = shapely.intersects(geometry[stated[conflict]].values, geometry[located[conflict]].values)
    assert outside.all() and neighbours.all()
    assert (located[~stated.notna()] == own_commune(frame)[point][~stated.notna()]).all()  # point-only rows


def test_every_row_passes_validation(frame, validated):
    valid, rejected = validated
    assert rejected == [] and len(valid) == len(frame)


def test_the_quality_report_has_each_flag(frame, validated):
    flags = validated[0]["quality_flags"].dropna().str.split(",").explode().value_counts() / len(frame)
    expected = {"completed_without_expenditure": 0.02, "expenditure_over_budget": 0.01, "contract_over_budget": 0.005,
                "actual_end_before_start": 0.005, "planned_end_before_start": 0.003, "missing_budget": 0.005}
    assert set(flags.index) == set(expected)
    for flag, share in expected.items():
        assert share / 2 < flags[flag] < share * 2, (flag, flags[flag])
    outside = ~own_commune(frame).str[:4].isin(sample.OPEN_CONTRACTING_DISTRICTS)
    assert 0.005 < (frame["contract_number"].isna() & outside).mean() < 0.015


def test_open_contracting_districts_are_ou_chrov_and_malai():
    districts = pd.read_csv(Path(DATA_DIR) / "gazetteer" / "ncdd_national_gazetteer_2014"
                            / "ncdd_gazetteer_2014_districts.csv", dtype=str).set_index("code")
    assert [districts.loc[code, "Name_EN"] for code in sample.OPEN_CONTRACTING_DISTRICTS] == ["Ou Chrov", "Malai"]


def test_open_contracting_districts_have_complete_details(inputs, frame, validated):
    rows = own_commune(frame).str[:4].isin(sample.OPEN_CONTRACTING_DISTRICTS)
    oc = frame[rows]
    assert len(oc) > 50 and oc["commune_code"].str[:4].isin(sample.OPEN_CONTRACTING_DISTRICTS).all()
    assert oc[OPEN_CONTRACTING_FIELDS].notna().all().all()
    started = oc["status"] != "cancelled"
    assert oc.loc[started, "actual_start"].notna().all()
    completed = oc["status"] == "completion"
    assert oc.loc[completed, ["expenditure", "actual_end"]].notna().all().all()
    assert validated[0].loc[rows.to_numpy(), "quality_flags"].isna().all()
    located = locate_points(oc["lon"].astype(float), oc["lat"].astype(float), inputs[0])
    assert (located == oc["commune_code"]).all()
