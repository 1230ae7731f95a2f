"""The registry of project-record readers: which formats exist, how to tell them apart, one entry point."""
import csv
from collections import namedtuple
from pathlib import Path

from mapservice.ingest.oc4ids import read_oc4ids, read_oc4ids_chunks
from mapservice.ingest.pid_report import read_pid_report, read_pid_report_chunks
from mapservice.ingest.records import SourceError
from mapservice.ingest.source_files import sniff_delimiter
from mapservice.ingest.template import read_template, read_template_chunks

# reader(path, max_bytes, **options) -> the raw frame; chunks(path, max_bytes, **options, chunk_rows=N) -> RawChunks,
# the same rows a chunk at a time; ``options`` are the context keys the reader takes
Format = namedtuple("Format", "reader description options chunks")

FORMATS = {
    "template": Format(read_template, "the project's CSV/XLSX template, English or Khmer headers "
                       "(docs/project-template.md)", ("sheet",), read_template_chunks),
    "oc4ids": Format(read_oc4ids, "an OC4IDS 0.9 project package (JSON)", (), read_oc4ids_chunks),
    "pid": Format(read_pid_report, "an NCDD PID implementation/contract-summary report saved as CSV "
                  "(needs the fiscal year)", ("fiscal_year", "province_code", "gazetteer_communes"),
                  read_pid_report_chunks),
}
PID_MARKERS = {"area_name", "description"}
HEADER_PEEK_BYTES = 64 * 1024


def detect_format(path):
    """The format a file is in, from its suffix (and, for CSV, its header): template, oc4ids or pid."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "oc4ids"
    if suffix == ".xlsx":
        return "template"
    if suffix == ".csv":
        return "pid" if PID_MARKERS <= _csv_header_names(path) else "template"
    raise SourceError(f'{path}: cannot tell the format of a "{path.suffix}" file; expected .csv, .xlsx or .json, '
                      f"or name the format: {', '.join(FORMATS)}", "file_type")


def _csv_header_names(path):
    """The folded names of a CSV file's first non-blank line; empty if it cannot be read (the reader will say why)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEADER_PEEK_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return set()
    first = next((line for line in head.splitlines() if line.strip()), "")
    cells = next(csv.reader([first], delimiter=sniff_delimiter(first)), [])
    return {name.strip().casefold() for name in cells}


def read(path, source_format, max_bytes, **context):
    """Read ``path`` with the reader of ``source_format`` into one raw frame, passing it only the context it takes."""
    return read_chunks(path, source_format, max_bytes, **context).whole()


def read_chunks(path, source_format, max_bytes, chunk_rows=None, **context):
    """Read ``path`` as raw frames of at most ``chunk_rows`` rows (RawChunks, read as they are iterated); the
    file-level checks are made before this returns."""
    if source_format not in FORMATS:
        raise SourceError(f'{path}: unknown format "{source_format}"; expected one of {", ".join(FORMATS)}')
    _reader, _description, options, chunks = FORMATS[source_format]
    # the PID report needs the fiscal year and the communes; the other formats state them per record
    given = {name: value for name, value in context.items() if name in options}
    return chunks(Path(path), max_bytes, **given, chunk_rows=chunk_rows)
