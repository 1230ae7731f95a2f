"""The budget import template: one row per revenue source or expenditure line of a district's or commune's
fiscal year, CSV or XLSX, with English or Khmer headers (docs/budget-template.md repeats this table;
tests/test_budget_import.py checks that it does). The file helpers are the project template's."""
from pathlib import Path

from mapservice.ingest.records import SourceError
from mapservice.ingest.source_files import raw_frame, read_csv_table, read_xlsx_table
from mapservice.ingest.template import Column, header_positions, missing_columns_error, row_record

# canonical column -> (English header, Khmer header, meaning, example, required)
BUDGET_COLUMNS = {
    "area_code": Column("Area code", "លេខកូដតំបន់",
                        "NCDD 2014 code of the district (4 digits) or commune (6 digits) whose budget it is",
                        "0105", "yes"),
    "fiscal_year": Column("Fiscal year", "ឆ្នាំសារពើពន្ធ", "Fiscal (calendar) year of the budget", "2016", "yes"),
    "kind": Column("Kind", "ប្រភេទ", "revenue or expenditure (ចំណូល or ចំណាយ)", "revenue", "yes"),
    "budget_line": Column("Source or line", "ប្រភព ឬមុខចំណាយ",
                   "Revenue source or expenditure line: its code, English or Khmer label (tables below), or total",
                   "dm_fund_development", "yes"),
    "approved": Column("Approved (riel)", "ថវិកាអនុម័ត (រៀល)", "Amount in the approved (planned) budget, in riel",
                       "350000000", "yes"),
    "actual": Column("Actual (riel)", "ជាក់ស្តែង (រៀល)",
                     "Amount actually received or spent, in riel; blank while the year is not closed",
                     "341500000", "no"),
}
REQUIRED_COLUMNS = [name for name, column in BUDGET_COLUMNS.items() if column.required == "yes"]
DIGIT_COLUMNS = {"area_code", "fiscal_year", "approved", "actual"}


def budget_template_header(lang):
    """The template's header labels in "en" or "km"."""
    if lang not in ("en", "km"):
        raise ValueError(f'lang was "{lang}"; expected en or km')
    return [getattr(column, lang) for column in BUDGET_COLUMNS.values()]


def read_budget_template(path, max_bytes, sheet=None):
    """A budget CSV or XLSX file as a raw frame: ``line`` (the file's line or row number) and the canonical
    columns, values as strings or None."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows = read_csv_table(path, max_bytes)
    elif suffix == ".xlsx":
        header, rows = read_xlsx_table(path, max_bytes, sheet, preferred="budgets")
    else:
        raise SourceError(f'{path}: unsupported file type "{path.suffix}"; the budget template is a .csv or .xlsx file')
    positions, ignored = header_positions(path, header, BUDGET_COLUMNS)
    missing = [f'{name} ("{BUDGET_COLUMNS[name].en}" or "{BUDGET_COLUMNS[name].km}")'
               for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise missing_columns_error(path, missing, header)
    records = [row_record(number, cells, positions, DIGIT_COLUMNS) for number, cells in rows]
    frame = raw_frame(records, list(BUDGET_COLUMNS))
    frame.attrs["ignored_columns"] = ignored
    return frame
