"""Budgets on both databases: the template and its validation (exact messages), all-or-nothing imports, the
SAMPLE budgets, and conservation: the API, the CSV/XLSX downloads, the Fiscal Data Package (valid with
frictionless), the layer, the infographic page and its PNG/PDF show the imported numbers."""
import csv
import io
import json
import re
from pathlib import Path

import frictionless
import openpyxl
import pandas as pd
import pypdf
import pytest
from PIL import Image

from mapservice import cli
from mapservice.formats import budgets as budget_files
from mapservice.ingest import sample_budgets
from mapservice.ingest.budget_pipeline import import_budgets, project_spending
from mapservice.ingest.budget_records import BudgetCodeBook, validate_budgets
from mapservice.ingest.budget_template import BUDGET_COLUMNS, read_budget_template
from mapservice.ingest.pipelines import ImportRefused
from mapservice.store.budget_vocabulary import EXPENDITURE_LINES, REVENUE_SOURCES
from tests.conftest import BACKENDS, copied_database
from tests.test_pages import load_projects, make_client

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOC = Path(__file__).resolve().parents[1] / "docs" / "budget-template.md"
BOOK = BudgetCodeBook(districts={"0105", "0109"}, communes={"010501", "010901"}, aliases={"010599": "010501"})


def imported():
    """The lines of budgets_en.csv (total rows aside) as {(area, year, kind, line): (approved, actual)}."""
    with open(FIXTURES / "budgets_en.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labels = {"District/Municipal Fund: development": "dm_fund_development"}
    return {(r["Area code"], int(r["Fiscal year"]), r["Kind"], labels.get(r["Source or line"], r["Source or line"])):
            (int(r["Approved (riel)"]), int(r["Actual (riel)"])) for r in rows if r["Source or line"] != "total"}


# ----------------------------------------------------------------------------------------- validation (no database)

def row(line, **values):
    base = {"line": line, "area_code": "0105", "fiscal_year": "2016", "kind": "revenue",
            "budget_line": "own_fees", "approved": "1000", "actual": "900"}
    return {**base, **values}


@pytest.mark.parametrize("values, column, reason", [
    ({"budget_line": "lottery"}, "budget_line",
     'budget_line was "lottery"; it is not a revenue source: expected one of dm_fund_general, dm_fund_development, '
     "cs_fund_general, cs_fund_development, national_programmes, own_taxes, own_fees, development_partners, "
     "carry_over, total (or its English or Khmer label)"),
    ({"kind": "expenditure", "budget_line": "own_fees"}, "budget_line",
     'budget_line was "own_fees"; it is not an expenditure line: expected one of general_administration, '
     "development, social_services, public_order, environment, reserve, total (or its English or Khmer label)"),
    ({"approved": "-5"}, "approved", 'approved was "-5"; an amount cannot be negative'),
    ({"actual": "-1,000"}, "actual", 'actual was "-1,000"; an amount cannot be negative'),
    ({"actual": "a lot"}, "actual", 'actual was "a lot"; expected an amount in riel such as 12500000'),
    ({"approved": None}, "approved", "approved is required"),
    ({"area_code": "0199"}, "area_code", 'area_code was "0199"; it is not a district or commune of the NCDD 2014 gazetteer'),
    ({"area_code": "01"}, "area_code", 'area_code was "01"; budgets are per district (4 digits) or commune (6 digits)'),
    ({"area_code": "O105"}, "area_code",
     'area_code was "O105"; expected a district (4 digits) or commune (6 digits) NCDD code'),
    ({"fiscal_year": "2013"}, "fiscal_year", 'fiscal_year was "2013"; expected a year from 2014 to 2019'),
    ({"fiscal_year": "20x6"}, "fiscal_year", 'fiscal_year was "20x6"; expected a year from 2014 to 2019'),
    ({"kind": "income"}, "kind", 'kind was "income"; expected revenue or expenditure (ចំណូល or ចំណាយ)'),
    ({"budget_line": "cs_fund_general"}, "budget_line",
     'budget_line "cs_fund_general" belongs to commune budgets; 0105 is a district'),
    ({"area_code": "010501", "budget_line": "dm_fund_development"}, "budget_line",
     'budget_line "dm_fund_development" belongs to district budgets; 010501 is a commune'),
])
def test_a_bad_value_is_rejected_with_its_reason(values, column, reason):
    valid, rejected = validate_budgets(pd.DataFrame([row(2, **values)]), BOOK)
    assert [(item["line"], item["column"], item["reason"]) for item in rejected] == [(2, column, reason)]
    assert valid.empty


def test_totals_must_add_up_and_lines_appear_once():
    rows = [row(2), row(3, budget_line="own_taxes", approved="500", actual="400"),
            row(4, budget_line="own_taxes", approved="500", actual="400"),
            row(5, budget_line="total", approved="2000", actual="1700"),
            row(6, kind="expenditure", budget_line="development", approved="1500", actual=None),
            row(7, kind="expenditure", budget_line="Total", approved="1500", actual="99")]
    valid, rejected = validate_budgets(pd.DataFrame(rows), BOOK)
    assert [(item["line"], item["column"], item["reason"]) for item in rejected] == [
        (4, "budget_line", "own_taxes (revenue) of 0105 in 2016 appears more than once (first on line 3)"),
        (7, "actual", "the expenditure total actual of 0105 in 2016 was 99 riel but its lines add up to 0; "
                      "correct the total or the lines"),
    ]
    # the revenue total (1000 + 500 + 500 = 2000, 900 + 400 + 400 = 1700) adds up; totals are not stored
    assert list(valid["line_number"]) == [2, 3, 6]
    wrong = validate_budgets(pd.DataFrame([row(2), row(3, budget_line="total", approved="1001", actual="900")]), BOOK)
    assert [item["reason"] for item in wrong[1]] == [
        "the revenue total approved of 0105 in 2016 was 1,001 riel but its lines add up to 1,000; "
        "correct the total or the lines"]


def test_labels_and_aliases_are_read():  # Khmer digits are the reader's (budgets_km.csv)
    rows = [row(2, kind="ចំណូល", budget_line="ចំណូលផ្ទាល់៖ ពន្ធ"),
            row(3, area_code="KH010599", kind="Expenditure", budget_line="Development and investment",
                approved="1,500,000 ៛", actual=None)]
    valid, rejected = validate_budgets(pd.DataFrame(rows), BOOK)
    assert rejected == []
    assert valid[["area_code", "level", "fiscal_year", "kind", "line", "approved"]].values.tolist() == [
        ["0105", "district", 2016, "revenue", "own_taxes", 1000],
        ["010501", "commune", 2016, "expenditure", "development", 1500000]]
    assert valid["actual"].isna().tolist() == [False, True]


@pytest.mark.parametrize("name", ["budgets_en.csv", "budgets_km.csv"])
def test_the_template_reads_english_and_khmer_headers(name):
    raw = read_budget_template(FIXTURES / name, 10**6)
    valid, rejected = validate_budgets(raw, BOOK)
    assert rejected == [] and len(valid) == {"budgets_en.csv": 22, "budgets_km.csv": 3}[name]


def test_a_file_without_a_required_column_is_refused(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("Area code,Fiscal year,Kind,Approved (riel)\n0105,2016,revenue,5\n", encoding="utf-8")
    with pytest.raises(Exception, match=r'missing column\(s\) budget_line \("Source or line" or "ប្រភព ឬមុខចំណាយ"\)'):
        read_budget_template(path, 10**6)


def test_the_documentation_lists_every_column_and_code():
    lines = set(DOC.read_text(encoding="utf-8").splitlines())
    for name, column in BUDGET_COLUMNS.items():
        assert (f"| `{name}` | {column.en} | {column.km} | {column.required} | {column.description} | "
                f"`{column.example}` |") in lines, name
    for code, line in {**REVENUE_SOURCES, **EXPENDITURE_LINES}.items():
        assert f"| `{code}` | {line.en} | {line.km} | {', '.join(line.levels)} |" in lines, code


# ------------------------------------------------------------------------------------ imports (both databases)

def stored(db):
    return {(a, y, k, line): (approved, actual) for a, y, k, line, approved, actual in db.rows(
        "SELECT area_code, fiscal_year, kind, line, approved, actual FROM budget")}


def test_an_invalid_file_is_refused_whole_and_nothing_changes(db, tmp_path):
    import_budgets(db.sessions, db.config, FIXTURES / "budgets_en.csv")
    before = db.fingerprint()
    bad = tmp_path / "bad.csv"
    bad.write_text("Area code,Fiscal year,Kind,Source or line,Approved (riel),Actual (riel)\n"
                   "0105,2016,revenue,own_fees,1,1\n0105,2016,revenue,lottery,5,5\n0109,2016,expenditure,reserve,-3,\n",
                   encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        import_budgets(db.sessions, db.config, bad)
    assert [(item["line"], item["column"]) for item in refused.value.rejected] == [(3, "budget_line"), (4, "approved")]
    assert db.fingerprint() == before
    # --skip-invalid: the area-year 0105 2016 has an invalid row, so none of it loads; 0109 2016 neither
    summary = import_budgets(db.sessions, db.config, bad, skip_invalid=True)
    assert summary.rows_loaded == 0
    assert summary.rejected[0]["reason"].startswith('not loaded: line 3 of 0105 2016 is invalid')
    assert stored(db) == imported()


def test_an_import_replaces_the_area_years_it_holds(db):
    first = import_budgets(db.sessions, db.config, FIXTURES / "budgets_en.csv")
    assert stored(db) == imported() and first.rows_loaded == 22
    second = import_budgets(db.sessions, db.config, FIXTURES / "budgets_km.csv")  # 0105 2016: three lines
    assert second.data_version == first.data_version + 1
    expected = {key: value for key, value in imported().items() if key[:2] != ("0105", 2016)}
    expected |= {("0105", 2016, "revenue", "dm_fund_general"): (420000000, 418000000),
                 ("0105", 2016, "revenue", "dm_fund_development"): (380000000, 372500000),
                 ("0105", 2016, "expenditure", "development"): (430000000, None)}
    assert stored(db) == expected
    assert db.scalar("SELECT count(*) FROM import_batch WHERE source_format = 'budget'") == 2


def test_a_rollback_restores_the_budgets_of_that_version_and_stops_at_a_boundary_import(db):
    from mapservice.ingest import drafts
    from mapservice.ingest.pipelines import import_boundaries
    from mapservice.store import accounts

    with db.sessions.begin() as session:
        admin, _ = accounts.create_user(session, "odc", "admin", [], "odc password 1")
        malai, _ = accounts.create_user(session, "malai", "editor", ["0102"], "malai password")
    boundaries_only = db.scalar("SELECT max(id) FROM version_record")
    first = import_budgets(db.sessions, db.config, FIXTURES / "budgets_en.csv")
    import_budgets(db.sessions, db.config, FIXTURES / "budgets_en.csv")  # the same lines again: no change recorded
    import_budgets(db.sessions, db.config, FIXTURES / "budgets_km.csv")  # 0105 2016 replaced
    assert db.scalar("SELECT count(*) FROM budget_change") == 1 + len({key[:2] for key in imported()})
    with pytest.raises(drafts.NotAllowed, match="budget 0105 2016"):  # the rollback would change 0105's budget
        drafts.rollback_to(db.sessions, db.config, first.version_id, malai)
    version = drafts.rollback_to(db.sessions, db.config, first.version_id, admin)
    assert stored(db) == imported() and version.counts["budget_area_years"] == 1
    with pytest.raises(drafts.DraftClosed, match="already as they were"):
        drafts.rollback_to(db.sessions, db.config, first.version_id, admin)
    drafts.rollback_to(db.sessions, db.config, boundaries_only, admin)
    assert stored(db) == {}
    drafts.rollback_to(db.sessions, db.config, version.id, admin)  # forward again: a rollback is a version too
    assert stored(db) == imported()
    import_boundaries(db.sessions, db.config, level="province")
    with pytest.raises(drafts.DraftClosed, match="imported the boundaries again") as refused:
        drafts.rollback_to(db.sessions, db.config, first.version_id, admin)
    assert refused.value.detail["boundaries"] == db.scalar("SELECT max(id) FROM version_record")
    assert stored(db) == imported()


def test_cli_import_budgets_reports_like_import_projects(db, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("Area code,Fiscal year,Kind,Source or line,Approved (riel)\n0105,2031,revenue,own_fees,1\n",
                   encoding="utf-8")
    args = ["--database-url", db.config["DATABASE_URL"]]
    assert cli.main(args + ["import-budgets", str(bad), "--rejected-json", str(tmp_path / "r.json")]) == 1
    err = capsys.readouterr().err
    assert "1 invalid row(s) of 1; nothing was imported" in err
    assert 'line 2: fiscal_year was "2031"; expected a year from 2014 to 2019' in err
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))[0]["column"] == "fiscal_year"
    assert cli.main(args + ["import-budgets", str(FIXTURES / "budgets_en.csv")]) == 0
    assert "read 24 rows, loaded 22 budget lines, rejected 0 reason(s)" in capsys.readouterr().out
    assert cli.main(args + ["import-budgets", str(tmp_path / "missing.csv")]) == 2


def test_sample_budgets_cover_every_area_year_and_hold_the_projects(db, capsys):
    import_budgets(db.sessions, db.config, FIXTURES / "budgets_km.csv")  # a real area-year: the sample keeps it
    assert cli.main(["--database-url", db.config["DATABASE_URL"], "sample", "--projects", "600", "--seed", "5"]) == 0
    assert re.search(r"SAMPLE: these [\d,]+ budget lines are generated sample data, not real budgets",
                     capsys.readouterr().out)
    areas = db.scalar("SELECT count(*) FROM admin_area WHERE level IN ('district', 'commune')")
    assert db.scalar("SELECT count(*) FROM (SELECT DISTINCT area_code, fiscal_year FROM budget) x") == areas * 6
    assert db.rows("SELECT kind, line, approved, actual, is_sample FROM budget WHERE area_code = '0105' "
                   "AND fiscal_year = 2016 ORDER BY kind, line") == [
        ("expenditure", "development", 430000000, None, False),
        ("revenue", "dm_fund_development", 380000000, 372500000, False),
        ("revenue", "dm_fund_general", 420000000, 418000000, False)]
    short = db.rows("""SELECT s.level, s.area_code, s.fiscal_year FROM
                         (SELECT level, area_code, fiscal_year, sum(expenditure) AS spent FROM area_statistic
                          WHERE level IN ('district', 'commune') GROUP BY level, area_code, fiscal_year) s
                       JOIN budget b ON b.area_code = s.area_code AND b.fiscal_year = s.fiscal_year
                         AND b.kind = 'expenditure' AND b.line = 'development'
                       WHERE b.is_sample AND b.actual < s.spent""")
    assert short == []  # a district-year's (and a commune-year's) development spending holds its projects'
    assert db.scalar("SELECT count(*) FROM budget b JOIN area_statistic s ON s.area_code = b.area_code "
                     "AND s.fiscal_year = b.fiscal_year WHERE b.line = 'development' AND s.expenditure > 0") > 100
    # every generated line passes the validator; the same inputs and seed give the same budgets
    lines = pd.DataFrame(db.rows("SELECT area_code, level, fiscal_year, kind, line, approved, actual FROM budget "
                                 "WHERE is_sample"), columns=sample_budgets.COLUMNS)
    raw = lines.rename(columns={"line": "budget_line"}).astype(str).assign(line=range(2, len(lines) + 2))
    book = BudgetCodeBook(*(set(c for (c,) in db.rows(f"SELECT code FROM admin_area WHERE level = '{level}'"))
                            for level in ("district", "commune")))
    assert validate_budgets(raw, book)[1] == []
    with db.sessions() as session:
        spent = project_spending(session)
    codes = {level: sorted(book.districts if level == "district" else book.communes) for level in ("district", "commune")}
    generated = sample_budgets.generate_sample_budgets(codes, spent, range(2014, 2020), seed=5)
    pd.testing.assert_frame_equal(generated, sample_budgets.generate_sample_budgets(codes, spent, range(2014, 2020), 5))
    kept = generated[~((generated["area_code"] == "0105") & (generated["fiscal_year"] == 2016))]
    key = ["area_code", "fiscal_year", "kind", "line"]
    pd.testing.assert_frame_equal(kept.sort_values(key, ignore_index=True).astype(str),
                                  lines.sort_values(key, ignore_index=True).astype(str))
    assert db.scalar("SELECT count(*) FROM import_batch WHERE source_format = 'budget-sample' AND is_sample") == 1


# ------------------------------------------------------------------------- conservation: what users are shown

@pytest.fixture(scope="module", params=BACKENDS)
def budget_site(request, templates, tmp_path_factory):
    """One database per backend with the pages' projects and budgets_en.csv, and a client: read-only tests."""
    with copied_database(templates, request.param, tmp_path_factory.mktemp("budgets")) as database:
        load_projects(database)
        import_budgets(database.sessions, database.config, FIXTURES / "budgets_en.csv")
        yield database, make_client(database)


def test_api_csv_and_xlsx_give_the_imported_numbers(budget_site):
    _, client = budget_site
    body = client.get("/api/v1/budgets").get_json()
    assert body["count"] == 22 and body["notice"] is None
    assert {(r["area_code"], r["fiscal_year"], r["kind"], r["line"]): (r["approved"], r["actual"])
            for r in body["budgets"]} == imported()
    response = client.get("/api/v1/budgets?format=csv&lang=en&district=0105&year=2016")
    assert response.headers["Content-Disposition"] == 'attachment; filename="budgets_district-0105_year-2016_en.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {(r["Area code"], int(r["Fiscal year"]), r["Kind"], r["Line code"]): (int(r["Approved (riel)"]),
            int(r["Actual (riel)"])) for r in rows} == {k: v for k, v in imported().items() if k[1] == 2016}
    khmer = client.get("/api/v1/budgets?format=csv&lang=km&level=commune").get_data(as_text=True)
    assert khmer.splitlines()[0].lstrip("\ufeff").startswith('"លេខកូដតំបន់","កម្រិត"')  # text quoted
    assert len(khmer.splitlines()) == 1 + 5  # the commune 010501's five lines
    book = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/budgets?format=xlsx&lang=en").data))
    sheet = list(book["budgets"].iter_rows(values_only=True))
    header = list(sheet[0])
    assert {(r[0], r[4], r[5], r[6]): (r[header.index("Approved (riel)")], r[header.index("Actual (riel)")])
            for r in sheet[1:]} == imported()


