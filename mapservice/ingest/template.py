"""The project's own CSV/XLSX template: its columns (English and Khmer headers) and its reader.

The header helpers (``header_positions``, ``missing_columns_error``, ``row_record``) serve the budget template too;
the file-level helpers (size, UTF-8, CSV and XLSX rows, cells, raw frames) are in ``source_files.py``.
"""
from collections import namedtuple
from pathlib import Path

import pandas as pd

from mapservice.ingest.guards import QUESTION_MARKS, SAVE_AS_UTF8
from mapservice.ingest.records import DATE_COLUMNS, MONEY_COLUMNS, REQUIRED, STRIPPED, SourceError
from mapservice.ingest.source_files import (
    CHUNK_ROWS,
    FIRST_CHUNK_ROWS,
    KHMER_DIGITS,
    RawChunks,
    batched,
    cell,
    iter_csv_table,
    iter_xlsx_table,
    latin_digits,
)

Column = namedtuple("Column", "en km description example required")

# canonical column -> (English header, Khmer header, meaning, example, required); in CANONICAL_COLUMNS order.
# docs/project-template.md repeats this table; tests/test_readers.py checks that it does.
COLUMNS = {
    "project_id": Column("Project ID", "លេខសម្គាល់គម្រោង",
                         "Stable public id of the project, unique in the file, at most 64 characters",
                         "OC-2016-010501-004", "yes"),
    "pid_reference": Column("PID reference", "លេខយោង PID",
                            "The project's id in NCDD's Project Implementation Database (PID), if known; at most 64 "
                            "characters", "2016-0105-01-004", "no"),
    "pid_url": Column("PID record URL", "តំណភ្ជាប់កំណត់ត្រា PID", "Web address of the project's PID record",
                      "http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=2016-0105-01-004", "no"),
    "title_km": Column("Title (Khmer)", "ចំណងជើង (ខ្មែរ)", "Project title in Khmer",
                       "ផ្លូវក្រួសក្រហម ភូមិចង្ហា", "title_km or title_en"),
    "title_en": Column("Title (English)", "ចំណងជើង (អង់គ្លេស)", "Project title in English",
                       "Laterite road, Changha village", "title_km or title_en"),
    "contract_number": Column("Contract number", "លេខកិច្ចសន្យា", "Number of the works contract",
                              "012/16", "no"),
    "awarded_tenderer": Column("Awarded tenderer", "អ្នកឈ្នះការដេញថ្លៃ", "Company that won the contract",
                               "Sok Heng Construction", "no"),
    "eia_document_url": Column("EIA document URL", "តំណភ្ជាប់ឯកសារវាយតម្លៃហេតុប៉ះពាល់បរិស្ថាន",
                               "Web address of the environmental impact assessment document",
                               "https://example.org/eia/010501-004.pdf", "no"),
    "sector": Column("Sector", "វិស័យ", "What was built (sector code or label)", "rural_road", "yes"),
    "project_type": Column("Project type", "ប្រភេទគម្រោង", "New construction or work on an existing asset",
                           "construction", "no"),
    "status": Column("Status", "ស្ថានភាព", "Stage of the project (OC4IDS project status)", "completion", "no"),
    "eia_status": Column("EIA status", "ស្ថានភាពវាយតម្លៃហេតុប៉ះពាល់បរិស្ថាន",
                         "State of the environmental impact assessment", "not_required", "no"),
    "funding_source": Column("Funding source", "ប្រភពមូលនិធិ", "Main source of the money", "cs_fund", "no"),
    "fiscal_year": Column("Fiscal year", "ឆ្នាំសារពើពន្ធ", "Fiscal (calendar) year of the commune investment",
                          "2016", "yes"),
    "currency": Column("Currency", "រូបិយប័ណ្ណ",
                       "Currency of the amounts: KHR (riel), the default, or a currency with a rate for the fiscal "
                       "year in `MAPSERVICE_EXCHANGE_RATES` (USD, EUR, GBP, THB by default), converted to riel",
                       "KHR", "no"),
    "planned_start": Column("Planned start", "កាលបរិច្ឆេទចាប់ផ្តើមគ្រោងទុក", "Planned start date",
                            "2016-03-01", "no"),
    "planned_end": Column("Planned end", "កាលបរិច្ឆេទបញ្ចប់គ្រោងទុក", "Planned completion date",
                          "2016-06-30", "no"),
    "actual_start": Column("Actual start", "កាលបរិច្ឆេទចាប់ផ្តើមជាក់ស្តែង", "Date construction started",
                           "2016-03-15", "no"),
    "actual_end": Column("Actual end", "កាលបរិច្ឆេទបញ្ចប់ជាក់ស្តែង", "Date construction was completed",
                         "2016-07-20", "no"),
    "budget": Column("Budget (riel)", "ថវិកា (រៀល)", "Planned budget in riel", "48000000", "no"),
    "contract_value": Column("Contract value (riel)", "តម្លៃកិច្ចសន្យា (រៀល)", "Value of the signed contract in riel",
                             "45500000", "no"),
    "expenditure": Column("Expenditure (riel)", "ចំណាយជាក់ស្តែង (រៀល)", "Money actually spent, in riel",
                          "45500000", "no"),
    "cs_fund": Column("C/S Fund (riel)", "មូលនិធិឃុំសង្កាត់ (រៀល)", "Commune/Sangkat Fund share, in riel",
                      "43000000", "no"),
    "local_contribution": Column("Local contribution (riel)", "វិភាគទានមូលដ្ឋាន (រៀល)",
                                 "Community (local) contribution, in riel", "2500000", "no"),
    "number_of_bidders": Column("Number of bidders", "ចំនួនអ្នកដេញថ្លៃ", "How many companies bid", "3", "no"),
    "eia_required": Column("EIA required", "តម្រូវឱ្យមានការវាយតម្លៃហេតុប៉ះពាល់បរិស្ថាន",
                           "Whether an environmental impact assessment is required (yes/no)", "no", "no"),
    "commune_code": Column("Commune code", "លេខកូដឃុំសង្កាត់", "NCDD 2014 commune code (6 digits)", "010501",
                           "commune_code, or lon and lat"),
    "lon": Column("Longitude", "រយៈបណ្តោយ", "Longitude of the project site, decimal degrees (WGS84)", "102.9512",
                  "commune_code, or lon and lat"),
    "lat": Column("Latitude", "រយៈទទឹង", "Latitude of the project site, decimal degrees (WGS84)", "13.7432",
                  "commune_code, or lon and lat"),
}
# columns whose Khmer digits are read as Latin digits (the validator parses Latin digits only)
DIGIT_COLUMNS = {*DATE_COLUMNS, *MONEY_COLUMNS, "fiscal_year", "number_of_bidders", "commune_code", "lon", "lat"}


