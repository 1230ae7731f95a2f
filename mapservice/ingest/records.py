"""The canonical project record, and its validation.

Every reader (template CSV/XLSX, OC4IDS package, NCDD PID report) turns its source into a frame of
*raw* canonical columns (strings or None) plus ``line``, the source line or item number a user can
find. ``validate_records`` parses it, column by column and vectorised, into typed values and a list
of rejected rows, each with its line and reason.
"""
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from mapservice.ingest.currency import SETTING as RATES_SETTING
from mapservice.ingest.currency import convert_to_riel, rate_text
from mapservice.ingest.guards import MAX_AMOUNT_RIEL, SourceError, damaged_text_reason  # noqa: F401
from mapservice.store import vocabulary
from mapservice.store.models import CAMBODIA_BOUNDS, DATE_COLUMNS, Project  # noqa: F401  (also for the readers)

ID_COLUMNS = ["project_id", "pid_reference", "pid_url"]
TEXT_COLUMNS = ["title_km", "title_en", "contract_number", "awarded_tenderer", "eia_document_url"]
CHOICE_COLUMNS = {
    "sector": vocabulary.SECTORS,
    "project_type": vocabulary.PROJECT_TYPES,
    "status": vocabulary.STATUSES,
    "eia_status": vocabulary.EIA_STATUSES,
    "funding_source": vocabulary.FUNDING_SOURCES,
}
URL_COLUMNS = ["pid_url", "eia_document_url"]  # shown as links: only http(s), never javascript: or data:
MONEY_COLUMNS = ["budget", "contract_value", "expenditure", "cs_fund", "local_contribution"]
LOCATION_COLUMNS = ["commune_code", "lon", "lat"]
CANONICAL_COLUMNS = (
    ID_COLUMNS + TEXT_COLUMNS + list(CHOICE_COLUMNS) + ["fiscal_year", "currency"] + DATE_COLUMNS
    + MONEY_COLUMNS + ["number_of_bidders", "eia_required"] + LOCATION_COLUMNS
)
REQUIRED = ["project_id", "sector", "fiscal_year"]
# the identifiers the project table keeps in columns of a fixed length: a longer one is refused here, by its line
LIMITED_COLUMNS = {column: Project.__table__.c[column].type.length for column in ("project_id", "pid_reference")}
# the attrs key of a raw frame whose cells are all stripped, non-blank text or None already (the template reader)
STRIPPED = "stripped_text"
# a web address that is surely one: what is_web_url is asked of the other values only
PLAIN_WEB_URL = r"https?://[A-Za-z0-9.-]+(?:[:/?#]|$)"
DIGITS = re.compile(r"\d+")

# a character that damaged_text_reason looks for (U+FFFD, the "á" of mojibake, "?"): other text is sound
SUSPECT_TEXT = "[\ufffd\u00e1?]"
# Cambodia's extent with a small margin; a point beyond it is a typo (swapped lon/lat, a missing digit).
TRUE_WORDS = {"true", "yes", "y", "1", "បាទ", "ចាស", "មាន", "required"}
FALSE_WORDS = {"false", "no", "n", "0", "ទេ", "គ្មាន", "not required"}


@dataclass
class CodeBook:
    """What the validator checks codes against: the 2014 communes and the aliases of other codes."""

    communes: set
    aliases: dict = field(default_factory=dict)
    first_year: int = 2014
    last_year: int = 2019
    rates: dict = field(default_factory=dict)  # currency -> {fiscal year: riel per unit} (MAPSERVICE_EXCHANGE_RATES)


class RecordErrors:
    """Collects one reason per (row, column); a row with any reason is rejected. Each reason names the row's
    ``line`` and its ``key`` (the project id; budgets give their own key column)."""

    def __init__(self, frame, key="project_id"):
        self.frame, self.key = frame, key
        self.items = []

    def add(self, mask, column, reason_of_value, values=None):
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = self.frame.loc[mask]
        shown = (self.frame[column] if values is None else values)[mask]
        for line, key, value in zip(rows["line"], rows[self.key], shown):
            self.items.append({
                "line": int(line), self.key: None if _blank(key) else str(key),
                "column": column, "reason": reason_of_value(value),
            })

    def rejected_lines(self):
        return {item["line"] for item in self.items}


