"""The project's own CSV/XLSX template: its columns (English and Khmer headers) and its reader.

The file-level helpers (size check, UTF-8 decoding, CSV rows with their line numbers, cell text, the
raw frame) live here too, because the PID report and OC4IDS readers read files the same way.
"""
import codecs
import csv
import datetime
import itertools
import zipfile
from collections import namedtuple
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from mapservice.ingest.guards import (
    MAX_CELL_CHARS,
    QUESTION_MARKS,
    SAVE_AS_UTF8,
    check_cell_sizes,
    check_xlsx_uncompressed,
)
from mapservice.ingest.records import DATE_COLUMNS, MONEY_COLUMNS, REQUIRED, SourceError

Column = namedtuple("Column", "en km description example required")

# canonical column -> (English header, Khmer header, meaning, example, required); in CANONICAL_COLUMNS order.
# docs/project-template.md repeats this table; tests/test_readers.py checks that it does.
COLUMNS = {
    "project_id": Column("Project ID", "លេខសម្គាល់គម្រោង", "Stable public id of the project, unique in the file",
                         "OC-2016-010501-004", "yes"),
    "pid_reference": Column("PID reference", "លេខយោង PID",
                            "The project's id in NCDD's Project Implementation Database (PID), if known",
                            "2016-0105-01-004", "no"),
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
CHUNK_ROWS = 50_000  # rows per raw frame of a streaming read: a few tens of MB, whatever the file's size
BLOCK_BYTES = 1 << 20
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
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
    """A template CSV or XLSX file as raw frames of at most ``chunk_rows`` rows each (RawChunks), read as they are
    asked for; the file-level checks (size, encoding, header, a first data row) are made before this returns."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows = iter_csv_table(path, max_bytes)
    elif suffix == ".xlsx":
        header, rows = iter_xlsx_table(path, max_bytes, sheet)
    else:
        raise SourceError(f'{path}: unsupported file type "{path.suffix}"; the template is a .csv or .xlsx file')
    positions, ignored = _template_positions(path, header)
    columns = [name for name in COLUMNS if name in positions]
    frames = (_frame_of_rows(part, positions, columns) for part in batched(rows, chunk_rows or CHUNK_ROWS))
    return RawChunks(frames, {"ignored_columns": ignored})


class RawChunks:
    """A reader's raw frames, a chunk of rows at a time and in file order, with what it knows of the whole file
    (``attrs``: ignored_columns); a chunk's own ``attrs`` may carry its sample_ids (OC4IDS)."""

    def __init__(self, frames, attrs=None):
        self.frames, self.attrs = frames, dict(attrs or {})

    def __iter__(self):
        return iter(self.frames)

    def whole(self):
        """Every chunk as one raw frame (``attrs``: the file's, and the union of the chunks' sample_ids)."""
        frames = list(self.frames)
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        attrs = dict(self.attrs)
        if any("sample_ids" in part.attrs for part in frames):
            attrs["sample_ids"] = set().union(*(part.attrs.get("sample_ids", set()) for part in frames))
        frame.attrs = attrs
        return frame


def batched(items, size):
    """Lists of up to ``size`` items of ``items``, in order (itertools.batched of Python 3.12)."""
    iterator = iter(items)
    while part := list(itertools.islice(iterator, size)):
        yield part


def row_record(line, cells, positions, digit_columns=DIGIT_COLUMNS):
    """One data row as {"line": line, canonical name: text}; Khmer digits read as Latin in ``digit_columns``."""
    record = {"line": line}
    for name, index in positions.items():
        value = cell(cells, index)
        record[name] = latin_digits(value) if name in digit_columns else value
    return record


def _frame_of_rows(rows, positions, columns):
    """The raw frame built column by column from the rows (no dict per row: a big file's memory)."""
    data = {"line": pd.array([line for line, _cells in rows], dtype="int64")}
    for name in columns:
        index = positions[name]
        values = [cells[index] if index < len(cells) else None for _line, cells in rows]  # cell(), inline
        if name in DIGIT_COLUMNS:
            values = [None if v is None else v.translate(KHMER_DIGITS) for v in values]  # latin_digits, inline
        data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


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
                              "keep one of them")
        positions[name] = index
    return positions, ignored


def missing_columns_error(path, missing, header):
    """The SourceError for a header that lacks required columns: what is missing, and what was found."""
    found = ", ".join(f'"{label}"' for label in header if label) or "no column names"
    lost = any(QUESTION_MARKS.search(label or "") for label in header)
    advice = f'; the Khmer letters of the header were replaced by "?": {SAVE_AS_UTF8}' if lost else ""
    return SourceError(f"{path}: missing column(s) {'; '.join(missing)}; the header has {found}{advice}")


