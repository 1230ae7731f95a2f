"""The `mapservice` command end to end on both databases: locate, import errors, report, boundaries."""
import csv
import io
import json

import pandas as pd
import pytest

from mapservice.cli import main
from tests import handdrawn as hd
from tests.conftest import DATA_DIR

PUMI_COMMUNES = f"{DATA_DIR}/gazetteer/pumi_ncdd_snapshots/2025-10-25_HEAD/communes.csv"


@pytest.fixture
def run(monkeypatch, capsys):
    monkeypatch.setenv("MAPSERVICE_DATA_DIR", DATA_DIR)

    def run(database, *args):
        code = main(["--database-url", database.config["DATABASE_URL"], *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_locate_appends_codes_and_names(db, run, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("id,x,y,note\n1,103.0177392,13.5104093,Banteay Neang\n2,100.5,13.75,Bangkok\n3,,,no point\n"
                    "4,103.1,13.05,\"quoted, with comma\"\n", encoding="utf-8")
    code, out, err = run(db, "locate", str(path), "--lon", "x", "--lat", "y")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "x", "y", "note", "province_code", "province_name_km", "province_name_en", "district_code",
                       "district_name_km", "district_name_en", "commune_code", "commune_name_km", "commune_name_en"]
    assert rows[1][4:] == ["01", "បន្ទាយមានជ័យ", "Banteay Meanchey", "0102", "មង្គលបូរី", "Mongkol Borei",
                           "010201", "បន្ទាយនាង", "Banteay Neang"]
    assert rows[2][4:] == [""] * 9 and rows[3][4:] == [""] * 9
    assert rows[4][3] == "quoted, with comma" and rows[4][4] == "02"  # Battambang


def test_locate_agrees_with_ncdd_commune_points(db, run, tmp_path):
    """NCDD's own commune points (pumi 2025) fall in the 2014 commune of the same code (boundaries are generalised)."""
    points = pd.read_csv(PUMI_COMMUNES, dtype={"code": str}).dropna(subset=["lat"])
    known = {r[0] for r in db.rows("SELECT code FROM admin_area WHERE level = 'commune'")}
    points = points[points["code"].isin(known)]
    path = tmp_path / "pumi.csv"
    points[["code", "long", "lat"]].to_csv(path, index=False)
    code, out, err = run(db, "locate", str(path), "--lon", "long", "--lat", "lat")
    located = pd.read_csv(io.StringIO(out), dtype=str)
    share = (located["code"] == located["commune_code"]).mean()
    assert len(located) > 1100 and share > 0.97


@pytest.mark.parametrize("content, message", [
    ("id,x\n1,103\n", "no column 'y'; the columns are id, x"),
    ("id,x,y\n1,103,east\n", 'line 2: y was "east"; expected a decimal degree'),
    ("", "the file is empty"),
])
def test_locate_errors(db, run, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, out, err = run(db, "locate", str(path), "--lon", "x", "--lat", "y")
    assert (code, out) == (2, "")
    assert message in err


def test_locate_refuses_utf16(db, run, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("id,x,y\n".encode("utf-16"))
    code, _, err = run(db, "locate", str(path), "--lon", "x", "--lat", "y")
    assert code == 2 and "not UTF-8 text" in err


def test_report_prints_and_writes_json(db, run, tmp_path):
    output = tmp_path / "report.json"
    code, out, err = run(db, "report", "--output", str(output))
    assert code == 0, err
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["projects"] == 0 and report["conflicts"] == {"count": 0, "rows": []}
    assert out.startswith("Projects: 0 (0 sample)")


def test_import_boundaries_one_level_with_custom_fields(empty_db, run, tmp_path):
    paths = hd.boundary_files(tmp_path)
    for level in ("province", "district", "commune"):
        code, out, err = run(empty_db, "import-boundaries", "--level", level, "--file", str(paths[level]),
                             "--code-field", "COMMUNE_ID", "--preset", "")
        assert code == 0, err
    assert out.strip() == "imported 3 communes"
    code, _, err = run(empty_db, "import-boundaries", "--file", str(paths["commune"]))
    assert code == 2 and err.strip() == "error: --file needs --level (province, district or commune)"


@pytest.mark.parametrize("value, message", [("-1", "-1 is not 1 or more"), ("0", "0 is not 1 or more"),
                                            ("many", '"many" is not a whole number')])
def test_sample_refuses_a_count_that_is_not_positive(empty_db, capsys, value, message):
    with pytest.raises(SystemExit) as exit_:
        main(["--database-url", empty_db.config["DATABASE_URL"], "sample", "--projects", value])
    assert exit_.value.code == 2
    assert f"argument --projects: {message}" in capsys.readouterr().err
