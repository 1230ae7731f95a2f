"""Every CSV the service writes goes through here: cells a spreadsheet would run as a formula are neutralised, and
the downloads quote every text cell so that GIS software keeps codes as text.

OWASP's rule for CSV injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'``, so Excel and LibreOffice show it as text instead of evaluating it
(``=HYPERLINK(...)``, ``@SUM(...)``, ``+cmd|...``). Numbers stay numbers: an int or float value, or text that is
a plain number such as ``-12.5`` (a longitude, a negative amount), is written unchanged. The XLSX writers need no
such rule: they write text cells, never formulas.

Quoting text (``quote_text=True``, the downloads): every ``str`` cell is written in double quotes, numbers, dates
and booleans bare, an empty cell as nothing. GDAL's CSV driver (and QGIS, which uses it) with
``AUTODETECT_TYPE=YES`` and ``QUOTED_FIELDS_AS_STRING=YES`` then keeps zero-padded codes such as ``01`` or
``010201`` as text while it still types amounts, years and dates. Python's ``QUOTE_NONNUMERIC`` would also quote
empty cells, dates and booleans, so the cells are written here: bare ones never hold a separator, quote or line end.
"""
import csv
import numbers
import re
from datetime import date
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value):
    """``value`` as safe to open in a spreadsheet: formula-like text prefixed with ``'``; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def typed_cell(value):
    """One cell of a text-quoting CSV: text neutralised and quoted; numbers, dates and booleans bare; None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):  # numpy integers too
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return '"' + neutralise_cell(str(value)).replace('"', '""') + '"'


class SafeWriter:
    """``csv.writer`` whose every cell is neutralised (same ``writerow``/``writerows``)."""

    def __init__(self, handle, **options):
        self._writer = csv.writer(handle, **options)

    def writerow(self, row):
        return self._writer.writerow([neutralise_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class TextQuotingWriter(SafeWriter):
    """A writer whose text cells are quoted and neutralised, the others bare (``typed_cell``)."""

    def __init__(self, handle, lineterminator="\r\n"):
        self._handle, self._end = handle, lineterminator

    def writerow(self, row):
        return self._handle.write(",".join(typed_cell(value) for value in row) + self._end)


def csv_writer(handle, quote_text=False, **options):
    """The CSV writer every file of the service uses (options as ``csv.writer``; ``quote_text``: see above)."""
    return TextQuotingWriter(handle, **options) if quote_text else SafeWriter(handle, **options)