@pytest.mark.parametrize("url, status, message", [
    ("/api/v1/budgets?level=province", 400, 'level was "province"; expected district or commune (budgets are per '
                                            "district and per commune)"),
    ("/api/v1/budgets?format=pdf", 400, 'format was "pdf"; expected json, csv or xlsx'),
    ("/api/v1/budgets?year=2013", 400, 'year was "2013"; expected a year from 2014 to 2019, or a range such as 2014-2019'),
    ("/api/v1/budgets?district=9999", 400, 'district was "9999"; expected a district code of 4 digits that exists '
                                           "(see /api/v1/places)"),
    ("/areas/0105/budget/2013.json", 400, 'year was "2013"; expected a year from 2014 to 2019'),
    ("/areas/01/budget/2016.json", 404, 'No budgets for "01": budgets are per district (4 digits) or commune (6 digits).'),
    ("/areas/0109/budget/2016.json", 404, "No budget of Malai for 2016 is loaded."),
])
def test_bad_budget_requests_say_what_is_wrong(budget_site, url, status, message):
    response = budget_site[1].get(url + ("&" if "?" in url else "?") + "lang=en")
    assert (response.status_code, response.get_json()) == (status, {"ok": False, "error": message, "status": status})
    unknown = budget_site[1].get("/api/v1/budgets?sector=well")
    assert unknown.status_code == 400 and unknown.get_json()["error"].startswith("sector is not a parameter")