def is_web_url(text):
    """True for an absolute http or https URL with a host (the only links the service shows)."""
    parts = urlsplit(text) if isinstance(text, str) else None
    return bool(parts and parts.scheme.lower() in ("http", "https") and parts.netloc)


def _blank(value):
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""


def _apply(series, function):
    """Map values one by one into an object series (None stays None, never NaN); ``function`` is pure, so each
    distinct value is worked out once (codes, choices and years repeat across a big file): the values are
    factorised in C and ``function`` is called per distinct value, not per row."""
    values = series.to_numpy(dtype=object)
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:  # a value that cannot be hashed: one call per value
        return pd.Series([function(v) for v in values], index=series.index, dtype=object)
    results = np.fromiter((function(v) for v in distinct), dtype=object, count=len(distinct))
    mapped = results[codes] if len(distinct) else np.empty(len(values), dtype=object)
    missing = np.flatnonzero(codes == -1)  # a missing value's code is -1: what function gives for it, below
    if len(missing):
        given = values[missing]
        none = np.equal(given, None)
        if none.any():
            fill = np.empty(int(none.sum()), dtype=object)
            fill.fill(function(None))
            mapped[missing[none]] = fill
        for at, value in zip(missing[~none], given[~none]):  # NaN, pd.NA, NaT: rare
            mapped[at] = function(value)
    return pd.Series(mapped, index=series.index, dtype=object)


def _given(series):
    """Which cells of a text column (stripped text or None, as validate_records makes every column) hold a value:
    ``notna`` for such a column at a third of its cost (a comparison with None; no cell can be NaN or NA)."""
    return pd.Series(np.not_equal(series.to_numpy(dtype=object), None), index=series.index)


def _text(series):
    """Strip strings; blank and missing become None."""
    return pd.Series([(v.strip() or None) if type(v) is str else None if _blank(v) else str(v).strip()
                      for v in series], index=series.index, dtype=object)


def normalise_code(value):
    """'KH10201' / '10201' / ' 010201 ' -> '010201'; 8-digit village codes keep their 8 digits."""
    if _blank(value):
        return None
    text = str(value).strip().upper()
    if text.endswith(".0"):  # codes read from spreadsheets as numbers
        text = text[:-2]
    if text.startswith("KH"):
        text = text[2:]
    if text.isdigit() and len(text) % 2 == 1:
        text = "0" + text
    return text


def _parse_choice(series, choices, column, errors):
    lookup = {}
    for code, labels in choices.items():
        for word in (code, *labels[:2]):
            lookup[word.casefold()] = code
    values = series  # text already (validate_records)
    parsed = _apply(values, lambda v: None if v is None else lookup.get(v.casefold().replace(" ", "_"),
                                                                        lookup.get(v.casefold())))
    allowed = ", ".join(choices)
    errors.add(_given(values) & parsed.isna(), column,
               lambda v: f'{column} was "{v}"; expected one of {allowed}')
    return parsed


def _parse_money(series, column, errors):
    values = series  # text already (validate_records)
    given = _given(values)
    numbers = pd.to_numeric(values, errors="coerce")
    unread = given & numbers.isna()  # only an amount written with separators or a unit is cleaned
    if unread.any():
        cleaned = values.copy()
        cleaned[unread] = values[unread].str.replace(r"[,\s]|R$|៛$|KHR$", "", regex=True)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        unread = given & numbers.isna()
    errors.add(unread, column,
               lambda v: f'{column} was "{v}"; expected an amount in riel such as 12500000')
    errors.add(numbers < 0, column, lambda v: f'{column} was "{v}"; an amount cannot be negative')
    beyond = numbers.notna() & ~(numbers.abs() <= MAX_AMOUNT_RIEL)  # also inf
    errors.add(beyond, column, lambda v: f'{column} was "{v}"; expected a finite amount of at most '
                                         f'{MAX_AMOUNT_RIEL:,} riel for one project')
    # rounded to whole riel after conversion (_amounts_in_riel)
    return numbers.where(~beyond & (numbers >= 0))


