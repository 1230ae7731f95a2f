"""Project import on both databases: the join on real communes, idempotent re-import, all-or-nothing batches."""
import pandas as pd
import pytest

from mapservice.ingest.pipelines import ImportRefused, import_records
from mapservice.ingest.records import SourceError


def label_point(db, code):
    return db.rows("SELECT label_lon, label_lat FROM admin_area WHERE code = :code", code=code)[0]


def record(line, project_id, **values):
    base = {"line": line, "project_id": project_id, "title_en": f"Road {project_id}", "title_km": "ផ្លូវ",
            "sector": "rural_road", "fiscal_year": "2016", "budget": "1000", "contract_value": "900", "expenditure": "800"}
    return {**base, **values}


def load(db, rows, **kwargs):
    return import_records(db.sessions, db.config, pd.DataFrame(rows), "test.csv", "template", "0" * 64, **kwargs)


def test_join_on_real_communes(db):
    changha, chamnaom = label_point(db, "010501"), label_point(db, "010201")
    summary = load(db, [
        record(2, "agree", commune_code="010501", lon=str(changha[0]), lat=str(changha[1])),
        record(3, "conflict", commune_code="010201", lon=str(changha[0]), lat=str(changha[1])),
        record(4, "code-only", commune_code="KH010201"),
        record(5, "point-only", lon=str(chamnaom[0]), lat=str(chamnaom[1])),
        record(6, "recoded", commune_code="120608"),        # a 2019 code in a new sangkat of 2014's 120601
        record(7, "sea", lon="103.2", lat="10.5"),          # in Cambodia's extent, in no commune
    ])
    assert summary.join_status == {"agree": 1, "conflict": 1, "code_only": 2, "point_only": 1, "unmatched": 1}
    rows = db.rows("SELECT project_id, stated_code, commune_code, point_code, join_status, location_precision "
                   "FROM project ORDER BY project_id")
    assert rows == [
        ("agree", "010501", "010501", "010501", "agree", "exact"),
        ("code-only", "010201", "010201", None, "code_only", "commune"),
        ("conflict", "010201", "010201", "010501", "conflict", "exact"),
        ("point-only", None, "010201", "010201", "point_only", "exact"),
        ("recoded", "120608", "120601", None, "code_only", "commune"),
        ("sea", None, None, None, "unmatched", "exact"),
    ]
    # a code-only project sits at its commune's representative point
    assert db.rows("SELECT lon, lat FROM project WHERE project_id = 'code-only'")[0] == pytest.approx(chamnaom)


def test_statistics_conserve_totals_and_stated_commune_keeps_the_money(db):
    changha = label_point(db, "010501")
    load(db, [record(2, "a", commune_code="010201", expenditure="500", lon=str(changha[0]), lat=str(changha[1])),
              record(3, "b", commune_code="010202", fiscal_year="2017", expenditure=None),
              record(4, "c", commune_code="250101", sector="well", expenditure="70")])
    rows = db.rows("SELECT level, sum(project_count), sum(expenditure), sum(budget) FROM area_statistic "
                   "GROUP BY level ORDER BY level")
    assert rows == [("commune", 3, 570, 3000), ("district", 3, 570, 3000), ("province", 3, 570, 3000)]
    assert db.rows("SELECT area_code, expenditure FROM area_statistic WHERE level = 'commune' AND fiscal_year = 2016 "
                   "ORDER BY area_code") == [("010201", 500), ("250101", 70)]
    assert db.rows("SELECT area_code, project_count FROM area_statistic WHERE level = 'province' ORDER BY area_code") == [
        ("01", 1), ("01", 1), ("25", 1)]


def test_reimport_updates_and_never_duplicates(db):
    first = load(db, [record(2, "p1", commune_code="010201"), record(3, "p2", commune_code="010202")])
    second = load(db, [record(2, "p1", commune_code="010201", expenditure="999"), record(3, "p3", commune_code="010202")])
    assert (first.inserted, first.updated, second.inserted, second.updated) == (2, 0, 1, 1)
    assert db.rows("SELECT project_id, expenditure FROM project ORDER BY project_id") == [
        ("p1", 999), ("p2", 800), ("p3", 800)]
    assert db.scalar("SELECT sum(expenditure) FROM area_statistic WHERE level = 'province'") == 999 + 800 + 800
    assert db.scalar("SELECT version FROM data_version") == second.data_version == first.data_version + 1


def test_a_batch_with_an_invalid_row_is_refused_whole(db):
    load(db, [record(2, "kept", commune_code="010201")])
    before = db.fingerprint()
    with pytest.raises(ImportRefused) as refused:
        load(db, [record(2, "new", commune_code="010201"), record(3, "bad", commune_code="010201", budget="-1")])
    assert refused.value.rejected == [{"line": 3, "project_id": "bad", "column": "budget",
                                       "reason": 'budget was "-1"; an amount cannot be negative'}]
    assert str(refused.value) == ("test.csv: 1 invalid row(s) of 2; nothing was imported "
                                  "(use --skip-invalid to load the valid rows)")
    assert db.fingerprint() == before


def test_skip_invalid_loads_the_rest_and_records_the_rejections(db):
    summary = load(db, [record(2, "good", commune_code="010201"), record(3, "bad", commune_code="999999")],
                   skip_invalid=True)
    assert (summary.rows_read, summary.rows_loaded) == (2, 1)
    assert db.rows("SELECT project_id FROM project") == [("good",)]
    batch = db.rows("SELECT rows_read, rows_loaded, rows_rejected FROM import_batch")
    assert batch == [(2, 1, 1)]


def test_no_boundaries_no_import(empty_db):
    with pytest.raises(SourceError, match="no communes are stored; run `mapservice import-boundaries` first"):
        load(empty_db, [record(2, "p", commune_code="010201")])
