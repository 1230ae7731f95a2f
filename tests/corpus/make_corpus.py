"""Writes the bad-input corpus (tests/corpus/files/) and its manifest (tests/corpus/manifest.json) from the good
fixtures, so each file differs from a good one by the one fault it is named after.

Run it again after changing a fixture: `.venv/bin/python tests/corpus/make_corpus.py`. The files are committed
(a user can open each in a spreadsheet to see the fault); tests/test_corpus.py imports every one of them."""
import json
import zipfile
from io import BytesIO
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
FIXTURES = HERE.parent / "fixtures" / "readers"
TEMPLATE = (FIXTURES / "template_en.csv").read_text(encoding="utf-8")
KHMER_TEMPLATE = (FIXTURES / "template_km.csv").read_text(encoding="utf-8-sig")
PACKAGE = json.loads((FIXTURES / "package.json").read_text(encoding="utf-8"))
LINES = TEMPLATE.splitlines()
BOMB_BYTES = 40 * 1024 * 1024  # unpacked; the corpus runs with MAPSERVICE_MAX_IMPORT_BYTES of 20 MB


def replaced(old, new, text=TEMPLATE):
    assert old in text, old
    return text.replace(old, new, 1)


def package(change):
    copy = json.loads(json.dumps(PACKAGE))
    change(copy["projects"][0])
    return json.dumps(copy, ensure_ascii=False, indent=1)