def _parse_date(series, column, errors):
    values = series  # text already (validate_records)
    dates = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    errors.add(_given(values) & dates.isna(), column,
               lambda v: f'{column} was "{v}"; expected a date as YYYY-MM-DD')
    return dates.dt.date.astype(object).where(dates.notna(), None)


def _parse_int(series, column, errors, low, high, what):
    values = _apply(series, lambda v: v[:-2] if v is not None and v.endswith(".0") else v)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = _given(values) & (numbers.isna() | (numbers % 1 != 0) | (numbers < low) | (numbers > high))
    errors.add(bad, column, lambda v: f'{column} was "{v}"; expected {what}')
    return numbers.where(~bad).astype("Int64")


def _parse_bool(series, column, errors):
    values = series  # text already (validate_records)
    parsed = _apply(values, lambda v: None if v is None else True if v.casefold() in TRUE_WORDS
                    else False if v.casefold() in FALSE_WORDS else None)
    errors.add(_given(values) & parsed.isna(), column,
               lambda v: f'{column} was "{v}"; expected yes or no')
    return parsed.astype(object).where(parsed.notna(), None)


def _parse_codes(series, book, errors):
    """Normalise stated codes to 2014 commune codes; village codes keep their village."""
    stated = _apply(series, normalise_code)
    village = _apply(stated, lambda c: c if c is not None and len(c) == 8 else None)
    as_commune = _apply(stated, lambda c: c[:6] if c is not None and len(c) == 8 else c)
    commune = _apply(as_commune, lambda c: c if c in book.communes else book.aliases.get(c))
    given = _given(stated)
    not_digits = given & ~_apply(stated, lambda c: c is None or DIGITS.fullmatch(c) is not None).astype(bool)
    too_short = given & ~not_digits & _apply(stated, lambda c: c is not None and len(c) < 6).astype(bool)
    errors.add(not_digits, "commune_code",
               lambda v: f'commune_code was "{v}"; expected a 6-digit NCDD code such as 010201 (or KH010201)')
    errors.add(too_short, "commune_code",
               lambda v: f'commune_code was "{v}", a province or district code; a commune code (6 digits) or lon/lat is required')
    unknown = given & ~not_digits & ~too_short & commune.isna()
    errors.add(unknown, "commune_code",
               lambda v: f'commune_code was "{v}"; it is not a commune of the NCDD 2014 gazetteer '
                         "nor a later code with a known 2014 equivalent")
    return stated, commune, village


def _parse_point(frame, errors):
    lon_text, lat_text = frame["lon"], frame["lat"]
    lon, lat = pd.to_numeric(lon_text, errors="coerce"), pd.to_numeric(lat_text, errors="coerce")
    lon_given, lat_given = _given(lon_text), _given(lat_text)
    for name, given, number in (("lon", lon_given, lon), ("lat", lat_given, lat)):
        errors.add(given & number.isna(), name, lambda v, n=name: f'{n} was "{v}"; expected a decimal degree')
    errors.add(lon_given ^ lat_given, "lon", lambda v: "lon and lat must be given together")
    west, south, east, north = CAMBODIA_BOUNDS
    outside = lon.notna() & lat.notna() & ~(lon.between(west, east) & lat.between(south, north))
    coords = pd.Series([f"{a}, {b}" for a, b in zip(lon_text[outside], lat_text[outside])],
                       index=frame.index[outside], dtype=object).reindex(frame.index)
    errors.add(outside, "lon", lambda v: f"point ({v}) is outside Cambodia "
               f"({west}..{east} E, {south}..{north} N); check that lon and lat are not swapped", values=coords)
    return lon.where(~outside), lat.where(~outside)