def template_header(lang):
    """The template's header labels, in canonical column order, in "en" or "km"."""
    if lang not in ("en", "km"):
        raise ValueError(f'lang was "{lang}"; expected en or km')
    return [getattr(column, lang) for column in COLUMNS.values()]


def read_template(path, max_bytes, sheet=None):
    """Read a template CSV or XLSX file into a raw frame: ``line`` plus the canonical columns it has."""
    return read_template_chunks(path, max_bytes, sheet).whole()


def read_template_chunks(path, max_bytes, sheet=None, chunk_rows=None):
    """A template CSV or XLSX file as raw frames of at most ``chunk_rows`` rows each (RawChunks; the first of at most
    FIRST_CHUNK_ROWS), read as they are asked for; the file-level checks (size, encoding, header, a first data row)
    are made before this returns."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows = iter_csv_table(path, max_bytes)
    elif suffix == ".xlsx":
        header, rows = iter_xlsx_table(path, max_bytes, sheet)
    else:
        raise SourceError(f'{path}: unsupported file type "{path.suffix}"; the template is a .csv or .xlsx file',
                          "file_type")
    positions, ignored = _template_positions(path, header)
    columns = [name for name in COLUMNS if name in positions]
    size = chunk_rows or CHUNK_ROWS
    frames = (_frame_of_rows(part, positions, columns) for part in batched(rows, size, min(size, FIRST_CHUNK_ROWS)))
    return RawChunks(frames, {"ignored_columns": ignored})


def row_record(line, cells, positions, digit_columns=DIGIT_COLUMNS):
    """One data row as {"line": line, canonical name: text}; Khmer digits read as Latin in ``digit_columns``."""
    record = {"line": line}
    for name, index in positions.items():
        value = cell(cells, index)
        record[name] = latin_digits(value) if name in digit_columns else value
    return record


def _frame_of_rows(rows, positions, columns):
    """The raw frame built column by column from the rows (no dict per row: a big file's memory): the rows
    transposed at C speed when every row reaches the last column read, else cell by cell; Khmer digits translated
    only in a column that has any non-ASCII text."""
    cells = [row for _line, row in rows]
    data = {"line": pd.array([line for line, _cells in rows], dtype="int64")}
    width = max(positions.values()) + 1
    transposed = list(zip(*cells)) if cells and min(map(len, cells)) >= width else None
    for name in columns:
        index = positions[name]
        if transposed is not None:
            values = transposed[index]
        else:
            values = [row[index] if index < len(row) else None for row in cells]  # cell(), inline
        if name in DIGIT_COLUMNS and not "".join(filter(None, values)).isascii():
            values = [None if v is None else v.translate(KHMER_DIGITS) for v in values]  # latin_digits, inline
        data[name] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(data)
    frame.attrs[STRIPPED] = True  # the readers' cells are stripped text or None (source_files.py)
    return frame


def _fold(label):
    # Khmer text often carries invisible zero-width spaces; they must not make a header unknown.
    return (label or "").replace("\u200b", "").strip().casefold()


def _template_positions(path, header):
    """Map each recognised header cell to its canonical column; list the cells that are not ours."""
    positions, ignored = header_positions(path, header, COLUMNS)
    missing = [f'{name} ("{COLUMNS[name].en}" or "{COLUMNS[name].km}")'
               for name in REQUIRED if name not in positions]
    if "title_km" not in positions and "title_en" not in positions:
        missing.append("a title (title_km or title_en)")
    if "commune_code" not in positions and not {"lon", "lat"} <= set(positions):
        missing.append("a location (commune_code, or lon and lat)")
    if missing:
        raise missing_columns_error(path, missing, header)
    return positions, ignored


def header_positions(path, header, columns):
    """({canonical name: cell index}, [header cells that are not ours]) for a header whose cells may be each
    column's code, English or Khmer label (``columns``: name -> an object with ``en`` and ``km``)."""
    lookup = {}
    for name, column in columns.items():
        for label in (name, column.en, column.km):
            lookup[_fold(label)] = name
    positions, ignored = {}, []
    for index, label in enumerate(header):
        name = lookup.get(_fold(label))
        if name is None:
            if _fold(label):
                ignored.append(label)
            continue
        if name in positions:
            raise SourceError(f'{path}: the columns "{header[positions[name]]}" and "{label}" both mean {name}; '
                              "keep one of them", "same_column_twice", first=header[positions[name]], second=label)
        positions[name] = index
    return positions, ignored


def missing_columns_error(path, missing, header):
    """The SourceError for a header that lacks required columns: what is missing, and what was found."""
    found = ", ".join(f'"{label}"' for label in header if label) or "no column names"
    lost = any(QUESTION_MARKS.search(label or "") for label in header)
    advice = f'; the Khmer letters of the header were replaced by "?": {SAVE_AS_UTF8}' if lost else ""
    return SourceError(f"{path}: missing column(s) {'; '.join(missing)}; the header has {found}{advice}",
                       "missing_columns_damaged" if lost else "missing_columns", missing="; ".join(missing),
                       found=found)