def test_the_infographic_shows_the_imported_numbers(budget_site):
    db, client = budget_site
    figures = client.get("/areas/0105/budget/2016.json").get_json()
    lines = {k[3]: v for k, v in imported().items() if k[:2] == ("0105", 2016)}
    for kind in ("revenue", "expenditure"):
        assert {r["line"]: (r["approved"], r["actual"]) for r in figures[kind]["lines"]} == {
            k[3]: v for k, v in imported().items() if k[:3] == ("0105", 2016, kind)}
        assert figures[kind]["totals"]["approved"] == sum(v[0] for k, v in imported().items() if k[:3] == ("0105", 2016, kind))
    assert figures["revenue"]["totals"]["previous_actual"] == 398000000 + 342000000 + 21500000 + 28000000
    spent = int(db.scalar("SELECT sum(expenditure) FROM project WHERE district_code = '0105' AND fiscal_year = 2016"))
    assert figures["projects"]["expenditure"] == spent
    assert figures["projects_share"] == round(spent / lines["development"][1], 4)
    page = client.get("/areas/0105/budget/2016").get_data(as_text=True)
    assert '<html lang="km">' in page and "អូរជ្រៅ" in page and "<script" not in page
    shown = {(kind, line): (int(approved), int(actual)) for kind, block in re.findall(
        r'data-kind="(\w+)"(.*?)</section>', page, re.S) for line, actual, approved in re.findall(
        r'data-line="(\w+)".*?data-field="actual" data-value="(\d+)".*?data-field="approved" data-value="(\d+)"', block, re.S)}
    assert shown == {(k[2], k[3]): v for k, v in imported().items() if k[:2] == ("0105", 2016)}
    assert 'href="/?lang=km&amp;year=2016&amp;district=0105"' in page
    assert "/areas/0105/budget/2016.png?size=1080x1080&amp;lang=km" in page
    profile = client.get("/areas/0105?lang=en").get_data(as_text=True)
    assert '<a href="/areas/0105/budget/2016?lang=en">2016</a>' in profile


