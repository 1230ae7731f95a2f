"""Guards against files that would hurt the import: a zip bomb, a JSON document nested without end, amounts no
project can have, and Khmer text destroyed on the way (saved in a legacy encoding).

Each guard refuses with a message that names the file, where in it (line, sheet and cell, item) and what to do.
The limits are documented in docs/project-template.md ("Limits")."""
import json
import re
import zipfile


class SourceError(ValueError):
    """A source file that cannot be read at all (empty, wrong encoding, missing column, too large...). The message
    (English, naming the file) is the CLI's; ``code`` and ``params`` let a page say the same in its language
    (web/reasons.py: FILE_TEXTS)."""

    def __init__(self, message, code=None, **params):
        self.code, self.params = code, params
        super().__init__(message)


# The largest amount of one project, in riel (about 244 million US dollars: far over any commune or district
# project). It also keeps the sums of a million projects inside a 64-bit integer.
MAX_AMOUNT_RIEL = 10 ** 12
# Excel's own limit for one cell: a longer cell cannot come from a spreadsheet, so the file is damaged or hostile
MAX_CELL_CHARS = 32_767
# OC4IDS nests about 6 levels deep; 64 leaves room for extensions while refusing a document built to exhaust the parser
MAX_JSON_DEPTH = 64
SAVE_AS_UTF8 = ('save the file again as UTF-8 (in Excel: "Save as" > "CSV UTF-8"; in LibreOffice: character set '
                '"Unicode (UTF-8)")')
# Khmer letters saved as UTF-8 and read back as Windows-1252 or Latin-1: U+1780..U+17FF become "áž…" / "áŸ…"
KHMER_MOJIBAKE = re.compile("\u00e1[\u017e\u0178\u009e\u009f]")
KHMER_LETTER = re.compile("[\u1780-\u17ff\u19e0-\u19ff]")
QUESTION_MARKS = re.compile(r"\?{2,}|^\?+$")


def check_xlsx_uncompressed(path, max_bytes):
    """Refuse a workbook whose unpacked content is larger than ``max_bytes``, before any of it is parsed.

    The sizes the zip states are checked first, then the members are unpacked and counted (a zip can state
    false sizes), without keeping them."""
    try:
        with zipfile.ZipFile(path) as archive:
            stated = sum(info.file_size for info in archive.infolist())
            if stated > max_bytes:
                raise _bomb(path, stated, max_bytes)
            unpacked = 0
            for info in archive.infolist():
                with archive.open(info) as member:
                    while block := member.read(1 << 20):
                        unpacked += len(block)
                        if unpacked > max_bytes:
                            raise _bomb(path, unpacked, max_bytes, at_least=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise SourceError(f"{path}: not a readable XLSX workbook ({exc}); save it again from Excel as .xlsx",
                          "xlsx_unreadable") from None


def _bomb(path, size, max_bytes, at_least=False):
    return SourceError(f"{path}: the workbook unpacks to {'more than ' if at_least else ''}{size:,} bytes, more than "
                       f"MAPSERVICE_MAX_IMPORT_BYTES ({max_bytes:,}); nothing was read. Split the file, or save it "
                       "as CSV UTF-8", "xlsx_too_large", limit=max_bytes)


def check_cell_sizes(path, line, header, cells):
    """Refuse a row with a cell longer than MAX_CELL_CHARS, naming its line and column."""
    for index, value in enumerate(cells):
        if value is not None and len(value) > MAX_CELL_CHARS:
            column = header[index] if header and index < len(header) and header[index] else f"column {index + 1}"
            raise SourceError(f'{path}: line {line}, column "{column}": a cell of {len(value):,} characters, more than '
                              f"{MAX_CELL_CHARS:,} (a spreadsheet's limit); the file is damaged, or the column is "
                              "not one of the template's", "cell_too_long", line=line, column=column,
                              length=len(value), limit=MAX_CELL_CHARS)


def load_json(path, text):
    """``text`` parsed as JSON, refusing invalid JSON and nesting deeper than MAX_JSON_DEPTH with where it is."""
    try:
        document = json.loads(text, parse_constant=lambda name: name)  # NaN/Infinity stay text: validation names them
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", "not_json",
                          line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise SourceError(f"{path}: JSON nested too deeply (more than {MAX_JSON_DEPTH} levels); "
                          "an OC4IDS package nests about 6 levels", "json_too_deep", limit=MAX_JSON_DEPTH) from None
    _check_depth(path, document)
    return document


def _check_depth(path, document):
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise SourceError(f"{path}: JSON nested too deeply (more than {MAX_JSON_DEPTH} levels); "
                              "an OC4IDS package nests about 6 levels", "json_too_deep", limit=MAX_JSON_DEPTH)
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def damaged_text_reason(column, value):
    """Why ``value`` of a text column is Khmer destroyed by a wrong encoding, or None when it looks sound."""
    if "\ufffd" in value:
        return (f'{column} was "{value}": it holds "\ufffd", a letter lost when the file was converted; '
                + SAVE_AS_UTF8)
    if KHMER_MOJIBAKE.search(value):
        return (f'{column} was "{value}": Khmer letters read in the wrong encoding (mojibake); ' + SAVE_AS_UTF8)
    if column.endswith("_km") and QUESTION_MARKS.search(value) and not KHMER_LETTER.search(value):
        return (f'{column} was "{value}": the Khmer letters were replaced by "?" when the file was saved; '
                + SAVE_AS_UTF8)
    return None