def check_file(path, max_bytes):
    """Refuse a missing, empty or oversized file before reading any of it; return its size."""
    if not path.is_file():
        raise SourceError(f"{path}: file not found")
    size = path.stat().st_size
    if size == 0:
        raise SourceError(f"{path}: the file is empty")
    if size > max_bytes:
        raise SourceError(f"{path}: {size} bytes is larger than MAPSERVICE_MAX_IMPORT_BYTES ({max_bytes})")
    return size


def read_text(path, max_bytes):
    """The whole file as text: checked for size first, then decoded as UTF-8 (with or without BOM)."""
    check_file(path, max_bytes)
    check_utf8(path)
    return path.read_bytes().decode("utf-8-sig")


def check_utf8(path):
    """Refuse a file that is not UTF-8 (UTF-16 with or without byte-order mark, NUL bytes, bytes no UTF-8 has),
    naming the byte offset and line; one streaming pass, a block at a time."""
    save_hint = 'expected UTF-8: save it again as UTF-8 (in Excel: "CSV UTF-8")'
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, newlines, nul, undecodable = 0, 0, None, None
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            if offset == 0:
                if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise SourceError(f"{path}: the file is UTF-16 encoded (it starts with a UTF-16 byte-order "
                                      f"mark); {save_hint}")
                text_start = len(codecs.BOM_UTF8) if block.startswith(codecs.BOM_UTF8) else 0
            else:
                text_start = 0
            found = block.find(b"\x00")
            if found >= 0:
                # UTF-16 without a byte-order mark decodes as "valid" UTF-8 full of NUL characters
                nul = (offset + found, newlines + block.count(b"\n", 0, found) + 1)
                break
            if undecodable is None:
                undecodable = _undecodable(decoder, block, text_start, offset, newlines, final=False)
            newlines += block.count(b"\n")
            offset += len(block)
    if nul:
        raise SourceError(f"{path}: NUL byte at byte offset {nul[0]} (line {nul[1]}); "
                          f"the file looks UTF-16 encoded; {save_hint}")
    if undecodable is None:
        undecodable = _undecodable(decoder, b"", 0, offset, newlines, final=True)
    if undecodable:
        at, byte, line = undecodable
        raise SourceError(f"{path}: not UTF-8: byte 0x{byte:02x} at byte offset {at} "
                          f"(line {line}) cannot be decoded (a legacy encoding such as "
                          f"Windows-1252?); {save_hint}")


def _undecodable(decoder, block, text_start, offset, newlines, final):
    """(byte offset, byte, line) of the first byte of ``block`` that UTF-8 cannot decode, else None."""
    pending = decoder.getstate()[0]
    try:
        decoder.decode(block[text_start:], final=final)
        return None
    except UnicodeDecodeError as exc:
        data = pending + block[text_start:]
        at = offset + text_start - len(pending) + exc.start
        within = at - offset  # may be negative: the byte was held over from the block before
        line = newlines + block.count(b"\n", 0, max(within, 0)) + 1
        return at, data[exc.start], line