def validate_records(raw, book, seen_ids=None):
    """Parse raw canonical columns; return (typed frame of the valid rows, list of rejected-row reasons).

    ``seen_ids``: for a file validated a chunk at a time, {project_id: its first line} of the chunks before,
    updated with this chunk's, so an id repeated across chunks is refused as it is within one."""
    # every column as stripped text or None, once: the parsers below take these (blank and NaN are None); a
    # reader's frame marked STRIPPED holds them already (a column it lacks is None)
    absent = pd.Series([None] * len(raw), index=raw.index, dtype=object)
    clean = (lambda series: series) if raw.attrs.get(STRIPPED) else _text
    texts = {c: clean(raw[c]) if c in raw else absent for c in CANONICAL_COLUMNS}
    frame = pd.DataFrame({"line": raw["line"].astype(object), **texts})
    errors = RecordErrors(frame)
    out = pd.DataFrame({"line": frame["line"].astype(int)})
    for column in ID_COLUMNS + TEXT_COLUMNS:
        out[column] = frame[column]
    for column in REQUIRED:
        blank = ~_given(frame[column])
        errors.add(blank, column, lambda v, c=column: f"{c} is required")
    errors.add(~_given(out["title_km"]) & ~_given(out["title_en"]), "title_en",
               lambda v: "a title is required (title_km or title_en)")
    for column, most in LIMITED_COLUMNS.items():
        errors.add(out[column].str.len() > most, column,
                   lambda v, c=column, m=most: f'{c} was "{v}", {len(v)} characters; expected at most {m}')
    for column in TEXT_COLUMNS + ["project_id"]:
        if not _may_hold(out[column], SUSPECT_TEXT):
            continue
        reasons = pd.Series(None, index=out.index, dtype=object)
        suspect = out[column].str.contains(SUSPECT_TEXT, regex=True, na=False)  # only these can be damaged
        reasons[suspect] = [damaged_text_reason(column, v) for v in out[column][suspect]]
        errors.add(reasons.notna(), column, lambda reason: reason, values=reasons)
    for column in URL_COLUMNS:
        given = _given(out[column])
        web = out[column].str.match(PLAIN_WEB_URL, na=False)
        unsure = given & ~web  # a blank cell is no address to check
        web[unsure] = out[column][unsure].map(is_web_url)
        errors.add(given & ~web.astype(bool), column,
                   lambda v, c=column: f'{c} was "{v}"; expected a web address starting with http:// or https://')
    _refuse_repeated_ids(out, errors, {} if seen_ids is None else seen_ids)
    for column, choices in CHOICE_COLUMNS.items():
        out[column] = _parse_choice(frame[column], choices, column, errors)
    out["fiscal_year"] = _parse_int(frame["fiscal_year"], "fiscal_year", errors, book.first_year, book.last_year,
                                    f"a year from {book.first_year} to {book.last_year}")
    for column in DATE_COLUMNS:
        out[column] = _parse_date(frame[column], column, errors)
    _amounts_in_riel(frame, out, book, errors)
    out["number_of_bidders"] = _parse_int(frame["number_of_bidders"], "number_of_bidders", errors, 0, 1000,
                                          "a whole number of bidders")
    out["eia_required"] = _parse_bool(frame["eia_required"], "eia_required", errors)
    out["stated_code"], out["commune_code"], out["village_code"] = _parse_codes(frame["commune_code"], book, errors)
    out["lon"], out["lat"] = _parse_point(frame, errors)
    errors.add(~_given(out["stated_code"]) & out["lon"].isna() & ~_given(frame["lon"]), "commune_code",
               lambda v: "no location: give commune_code or lon and lat")
    out["quality_flags"] = quality_flags(out)
    rejected = errors.rejected_lines()
    valid = out[~out["line"].isin(rejected)].reset_index(drop=True)
    return valid, sorted(errors.items, key=lambda item: item["line"])


def _may_hold(series, pattern):
    """False when no text of ``series`` holds a match of ``pattern`` (one character class), found in one pass over
    the column's text joined (NUL between the cells: a source file holds none); True otherwise, or when the column
    holds other values than text."""
    try:
        joined = "\x00".join(filter(None, series.to_numpy(dtype=object)))
    except TypeError:
        return True
    return re.search(pattern, joined) is not None


