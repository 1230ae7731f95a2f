"""Validation of canonical records: one table of bad values and their exact reasons."""
import datetime

import pandas as pd
import pytest

from mapservice.ingest.records import CodeBook, normalise_code, validate_records

BOOK = CodeBook(communes={"010201", "010202", "120601"}, aliases={"120608": "120601"})
GOOD = {"line": 2, "project_id": "P-1", "title_en": "Laterite road", "sector": "rural_road", "fiscal_year": "2016",
        "commune_code": "010201", "budget": "45,000,000", "lon": "103.05", "lat": "13.05"}


def validate_one(**changes):
    return validate_records(pd.DataFrame([{**GOOD, **changes}]), BOOK)


@pytest.mark.parametrize("changes, column, reason", [
    ({"project_id": ""}, "project_id", "project_id is required"),
    ({"title_en": None}, "title_en", "a title is required (title_km or title_en)"),
    ({"sector": "spaceport"}, "sector", 'sector was "spaceport"; expected one of rural_road, culvert, bridge, well, '
                                        "irrigation, drainage, school, health_post, market, public_building"),
    ({"fiscal_year": "20x9"}, "fiscal_year", 'fiscal_year was "20x9"; expected a year from 2014 to 2019'),
    ({"fiscal_year": "2021"}, "fiscal_year", 'fiscal_year was "2021"; expected a year from 2014 to 2019'),
    ({"budget": "12 million"}, "budget", 'budget was "12 million"; expected an amount in riel such as 12500000'),
    ({"budget": "-5000"}, "budget", 'budget was "-5000"; an amount cannot be negative'),
    ({"actual_start": "31/02/2016"}, "actual_start", 'actual_start was "31/02/2016"; expected a date as YYYY-MM-DD'),
    ({"actual_end": "2016-02-30"}, "actual_end", 'actual_end was "2016-02-30"; expected a date as YYYY-MM-DD'),
    ({"currency": "USD"}, "currency", 'currency was "USD"; expected KHR, or a currency with a rate for the '
                                      "project's fiscal year in MAPSERVICE_EXCHANGE_RATES (rates for: none)"),
    ({"number_of_bidders": "two"}, "number_of_bidders", 'number_of_bidders was "two"; expected a whole number of bidders'),
    ({"eia_required": "maybe"}, "eia_required", 'eia_required was "maybe"; expected yes or no'),
    ({"commune_code": "999999"}, "commune_code", 'commune_code was "999999"; it is not a commune of the NCDD 2014 '
                                                 "gazetteer nor a later code with a known 2014 equivalent"),
    ({"commune_code": "0102"}, "commune_code", 'commune_code was "0102", a province or district code; '
                                               "a commune code (6 digits) or lon/lat is required"),
    ({"commune_code": "Sisophon"}, "commune_code", 'commune_code was "Sisophon"; expected a 6-digit NCDD code such '
                                                   "as 010201 (or KH010201)"),
    ({"lon": "east"}, "lon", 'lon was "east"; expected a decimal degree'),
    ({"lat": None}, "lon", "lon and lat must be given together"),
    ({"lon": "13.05", "lat": "103.05"}, "lon", "point (13.05, 103.05) is outside Cambodia (102.2..107.8 E, "
                                               "10.2..14.8 N); check that lon and lat are not swapped"),
    ({"commune_code": None, "lon": None, "lat": None}, "commune_code", "no location: give commune_code or lon and lat"),
])
def test_bad_values_are_rejected_with_their_reason(changes, column, reason):
    valid, rejected = validate_one(**changes)
    assert valid.empty
    assert rejected == [{"line": 2, "project_id": None if changes.get("project_id") == "" else "P-1",
                         "column": column, "reason": reason}]


RATES = CodeBook(communes={"010201"}, rates={"USD": {2016: 4059.0, 2017: 4051.0}})


