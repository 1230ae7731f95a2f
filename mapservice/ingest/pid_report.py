"""Reader of NCDD Project Implementation Database (PID) reports saved as CSV.

One layout combines the PID "implementation" and "contract summary" reports
(``shared/data/projects/ncdd_pid_report_columns.csv``); the header row names the columns::

    area_name, vill_name, description, quantity, start_actual, end_planned, end_actual, last_report,
    status, contract, contractor, n_bidders, total_value, cs_fund, local_cont

Only area_name, description and total_value are required; other columns are ignored. A row whose
area_name is filled is a commune row ("010201 Banteay Neang", "010201", or a commune name in Latin or
Khmer letters); the rows below it, with a blank area_name, are that commune's outputs, one project each.

How an output row becomes a canonical record:

- commune_code: the commune row's leading digits, else its name looked up (exact, case-insensitive) among
  the gazetteer communes of the province; an unknown name is passed on as text for validation to reject.
- title_en: description, plus " (village)" when vill_name is given.
- sector: the first keyword group the description matches (see SECTOR_KEYWORDS), else the description.
- project_type: "rehabilitation" when the description says repair/rehab, else "construction".
- status: "100 %" -> completion, any other percentage -> implementation.
- planned_start: a date in the commune row's quantity cell (the report puts the planned start there);
  planned_end, actual_start, actual_end: end_planned, start_actual, end_actual. DD/MM/YYYY and
  DD-MM-YYYY become YYYY-MM-DD; other text is passed on. last_report has no canonical column.
- total_value is the contract value and also the budget: the report has no separate planned budget.
- cs_fund, local_cont -> cs_fund, local_contribution; amounts lose their thousands commas and "R".
- contract -> contract_number ("Not yet sign contract" -> none); contractor -> awarded_tenderer;
  n_bidders -> number_of_bidders; funding_source is cs_fund; fiscal_year is the ``fiscal_year`` argument.
- project_id: PID-{year}-{commune_code}-{n:03d}, n counting the commune's outputs in file order. The
  reports carry no PID record number, so pid_reference stays empty (no made-up link to the PID).
"""
import datetime
import itertools
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from mapservice.ingest.records import SourceError, normalise_code
from mapservice.ingest.source_files import CHUNK_ROWS, RawChunks, batched, cell, iter_csv_table, latin_digits, raw_frame
from mapservice.ingest.template import missing_columns_error

LAYOUT = ["area_name", "vill_name", "description", "quantity", "start_actual", "end_planned", "end_actual",
          "last_report", "status", "contract", "contractor", "n_bidders", "total_value", "cs_fund", "local_cont"]
REQUIRED_COLUMNS = ["area_name", "description", "total_value"]
# first match wins: a "laterite road with culverts" is a road; "water drainage" is drainage, not a well
SECTOR_KEYWORDS = [
    (r"road|laterite|asphalt", "rural_road"),
    (r"culvert", "culvert"),
    (r"bridge", "bridge"),
    (r"drain", "drainage"),
    (r"canal|irrigation", "irrigation"),
    (r"well|water|pond", "well"),
    (r"school", "school"),
    (r"market", "market"),
    (r"health", "health_post"),
    (r"office|hall", "public_building"),
]
OUTPUT_COLUMNS = [
    "project_id", "pid_reference", "title_en", "contract_number", "awarded_tenderer", "sector", "project_type",
    "status", "funding_source", "fiscal_year", "planned_start", "planned_end", "actual_start", "actual_end",
    "budget", "contract_value", "cs_fund", "local_contribution", "number_of_bidders", "commune_code",
]
LEADING_CODE = re.compile(r"^(?:KH)?(\d+)(?=$|[\s,;:.-])", re.IGNORECASE)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})")


def read_pid_report(path, max_bytes, fiscal_year=None, province_code=None, gazetteer_communes=None):
    """Read a PID report CSV into a raw frame, one record per output row (see the module docstring)."""
    return read_pid_report_chunks(path, max_bytes, fiscal_year, province_code, gazetteer_communes).whole()


def read_pid_report_chunks(path, max_bytes, fiscal_year=None, province_code=None, gazetteer_communes=None,
                           chunk_rows=None):
    """A PID report CSV as raw frames of at most ``chunk_rows`` records (RawChunks), read as they are asked for."""
    path = Path(path)
    if fiscal_year is None or str(fiscal_year).strip() == "":
        raise SourceError(f"{path}: the PID report layout needs --year (the fiscal year the report covers, "
                          "e.g. --year 2016)", "pid_needs_year")
    header, rows = iter_csv_table(path, max_bytes)
    positions = _layout_positions(path, header)
    names = commune_names(gazetteer_communes, province_code)
    records = _records(rows, positions, str(fiscal_year).strip(), names)
    first = next(records, None)
    if first is None:
        raise SourceError(f"{path}: no output rows; expected rows with a blank area_name below a commune row",
                          "pid_no_rows")
    frames = (raw_frame(part, OUTPUT_COLUMNS) for part in batched(itertools.chain([first], records),
                                                                    chunk_rows or CHUNK_ROWS))
    ignored = [label for label in header if label and label.strip().casefold() not in LAYOUT]
    return RawChunks(frames, {"ignored_columns": ignored})