def _refuse_repeated_ids(out, errors, seen_ids):
    """A project id given twice in a file: every row after its first is refused, naming the first line."""
    ids = out["project_id"]
    given = _given(ids)
    # {id: its first line here}: built from the last row to the first, so the first line of an id is what stays
    first_here = dict(zip(ids[given].tolist()[::-1], out["line"][given].tolist()[::-1]))
    earlier = ids.map(seen_ids.get) if seen_ids else pd.Series(None, index=ids.index, dtype=object)
    repeated = given & (ids.duplicated(keep="first") | earlier.notna())

    def first_line(value):
        pid = str(value).strip()
        return seen_ids.get(pid, first_here.get(pid))

    errors.add(repeated, "project_id",
               lambda v: f'project_id "{v}" appears more than once in this file (first on line {first_line(v)})')
    for pid, line in first_here.items():
        seen_ids.setdefault(pid, line)


def _amounts_in_riel(frame, out, book, errors):
    """The amounts in whole riel: another currency is converted at its rate for the fiscal year, and the
    original currency, the rate and the original amounts are kept (original_currency, exchange_rate,
    original_amounts); a currency without a rate for that year is refused."""
    currency = _apply(frame["currency"], lambda v: "KHR" if v is None else v.upper())  # text already
    year = out["fiscal_year"]
    known = currency.eq("KHR")
    if not known.all():
        known = known | pd.Series([year_ in book.rates.get(code, {}) for code, year_ in zip(currency, year)],
                                  index=currency.index, dtype=bool)
    mixed = _apply(currency, lambda v: "+" in v).astype(bool)
    errors.add(mixed, "currency", lambda v: f'currency was "{v}": the amounts of one project are in more than one '
               "currency; give them all in one (riel, or one currency with a rate)")
    known = known | mixed  # refused once, for being mixed
    errors.add(~known & year.notna(), "currency", lambda v: f'currency was "{v}"; expected KHR, or a currency '
               f"with a rate for the project's fiscal year in {RATES_SETTING} (rates for: "
               f"{', '.join(f'{c} {rate_text(book.rates, c)}' for c in book.rates) or 'none'})")
    amounts = pd.DataFrame({column: _parse_money(frame[column], column, errors) for column in MONEY_COLUMNS})
    riel, rate, originals = convert_to_riel(amounts, currency.where(known, "KHR"), year, book.rates)
    foreign = currency != "KHR"
    for column in MONEY_COLUMNS:
        converted = foreign & riel[column].notna() & (riel[column] > MAX_AMOUNT_RIEL)
        errors.add(converted, column, lambda v: f'{column} was "{v}" in another currency; expected at most '
                                                f'{MAX_AMOUNT_RIEL:,} riel for one project once converted')
        out[column] = riel[column].where(~converted)
    out["currency"] = "KHR"
    out["original_currency"] = currency.where(foreign)
    out["exchange_rate"], out["original_amounts"] = rate, originals


def quality_flags(frame):
    """Plausibility warnings that do not reject a row but belong in the data-quality report."""
    checks = {
        "expenditure_over_budget": frame["expenditure"] > frame["budget"] * 1.5,
        "contract_over_budget": frame["contract_value"] > frame["budget"] * 1.2,
        "actual_end_before_start": _dates_before(frame["actual_end"], frame["actual_start"]),
        "planned_end_before_start": _dates_before(frame["planned_end"], frame["planned_start"]),
        "completed_without_expenditure": (frame["status"] == "completion") & frame["expenditure"].isna(),
        "missing_budget": frame["budget"].isna(),
    }
    joined = np.full(len(frame), "", dtype=object)
    for name, mask in checks.items():
        hit = mask.fillna(False).to_numpy(dtype=bool)
        joined[hit] += name + ","  # only the rows flagged
    return pd.Series([text[:-1] or None for text in joined], index=frame.index, dtype=object)


def _dates_before(later, earlier):
    return pd.to_datetime(later) < pd.to_datetime(earlier)  # NaT compares False
