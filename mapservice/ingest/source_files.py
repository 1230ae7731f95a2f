"""Reading a source file safely, for every reader: size and UTF-8 checked first (one streaming pass), CSV and XLSX
rows streamed with the line a user can find, cells as text, and the raw frames a reader returns, whole or a chunk of
rows at a time (``RawChunks``)."""
import codecs
import csv
import datetime
import itertools
import zipfile

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from mapservice.ingest.guards import MAX_CELL_CHARS, SourceError, check_cell_sizes, check_xlsx_uncompressed

CHUNK_ROWS = 50_000  # rows per raw frame of a streaming read: a few tens of MB, whatever the file's size
# the first frame of a template file is smaller: the database begins storing it (in the writer's thread) while the
# rest is read, instead of waiting for a whole chunk to be read, validated and joined (about 2 s at the start)
FIRST_CHUNK_ROWS = 5_000
BLOCK_BYTES = 1 << 20
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")


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


def batched(items, size, first=None):
    """Lists of up to ``size`` items of ``items``, in order (itertools.batched of Python 3.12); the first of up to
    ``first`` items when given."""
    iterator = iter(items)
    if first is not None and (part := list(itertools.islice(iterator, first))):
        yield part
    while part := list(itertools.islice(iterator, size)):
        yield part


def check_file(path, max_bytes):
    """Refuse a missing, empty or oversized file before reading any of it; return its size."""
    if not path.is_file():
        raise SourceError(f"{path}: file not found", "not_found")
    size = path.stat().st_size
    if size == 0:
        raise SourceError(f"{path}: the file is empty", "empty_file")
    if size > max_bytes:
        raise SourceError(f"{path}: {size} bytes is larger than MAPSERVICE_MAX_IMPORT_BYTES ({max_bytes})", "too_large",
                          size=size, limit=max_bytes)
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
                                      f"mark); {save_hint}", "utf16")
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
                          f"the file looks UTF-16 encoded; {save_hint}", "utf16")
    if undecodable is None:
        undecodable = _undecodable(decoder, b"", 0, offset, newlines, final=True)
    if undecodable:
        at, byte, line = undecodable
        raise SourceError(f"{path}: not UTF-8: byte 0x{byte:02x} at byte offset {at} "
                          f"(line {line}) cannot be decoded (a legacy encoding such as "
                          f"Windows-1252?); {save_hint}", "not_utf8", line=line)


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
            raise SourceError(f"{path}: line {start} cannot be read as CSV ({exc})", "csv_unreadable",
                              line=start) from None


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
        raise SourceError(f"{path}: not a readable XLSX workbook ({exc}); save it again from Excel as .xlsx",
                          "xlsx_unreadable") from None


def _check_formulas(path, sheet, number, values, written, header):
    """A formula cell is read as the value Excel saved with it; one saved without its value is refused."""
    for index, (value, formula) in enumerate(zip(values, written)):
        if value is None and isinstance(formula, str) and formula.startswith("="):
            column = cell(header or (), index) or f"column {index + 1}"
            raise SourceError(f'{path}: sheet "{sheet}", cell {get_column_letter(index + 1)}{number} ({column}) '
                              f'holds the formula {formula} without a saved value; open the file in Excel or '
                              "LibreOffice and save it again (values are computed on saving), or paste the values",
                              "formula_without_value", sheet=sheet, cell=f"{get_column_letter(index + 1)}{number}",
                              column=column, formula=formula)


def _pick_sheet(path, book, sheet, preferred):
    """The sheet asked for, else the one named ``preferred``, else the first."""
    by_name = {name.strip().casefold(): name for name in book.sheetnames}
    if sheet is not None:
        if sheet.strip().casefold() not in by_name:
            raise SourceError(f'{path}: no sheet named "{sheet}"; the workbook has '
                              + ", ".join(f'"{name}"' for name in book.sheetnames), "no_such_sheet", sheet=sheet,
                              sheets=", ".join(book.sheetnames))
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
    rows = ((line, cells) for line, cells in rows if any(cells))  # cells are text or None: a blank one is None
    first = next(rows, None)
    if first is None:
        raise SourceError(f"{path}: {where} is empty", "no_rows")
    second = next(rows, None)
    if second is None:
        raise SourceError(f"{path}: {where} has a header row but no data rows", "header_only")
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