def _layout_positions(path, header):
    """Where each layout column is; the first of a repeated name wins."""
    positions = {}
    for index, label in enumerate(header):
        name = label.strip().casefold()
        if name in LAYOUT and name not in positions:
            positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise missing_columns_error(path, missing, header)
    return positions


def commune_names(gazetteer_communes, province_code=None):
    """Folded Latin and Khmer commune names -> code, for the names that are unique in the province."""
    if gazetteer_communes is None:
        return {}
    communes = pd.DataFrame(gazetteer_communes)
    codes = communes["code"].map(normalise_code).fillna("")
    if province_code is not None:
        in_province = codes.str.startswith(normalise_code(province_code))
        communes, codes = communes[in_province], codes[in_province]
    found = {}
    for column in ("name_en", "name_km"):
        for name, code in zip(communes.get(column, []), codes):
            found.setdefault(_fold(name), set()).add(code)
    # a name shared by two communes of the province says nothing: leave it to be rejected
    return {name: next(iter(matches)) for name, matches in found.items() if name and len(matches) == 1}


def _fold(text):
    return "" if pd.isna(text) else str(text).replace("\u200b", "").strip().casefold()


def commune_of(area_name, names):
    """The commune code of a commune row: its leading digits, else its name looked up; else the text."""
    text = latin_digits(area_name).strip()
    match = LEADING_CODE.match(text)
    if match:
        return normalise_code(match.group(1))
    return names.get(_fold(text), text)


def _records(rows, positions, year, names):
    """Walk the rows: commune rows set the commune, output rows become records (yielded one by one)."""
    counts = Counter()
    commune, planned_start = None, None
    for line, cells in rows:
        row = {name: cell(cells, index) for name, index in positions.items()}
        if row["area_name"]:
            commune = commune_of(row["area_name"], names)
            # the commune row's quantity cell holds the planned start of the commune's outputs
            quantity = pid_date(row.get("quantity"))
            planned_start = quantity if quantity and ISO_DATE.fullmatch(quantity) else None
            continue
        counts[commune] += 1
        project_id = f"PID-{year}-{commune or 'nocommune'}-{counts[commune]:03d}"
        yield {"line": line, "project_id": project_id, "fiscal_year": year, "commune_code": commune,
               "planned_start": planned_start, **output_values(row)}


def output_values(row):
    """The canonical values an output row states by itself."""
    description, village = row.get("description"), row.get("vill_name")
    contract = row.get("contract")
    return {
        "title_en": f"{description} ({village})" if description and village else description,
        "sector": infer_sector(description),
        "project_type": infer_project_type(description),
        "status": pid_status(row.get("status")),
        "funding_source": "cs_fund",
        "planned_end": pid_date(row.get("end_planned")),
        "actual_start": pid_date(row.get("start_actual")),
        "actual_end": pid_date(row.get("end_actual")),
        "budget": money(row.get("total_value")),
        "contract_value": money(row.get("total_value")),
        "cs_fund": money(row.get("cs_fund")),
        "local_contribution": money(row.get("local_cont")),
        "contract_number": None if contract and contract.casefold().startswith("not yet") else contract,
        "awarded_tenderer": row.get("contractor"),
        "number_of_bidders": latin_digits(row.get("n_bidders")),
    }


def infer_sector(description):
    """The sector code the description's keywords point to; else the description itself."""
    if description is None:
        return None
    for pattern, sector in SECTOR_KEYWORDS:
        # keywords start a word: "roads" is a road, "dwelling" is not a well
        if re.search(rf"\b(?:{pattern})", description, re.IGNORECASE):
            return sector
    return description


def infer_project_type(description):
    """Rehabilitation when the description says repair or rehab; construction otherwise."""
    if description and re.search(r"repair|rehab", description, re.IGNORECASE):
        return "rehabilitation"
    return "construction"


def pid_status(text):
    """Physical progress "100 %" -> completion, any other percentage -> implementation; else the text."""
    if text is None:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", latin_digits(text).strip())
    if not match:
        return text
    return "completion" if float(match.group(1)) >= 100 else "implementation"


def pid_date(text):
    """DD/MM/YYYY or DD-MM-YYYY -> YYYY-MM-DD; anything else unchanged, for validation to judge."""
    if text is None:
        return None
    match = DAY_MONTH_YEAR.fullmatch(latin_digits(text).strip())
    if not match:
        return text
    day, month, year = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:  # 31/02/2016 stays as written, so the user sees what they wrote
        return text


def money(text):
    """ "12,345,000 R" -> "12345000"; text that is not an amount is returned unchanged."""
    if text is None:
        return None
    cleaned = re.sub(r"[,\s]", "", latin_digits(text))
    cleaned = re.sub(r"(R|៛|KHR)$", "", cleaned, flags=re.IGNORECASE)
    return cleaned if re.fullmatch(r"\d+(\.\d+)?", cleaned) else text