def test_amounts_in_another_currency_are_converted_at_the_rate_of_their_year_and_kept():
    raw = pd.DataFrame([{**GOOD, "currency": "usd", "budget": "11,000.50", "expenditure": "10000"},
                        {**GOOD, "line": 3, "project_id": "P-2", "fiscal_year": "2017", "currency": "USD",
                         "budget": "1000"},
                        {**GOOD, "line": 4, "project_id": "P-3", "currency": "KHR"},
                        {**GOOD, "line": 5, "project_id": "P-4", "fiscal_year": "2018", "currency": "USD"},
                        {**GOOD, "line": 6, "project_id": "P-5", "currency": "GBP"}])
    valid, rejected = validate_records(raw, RATES)
    columns = ["project_id", "currency", "budget", "expenditure", "original_currency", "exchange_rate",
               "original_amounts"]
    assert valid[columns].astype(object).where(valid[columns].notna(), None).values.tolist() == [
        ["P-1", "KHR", 44651030, 40590000, "USD", 4059.0, '{"budget":11000.5,"expenditure":10000.0}'],
        ["P-2", "KHR", 4051000, None, "USD", 4051.0, '{"budget":1000.0}'],
        ["P-3", "KHR", 45000000, None, None, None, None]]
    reason = ("expected KHR, or a currency with a rate for the project's fiscal year in MAPSERVICE_EXCHANGE_RATES "
              "(rates for: USD 2016, 2017)")
    assert rejected == [{"line": 5, "project_id": "P-4", "column": "currency", "reason": f'currency was "USD"; {reason}'},
                        {"line": 6, "project_id": "P-5", "column": "currency", "reason": f'currency was "GBP"; {reason}'}]


def test_duplicate_project_id_names_the_first_line():
    raw = pd.DataFrame([{**GOOD, "line": 2}, {**GOOD, "line": 3}])
    valid, rejected = validate_records(raw, BOOK)
    assert valid["line"].tolist() == [2]
    assert rejected == [{"line": 3, "project_id": "P-1", "column": "project_id",
                         "reason": 'project_id "P-1" appears more than once in this file (first on line 2)'}]


@pytest.mark.parametrize("given, normalised", [
    ("010201", "010201"), ("10201", "010201"), ("KH010201", "010201"), ("kh10201", "010201"),
    (" 010201 ", "010201"), (10201.0, "010201"), ("01020101", "01020101"), ("", None), (None, None),
])
def test_normalise_code(given, normalised):
    assert normalise_code(given) == normalised


@pytest.mark.parametrize("stated, commune, village", [
    ("KH010201", "010201", None),
    ("01020101", "010201", "01020101"),   # a village code places the project in its commune
    ("120608", "120601", None),           # a 2019 re-code maps back to its 2014 commune
])
def test_code_forms(stated, commune, village):
    valid, rejected = validate_one(commune_code=stated)
    assert rejected == []
    assert valid.loc[0, ["stated_code", "commune_code", "village_code"]].tolist() == [normalise_code(stated), commune, village]


def test_typed_values_and_labels():
    valid, rejected = validate_one(sector="Rural road", status="ផ្លូវជនបទ" and "completion", eia_required="ទេ",
                                   actual_start="2016-03-01", expenditure="40 000 000 R", number_of_bidders="3")
    assert rejected == []
    row = valid.iloc[0]
    assert (row["sector"], row["status"], row["eia_required"]) == ("rural_road", "completion", False)
    assert row["actual_start"] == datetime.date(2016, 3, 1)
    assert (row["budget"], row["expenditure"], row["number_of_bidders"], row["fiscal_year"]) == (45000000, 40000000, 3, 2016)


def test_quality_flags():
    valid, _ = validate_one(expenditure="90000000", actual_start="2016-05-01", actual_end="2016-04-01")
    assert valid.loc[0, "quality_flags"] == "expenditure_over_budget,actual_end_before_start"


@pytest.mark.parametrize("values, expected", [
    (["a", None, "b", "a", None], ["A", "blank", "B", "A", "blank"]),
    ([None, None], ["blank", "blank"]),
    ([], []),
    ([float("nan"), "a"], ["nan!", "A"]),  # a missing value that is not None is given to the function as it is
    ([["x"], "a"], ["['x']!", "A"]),  # a value that cannot be hashed: one call per value
])
def test_a_column_function_is_applied_per_distinct_value_as_per_value(values, expected):
    from mapservice.ingest.records import _apply
    calls = []

    def shout(value):
        calls.append(value)
        return "blank" if value is None else value.upper() if isinstance(value, str) else f"{value}!"

    index = range(10, 10 + len(values))
    result = _apply(pd.Series(values, index=index, dtype=object), shout)
    assert result.tolist() == expected and result.dtype == object and list(result.index) == list(index)
    if values and not any(isinstance(v, list) for v in values):  # once per distinct value, once for None
        distinct = {v for v in values if not pd.isna(v)}
        missing = [v for v in values if v is not None and pd.isna(v)]  # NaN: given as it is, each time
        assert len(calls) == len(distinct) + (None in values) + len(missing)