def sniff_delimiter(line):
    """Comma, unless the header line has more semicolons or tabs (Excel's CSV in some locales)."""
    counts = {delimiter: line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def read_csv_table(path, max_bytes):
    """A CSV file as (header cells, [(line, cells)] of its non-blank data rows); line 1 is the first line."""
    header, rows = iter_csv_table(path, max_bytes)
    return header, list(rows)


def iter_csv_table(path, max_bytes):
    """A CSV file as (header cells, an iterator of (line, cells) of its non-blank data rows), read as it is
    iterated; the size, the encoding (the whole file, in one streaming pass) and the header are checked first."""
    check_file(path, max_bytes)
    check_utf8(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        # the same line text.splitlines() would give: every piece of a \n/\r-ended line is one of its lines
        first_line = next((part for line in handle for part in line.splitlines() if part.strip()), "")
    return split_header_rows(path, _csv_rows(path, sniff_delimiter(first_line)), "the file")


def _csv_rows(path, delimiter):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        # strict: a quote left open (a truncated file) is an error, not one cell holding the rest of the file
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        start, header = 1, None
        try:
            for cells in reader:
                values = [value.strip() or None for value in cells]  # cell_text of a CSV's str cells, inline
                header = header or (values if any(values) else None)
                if cells and max(map(len, cells)) > MAX_CELL_CHARS:
                    check_cell_sizes(path, start, header, values)
                yield start, values
                start = reader.line_num + 1  # a quoted cell may span lines: the next row starts after them
        except csv.Error as exc:
            raise SourceError(f"{path}: line {start} cannot be read as CSV ({exc})") from None


def read_xlsx_table(path, max_bytes, sheet=None, preferred="projects"):
    """One sheet of an XLSX workbook as (header cells, [(row number, cells)] of its non-blank rows): ``sheet``,
    else the one named ``preferred``, else the first."""
    header, rows = iter_xlsx_table(path, max_bytes, sheet, preferred)
    return header, list(rows)


def iter_xlsx_table(path, max_bytes, sheet=None, preferred="projects"):
    """As ``read_xlsx_table``, the rows read (openpyxl read-only) as they are iterated."""
    check_file(path, max_bytes)
    check_xlsx_uncompressed(path, max_bytes)
    # read twice side by side: the values Excel saved, and the formulas (a formula cell without a saved value
    # would silently read as empty, and its budget be lost)
    values_book, formulas_book = _open_workbook(path, data_only=True), _open_workbook(path, data_only=False)
    try:
        worksheet = _pick_sheet(path, values_book, sheet, preferred)
    except SourceError:
        values_book.close()
        formulas_book.close()
        raise
    return split_header_rows(path, _xlsx_rows(path, worksheet, values_book, formulas_book),
                             f'the sheet "{worksheet.title}"')


def _xlsx_rows(path, worksheet, values_book, formulas_book):
    try:
        formulas = formulas_book[worksheet.title]
        for each in (worksheet, formulas):  # some tools state a wrong sheet size; read every row there is
            each.reset_dimensions()
        header = None
        for number, (values, written) in enumerate(zip(worksheet.iter_rows(values_only=True),
                                                       formulas.iter_rows(values_only=True)), start=1):
            header = header or (values if any(v is not None for v in values) else None)
            _check_formulas(path, worksheet.title, number, values, written, header)
            yield number, [cell_text(value) for value in values]
    finally:
        values_book.close()
        formulas_book.close()


def _open_workbook(path, data_only):
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SourceError(f"{path}: not a readable XLSX workbook ({exc}); save it again from Excel as .xlsx") from None


def _check_formulas(path, sheet, number, values, written, header):
    """A formula cell is read as the value Excel saved with it; one saved without its value is refused."""
    for index, (value, formula) in enumerate(zip(values, written)):
        if value is None and isinstance(formula, str) and formula.startswith("="):
            column = cell(header or (), index) or f"column {index + 1}"
            raise SourceError(f'{path}: sheet "{sheet}", cell {get_column_letter(index + 1)}{number} ({column}) '
                              f'holds the formula {formula} without a saved value; open the file in Excel or '
                              "LibreOffice and save it again (values are computed on saving), or paste the values")


def _pick_sheet(path, book, sheet, preferred):
    """The sheet asked for, else the one named ``preferred``, else the first."""
    by_name = {name.strip().casefold(): name for name in book.sheetnames}
    if sheet is not None:
        if sheet.strip().casefold() not in by_name:
            raise SourceError(f'{path}: no sheet named "{sheet}"; the workbook has '
                              + ", ".join(f'"{name}"' for name in book.sheetnames))
        return book[by_name[sheet.strip().casefold()]]
    if preferred in by_name:
        return book[by_name[preferred]]
    return book.worksheets[0]


def split_header(path, rows, where):
    """Drop blank rows; the first row left is the header, the others the data rows."""
    header, data = split_header_rows(path, rows, where)
    return header, list(data)


def split_header_rows(path, rows, where):
    """As ``split_header`` on an iterator of rows: (header, an iterator of the data rows), the header and the
    first data row read now (so an empty or header-only file is refused before anything else happens)."""
    rows = ((line, cells) for line, cells in rows if any(value is not None for value in cells))
    first = next(rows, None)
    if first is None:
        raise SourceError(f"{path}: {where} is empty")
    second = next(rows, None)
    if second is None:
        raise SourceError(f"{path}: {where} has a header row but no data rows")
    return [value or "" for value in first[1]], itertools.chain([second], rows)


def cell(cells, index):
    """The cell at ``index``, or None when the row is shorter than the header."""
    return cells[index] if index < len(cells) else None


def cell_text(value):
    """A raw cell as text: blank -> None, dates -> YYYY-MM-DD, 12.0 -> "12", True -> "yes"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def latin_digits(text):
    """Khmer digits (០-៩) as Latin digits, so codes, dates and amounts typed in Khmer parse."""
    return None if text is None else text.translate(KHMER_DIGITS)


def raw_frame(records, columns):
    """The frame a reader returns: ``line`` (int) and the given columns, values as strings or None."""
    frame = pd.DataFrame({name: [record.get(name) for record in records] for name in ["line", *columns]},
                         dtype=object)
    frame["line"] = frame["line"].astype("int64")
    return frame