def test_png_sizes_and_a_pdf_with_the_khmer_name(budget_site):
    _, client = budget_site
    for size in ("1200x630", "1080x1080"):
        response = client.get(f"/areas/0105/budget/2016.png?size={size}")
        assert response.mimetype == "image/png"
        assert Image.open(io.BytesIO(response.data)).size == tuple(int(n) for n in size.split("x"))
    assert client.get("/areas/0105/budget/2016.png?size=100x100").status_code == 400
    response = client.get("/areas/0105/budget/2016.pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="budget_0105_2016_a4_km.pdf"'
    # pypdf reads the text layer through the ToUnicode maps (PDFium shows the codes of the glyphs that HarfBuzz
    # split off a cluster, such as the coeng ro drawn before its consonant, instead of nothing)
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]  # A4 in points
    assert "អូរជ្រៅ" in text  # the district's Khmer name: shaped for print, extracted back as its characters
    assert "402" in text and "2016" in text  # actual development expenditure, 402 million riel


def test_the_fiscal_data_package_is_valid(budget_site, tmp_path):
    _, client = budget_site
    descriptor = client.get("/api/v1/budgets/fiscal-data-package.json").get_json()
    resource = descriptor["resources"][0]
    assert resource["path"] == "http://localhost/api/v1/budgets?format=csv&lang=en"
    assert set(descriptor["model"]["measures"]) == {"approved", "actual"}
    # frictionless reads the CSV the descriptor points to: here saved beside it, as a harvester would fetch it
    (tmp_path / "budgets.csv").write_bytes(client.get("/api/v1/budgets?format=csv&lang=en").data)
    resource["path"] = "budgets.csv"
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    assert report.tasks[0].stats["rows"] == 22


