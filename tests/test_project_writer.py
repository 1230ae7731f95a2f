"""The PostGIS bulk writer stores every value as it is given: the CSV that Arrow writes into the COPY (empty text is
not NULL; quotes, delimiters, line breaks, backslashes and Khmer survive; a double keeps every digit; dates,
booleans and missing integers), and the write_row path a frame takes when its values do not convert gives the
same rows."""
import datetime

import pandas as pd
import pytest

from mapservice.store import tables
from mapservice.store.models import ImportBatch

TEXTS = ["", ' a "quoted", comma\nline\r\nbreak\ttab \\N back\\slash ', "ផ្លូវក្រួសក្រហម ភូមិចង្ហា", None]
STORED = ("SELECT project_id, title_en, title_km, contract_number, fiscal_year, budget, exchange_rate, lon, lat, "
          "planned_start, eia_required, is_sample, number_of_bidders, pid_reference, ST_AsText(geom) "
          "FROM project ORDER BY project_id")


def _frame(batch_id, pid_references):
    count = len(TEXTS)
    frame = pd.DataFrame({column: pd.Series([None] * count, dtype=object) for column in tables.BULK_COLUMNS})
    frame["project_id"] = [f"W-{n}" for n in range(count)]
    frame["title_en"] = TEXTS
    frame["title_km"] = TEXTS[::-1]
    frame["contract_number"] = ["0", "NULL", "\\.", None]  # what CSV and COPY could read as something else
    frame["sector"], frame["currency"], frame["join_status"] = "rural_road", "KHR", "code_only"
    frame["fiscal_year"] = pd.array([2014, 2015, 2016, 2019], dtype="Int64")
    frame["budget"] = pd.array([0, 10 ** 12, None, 48_000_000], dtype="Int64")
    frame["number_of_bidders"] = pd.array([None, 3, 0, None], dtype="Int64")
    frame["exchange_rate"] = [1 / 3, 4059.0, float("nan"), 5e-324]
    frame["lon"] = [103.05311400000001, 102.9, float("nan"), 104.123456789012]
    frame["lat"] = [13.474867, 13.65, float("nan"), 11.5]
    frame["planned_start"] = [datetime.date(2016, 3, 1), None, datetime.date(2014, 1, 1), None]
    frame["eia_required"] = [True, False, None, True]
    frame["is_sample"] = [False, True, False, False]
    frame["pid_reference"] = pd.Series(pid_references, dtype=object)
    frame["batch_id"] = batch_id
    return frame


def _store(db, pid_references):
    with db.sessions.begin() as session:
        batch = ImportBatch(source_file="t.csv", source_format="template", sha256="0" * 64,
                            imported_at=datetime.datetime(2026, 1, 1), rows_read=4, rows_loaded=4, rows_rejected=0,
                            rejected_rows=[], is_sample=False)
        session.add(batch)
        session.flush()
        writer = tables.ProjectWriter(session, batch.id)
        try:
            frame = _frame(batch.id, pid_references)
            writer.write(frame)
            writer.finish()
        finally:
            writer.close()
    return db.rows(STORED)


def test_the_copy_keeps_every_value_and_the_write_row_path_stores_the_same(make_db):
    as_text = ["1", "2", None, "4"]
    frame = _frame(1, as_text)
    assert tables.arrow_table(frame) is not None  # the Arrow path
    assert tables.arrow_table(_frame(1, [1, 2, None, 4])) is None  # ints in a text column: the write_row path
    by_arrow = _store(make_db("postgis"), as_text)
    by_write_row = _store(make_db("postgis"), [1, 2, None, 4])
    assert by_arrow == by_write_row
    assert [row[1] for row in by_arrow] == TEXTS
    assert [row[2] for row in by_arrow] == TEXTS[::-1]
    assert [row[3] for row in by_arrow] == ["0", "NULL", "\\.", None]
    assert [row[5] for row in by_arrow] == [0, 10 ** 12, None, 48_000_000]
    assert [row[6] for row in by_arrow] == [1 / 3, 4059.0, None, 5e-324]
    assert [row[7] for row in by_arrow] == [103.05311400000001, 102.9, None, 104.123456789012]
    assert [row[9:13] for row in by_arrow] == [(datetime.date(2016, 3, 1), True, False, None), (None, False, True, 3),
                                              (datetime.date(2014, 1, 1), None, False, 0), (None, True, False, None)]
    assert by_arrow[0][14] == "POINT(103.05311400000001 13.474867)"
    assert by_arrow[2][14] is None


@pytest.mark.parametrize("backend", ["postgis"])
def test_a_first_import_inserts_and_a_later_one_updates(make_db, backend):
    """Into an empty table held locked the chunks are plain INSERTs; once it holds projects, the same ids update."""
    db = make_db(backend)
    first = _store(db, ["1", "2", None, "4"])
    again = _store(db, ["9", "8", "7", "6"])
    assert [row[13] for row in first] == ["1", "2", None, "4"]
    assert [row[13] for row in again] == ["9", "8", "7", "6"]
    assert [row[:13] for row in again] == [row[:13] for row in first]
