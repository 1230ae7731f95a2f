"""Validation reasons as codes and params (ingest/reasons.py) and their sentences per language (web/reasons.py)."""
import pandas as pd

from mapservice.ingest.reasons import REASON_CODES, structured
from mapservice.ingest.records import CodeBook, validate_records
from mapservice.web import create_app
from mapservice.web.reasons import REASON_TEXTS, reason_text

BOOK = CodeBook(communes={"010501", "010502"}, aliases={})
BAD = [
    {"project_id": None, "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501"},
    {"project_id": "T", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501"},
    {"project_id": "C", "title_en": "x", "sector": "roads", "fiscal_year": "2016", "commune_code": "010501"},
    {"project_id": "M", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501",
     "budget": "12 lakh"},
    {"project_id": "N", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501",
     "budget": "-4"},
    {"project_id": "L", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501",
     "budget": "1e30"},
    {"project_id": "D", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501",
     "planned_start": "1/3/2016"},
    {"project_id": "Y", "title_en": "x", "sector": "rural_road", "fiscal_year": "2031", "commune_code": "010501"},
    {"project_id": "B", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501",
     "number_of_bidders": "two"},
    {"project_id": "E", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501",
     "eia_required": "maybe"},
    {"project_id": "U", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501",
     "pid_url": "javascript:alert(1)"},
    {"project_id": "U", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501"},
    {"project_id": "K1", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "01O5O1"},
    {"project_id": "K2", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "0105"},
    {"project_id": "K3", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "999999"},
    {"project_id": "P0", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016"},
    {"project_id": "P1", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "lon": "east", "lat": "13"},
    {"project_id": "P2", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "lon": "103.1"},
    {"project_id": "P3", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "lon": "13.5", "lat": "103"},
    {"project_id": "R", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501",
     "currency": "XYZ"},
    {"project_id": "R2", "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501",
     "currency": "KHR+USD"},
    {"project_id": "I" * 65, "title_en": "x", "sector": "rural_road", "fiscal_year": "2016", "commune_code": "010501"},
    {"project_id": "Z", "title_km": "\ufffd\ufffd", "sector": "rural_road", "fiscal_year": "2016",
     "commune_code": "010501"},
]


def reasons():
    frame = pd.DataFrame([{"line": line, **row} for line, row in enumerate(BAD, start=2)])
    _, rejected = validate_records(frame, BOOK)
    return [structured(item) for item in rejected]


def test_every_reason_the_validator_gives_here_has_a_code():
    found = reasons()
    assert [r["reason"] for r in found if r["code"] == "other"] == []
    assert {r["code"] for r in found} == set(REASON_CODES) - {"out_of_scope"}
    year = next(r for r in found if r["code"] == "year_out_of_range")
    assert year["params"] == {"column": "fiscal_year", "value": "2031", "first": "2014", "last": "2019"}


def test_every_code_has_a_sentence_in_each_language():
    assert set(REASON_CODES) == set(REASON_TEXTS)
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite:///:memory:"})
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        texts = {r["code"]: reason_text(r, "en") for r in reasons()}
    assert texts["year_out_of_range"] == "Fiscal year is “2031”; the year must be from 2014 to 2019."
    assert texts["code_unknown"].startswith("The commune code “999999” is not a commune")
    assert reason_text({"code": "other", "reason": "as the CLI says", "params": {}}, "en") == "as the CLI says"