def test_catalogue_and_layer_carry_the_budgets(budget_site):
    _, client = budget_site
    package = client.get("/datapackage.json").get_json()
    assert package["resources"][-1]["name"] == "budgets"
    assert package["resources"][-1]["path"] == "http://localhost/api/v1/budgets?format=csv&lang=en"
    dcat = client.get("/catalog.jsonld").get_json()
    budgets = [d for d in dcat["dcat:dataset"] if d["dct:identifier"] == "budgets"]
    assert [d["dcat:downloadURL"]["@id"] for d in budgets[0]["dcat:distribution"]][-1] == \
        "http://localhost/api/v1/budgets/fiscal-data-package.json"
    layer = client.get("/api/v1/layers/budget_by_area?level=district&province=01&year=2016").get_json()
    values = {f["id"]: f["properties"] for f in layer["features"]}
    expenditure = [v for k, v in imported().items() if k[:3] == ("0105", 2016, "expenditure")]
    assert (values["0105"]["approved"], values["0105"]["actual"]) == (sum(v[0] for v in expenditure),
                                                                      sum(v[1] for v in expenditure))
    assert values["0105"]["value"] == round(sum(v[1] for v in expenditure) / sum(v[0] for v in expenditure), 4)
    assert values["0109"]["approved"] is None and values["0109"]["class"] is None
    assert client.get("/api/v1/layers/budget_by_area?level=province").status_code == 400


def test_the_budget_csv_neutralises_formulas():
    record = {field: None for field in budget_files.FIELDS} | {
        "area_code": "0105", "name_en": "=HYPERLINK(\"http://x\")", "name_km": "+ចង្ហា", "line_name_en": "@SUM(A1)",
        "line_name_km": "-1", "fiscal_year": 2016, "approved": 5, "actual": 0, "is_sample": False}
    text = budget_files.write_budget_csv([record], "en").decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert (row["Area (English)"], row["Area (Khmer)"], row["Line (English)"], row["Line (Khmer)"]) == (
        "'=HYPERLINK(\"http://x\")", "'+ចង្ហា", "'@SUM(A1)", "-1")  # a plain number is no formula (csv_cells)
    assert (row["Approved (riel)"], row["Actual (riel)"], row["Sample data"]) == ("5", "0", "false")