def workbook(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "projects"
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def template_rows():
    import csv

    return list(csv.reader(TEMPLATE.splitlines()))


def xlsx_with_formula(cached):
    """The template as XLSX whose first budget is the formula =40000000+8000000, with or without its saved value."""
    rows = template_rows()
    budget = rows[0].index("Budget (riel)")
    rows[1][budget] = "=40000000+8000000"
    data = workbook(rows)
    if not cached:
        return data  # openpyxl writes formulas without a value, like a file whose values were never computed
    source, out = zipfile.ZipFile(BytesIO(data)), BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<f>40000000+8000000</f><v></v>", b"<f>40000000+8000000</f><v>48000000</v>")
                content = content.replace(b"<f>40000000+8000000</f></c>", b"<f>40000000+8000000</f><v>48000000</v></c>")
                assert b"<v>48000000</v>" in content
            target.writestr(item, content)
    return out.getvalue()


def xlsx_bomb():
    """A small XLSX whose sheet unpacks to 40 MB (one cell repeated): refused before openpyxl parses it."""
    good = zipfile.ZipFile(BytesIO(workbook(template_rows())))
    row = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    filler = row * (BOMB_BYTES // len(row) + 1)
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in good.infolist():
            content = good.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", filler.encode() + b"</sheetData>")
            target.writestr(item.filename, content)
    return out.getvalue()


def semicolons(text):
    """The CSV as Excel saves it where the list separator is ";" (e.g. a French or German Windows)."""
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(csv.reader(io.StringIO(text)))
    return out.getvalue()


def nested_json(depth):
    return "[" * depth + "]" * depth


# name -> (content, exit status, the message the import must print)
CASES = {
    "utf16.csv": (TEMPLATE.encode("utf-16"), 2, "the file is UTF-16 encoded"),
    "utf16-no-bom.csv": (TEMPLATE.encode("utf-16-le"), 2, "the file looks UTF-16 encoded"),
    "cp1252.csv": (replaced("checked by district", "vérifié").encode("cp1252", errors="replace"), 2,
                   "not UTF-8: byte 0xe9"),
    # Excel's "CSV (Comma delimited)" of the Khmer template: every Khmer letter, headers too, saved as "?"
    "khmer-as-question-marks.csv": (KHMER_TEMPLATE.encode("cp1252", errors="replace"), 2,
                                    'the Khmer letters of the header were replaced by "?"'),
    "khmer-titles-as-question-marks.csv": (replaced("ផ្លូវក្រួសក្រហម ភូមិចង្ហា", "?????????? ????????").encode(), 1,
                                           'the Khmer letters were replaced by "?" when the file was saved'),
    "khmer-mojibake.csv": (replaced("ផ្លូវក្រួសក្រហម ភូមិចង្ហា", "ផ្លូវក្រួសក្រហម".encode().decode("cp1252",
                           errors="replace")).encode(), 1, "Khmer letters read in the wrong encoding (mojibake)"),
    "replacement-character.csv": (replaced("Sok Heng Construction", "Sok H\ufffdng Construction").encode(), 1,
                                  'a letter lost when the file was converted'),
    "semicolon-delimited-bad-code.csv": (semicolons(replaced(",010501,", ",999999,")).encode(), 1,
                                         'commune_code was "999999"'),
    "missing-required-column.csv": (replaced("Project ID,", "Project,").encode(), 2, "missing column(s) project_id"),
    "duplicate-column.csv": (replaced("Sector,", "Sector,Sector,").encode(), 2, "both mean sector"),
    "header-only.csv": ((LINES[0] + "\n").encode(), 2, "has a header row but no data rows"),
    "empty.csv": (b"", 2, "the file is empty"),
    "nul-byte.csv": (replaced("012/16", "012\x0016").encode(), 2, "NUL byte at byte offset"),
    "truncated-quote.csv": ((TEMPLATE + 'OC-X,,"unfinished\n').encode(), 2, "line 6 cannot be read as CSV (unexpected end of data)"),
    "huge-field.csv": (replaced("checked by district", "x" * 40_000).encode(), 2,
                       'line 2, column "Notes": a cell of 40,000 characters, more than 32,767'),
    "formula-title.csv": (replaced('"Laterite road, Changha village"', '"=HYPERLINK(""http://evil.example/"",""Click"")"')
                          .encode(), 0, ""),
    "javascript-pid-url.csv": (replaced("Project ID,PID reference,", "Project ID,PID reference,PID record URL,")
                               .replace("OC-2016-010501-001,2016-0105-01-001,", "OC-2016-010501-001,2016-0105-01-001,"
                                        "javascript:alert(1),", 1).replace("OC-2016-010502-002,,", "OC-2016-010502-002,,,", 1)
                               .replace("OC-2017-010902-001,,", "OC-2017-010902-001,,,", 1).encode(), 1,
                               'pid_url was "javascript:alert(1)"; expected a web address starting with http:// or https://'),
    "amount-1e20.csv": (replaced("48000000", "1e20").encode(), 1, 'budget was "1e20"; expected a finite amount of at most'),
    "amount-inf.csv": (replaced("48000000", "inf").encode(), 1, 'budget was "inf"; expected a finite amount'),
    "amount-negative.csv": (replaced("48000000", "-48000000").encode(), 1, "an amount cannot be negative"),
    "year-out-of-range.csv": (replaced(",2016,2016-03-01", ",2031,2016-03-01").encode(), 1,
                              'fiscal_year was "2031"; expected a year from 2014 to 2019'),
    "unknown-commune.csv": (replaced(",010501,", ",999999,").encode(), 1, 'commune_code was "999999"'),
    "point-outside-cambodia.csv": (replaced("102.6051,13.4823", "13.4823,102.6051").encode(), 1,
                                   "is outside Cambodia"),
    "lon-without-lat.csv": (replaced("102.6051,13.4823", "102.6051,").encode(), 1, "lon and lat must be given together"),
    "duplicate-project-id.csv": (replaced("OC-2016-010502-002", "OC-2016-010501-001").encode(), 1,
                                 "appears more than once in this file (first on line 2)"),
    "xlsx-formula-without-value.xlsx": (xlsx_with_formula(cached=False), 2,
                                        'sheet "projects", cell M2 (Budget (riel)) holds the formula =40000000+8000000 '
                                        "without a saved value"),
    "xlsx-formula-with-value.xlsx": (xlsx_with_formula(cached=True), 0, ""),
    # a stated commune and a point in another commune: loaded, the stated commune keeps the money (join "conflict")
    "code-point-conflict.csv": (replaced("cs_fund,010501,,,", "cs_fund,010501,102.6051,13.4823,").encode(), 0, ""),
    # a column that is none of the template's: loaded without it, and the import names it
    "extra-column.csv": (replaced("Project ID,", "Contractor phone,Project ID,").replace("\nOC-", "\n012345678,OC-")
                         .encode(), 0, 'columns not read (none of the layout\'s columns; check their names): '
                                       '"Contractor phone"'),
    "xlsx-bomb.xlsx": (xlsx_bomb(), 2, "the workbook unpacks to 4"),
    "xlsx-not-a-zip.xlsx": (b"PK\x03\x04 this is not a workbook", 2, "not a readable XLSX workbook"),
    "json-deeply-nested.json": (nested_json(20_000).encode(), 2, "JSON nested too deeply (more than 64 levels)"),
    "json-nested-70.json": (json.dumps({"projects": [PACKAGE["projects"][0] | {"x_deep": json.loads(nested_json(70))}]})
                            .encode(), 2, "JSON nested too deeply"),
    "json-truncated.json": (json.dumps(PACKAGE).encode()[:-40], 2, "not valid JSON"),
    "json-amount-1e30.json": (package(lambda p: p["budget"]["amount"].update(amount=1e30)).encode(), 1,
                              'budget was "1000000000000000019884624838656"; expected a finite amount'),
    "json-amount-infinity.json": (package(lambda p: p["budget"]["amount"].update(amount=float("inf"))).encode(), 1,
                                  'budget was "Infinity"; expected'),
    "json-eia-javascript-url.json": (package(lambda p: p["documents"][0].update(
        url="javascript:alert(document.cookie)")).encode(), 1,
        'eia_document_url was "javascript:alert(document.cookie)"'),
}


def main():
    FILES.mkdir(exist_ok=True)
    for old in FILES.iterdir():
        old.unlink()
    manifest = {}
    for name, (content, status, message) in CASES.items():
        (FILES / name).write_bytes(content)
        manifest[name] = {"status": status, "message": message}
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(CASES)} files in {FILES}")


if __name__ == "__main__":
    main()
