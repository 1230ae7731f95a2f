"""Reader of OC4IDS 0.9.5 project packages (JSON): each project becomes one raw canonical record.

The mapping, field by field (first match wins; every value is turned into text):

==========================================================  ==================================
OC4IDS project field                                        canonical column
==========================================================  ==================================
id, less a leading ``oc4ids-XXXXXX-`` prefix                project_id
identifiers[] with scheme "KH-NCDD-PID": id                 pid_reference
documents[] with documentType "x_pidRecord", else one
whose title starts with "PID": url                          pid_url
title / title_km (our extension)                            title_en / title_km
additionalClassifications[] with scheme
"KH-MAPSERVICE-SECTOR": id; else the OC4IDS sector list     sector, by SECTORS_FROM_OC4IDS
type / status                                               project_type / status (by
                                                            STATUSES_FROM_OC4IDS)
year of budget.requestDate, else of
identificationPeriod.startDate, else of period.startDate    fiscal_year
period.startDate / period.endDate                           planned_start / planned_end
implementationPeriod.startDate / endDate                    actual_start / actual_end
completion.endDate (when implementationPeriod.endDate
is absent)                                                  actual_end
budget.amount.amount                                        budget
budget.budgetBreakdowns[].budgetBreakdown[], the first
item whose sourceParty.name contains "Commune/Sangkat
Fund": amount.amount                                        cs_fund
... whose sourceParty.name contains "community" or
"local contribution": amount.amount                         local_contribution
completion.finalValue.amount, else the first contracting
process's summary.finalValue.amount                         expenditure
contractingProcesses[0].summary.externalReference           contract_number
(the process id and OCID identify the process, not the contract)
contractingProcesses[0].summary.suppliers[0].name           awarded_tenderer
contractingProcesses[0].summary.tender.numberOfTenderers    number_of_bidders
contractingProcesses[0].summary.contractValue.amount        contract_value
environment.hasImpactAssessment (true/false)                eia_required ("yes"/"no")
environment.x_eiaStatus (our extension)                     eia_status
documents[] with documentType "environmentalImpact": url    eia_document_url
locations[] with gazetteer.scheme "KH-NCDD":
gazetteer.identifiers[0]                                    commune_code
locations[] with a Point geometry: coordinates [lon, lat]   lon, lat
the currency of each of the amounts above                   currency (one for all of them;
                                                            two or more are refused)
==========================================================  ==================================

OC4IDS codes without a counterpart in our vocabulary (SECTORS_FROM_OC4IDS, STATUSES_FROM_OC4IDS: the tables
of docs/standards.md) are passed on with a note naming the table, so validation rejects the row naming both.

The fiscal year comes from the budget request because a Commune/Sangkat Fund project is budgeted for
one year; the project periods are only a fallback. Dates keep their first 10 characters when they
start with YYYY-MM-DD (date-times become dates); any other text is passed on for validation to reject.
"""
import re
from pathlib import Path

from mapservice.ingest.guards import load_json
from mapservice.ingest.records import SourceError
from mapservice.ingest.source_files import CHUNK_ROWS, RawChunks, cell_text, raw_frame, read_text

ID_PREFIX = re.compile(r"^oc4ids-[0-9a-z]{6}-")
# OC4IDS projectSector code -> our sector (docs/standards.md, "OC4IDS codes on import"). Our sectors are finer
# than OC4IDS's: each OC4IDS code maps to the sector of ours that sub-national projects of that code mostly are.
SECTORS_FROM_OC4IDS = {
    "transport": "rural_road", "transport.road": "rural_road", "waterAndWaste": "well", "education": "school",
    "health": "health_post", "economy": "market", "governance": "public_building",
    "naturalResources.floodProtection": "drainage",
}
# OC4IDS projectStatus code -> our status: a project in maintenance or decommissioned was completed
STATUSES_FROM_OC4IDS = {
    "identification": "identification", "preparation": "preparation", "implementation": "implementation",
    "completion": "completion", "maintenance": "completion", "decommissioning": "completion",
    "decommissioned": "completion", "cancelled": "cancelled",
    "completed": "completion",  # the spelling of the official 0.9.4 example
}
NO_COUNTERPART = "{code} (OC4IDS {codelist} code without a counterpart here; see the table {table} in docs/standards.md)"
DATE_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
OUTPUT_COLUMNS = [
    "project_id", "pid_reference", "pid_url", "title_km", "title_en", "contract_number", "awarded_tenderer",
    "eia_document_url", "sector", "project_type", "status", "eia_status", "fiscal_year", "currency",
    "planned_start", "planned_end", "actual_start", "actual_end", "budget", "contract_value", "expenditure",
    "cs_fund", "local_contribution", "number_of_bidders", "eia_required", "commune_code", "lon", "lat",
]


def read_oc4ids(path, max_bytes):
    """Read an OC4IDS project package (or a list of projects, or one project) into a raw frame."""
    return read_oc4ids_chunks(path, max_bytes).whole()


def read_oc4ids_chunks(path, max_bytes, chunk_rows=None):
    """An OC4IDS package as raw frames of at most ``chunk_rows`` projects (RawChunks). The JSON document is parsed
    whole (its syntax and depth are checked before anything is read from it); the records are made a chunk at a
    time, each chunk's ``attrs["sample_ids"]`` the ids of its projects that our own export marked as SAMPLE."""
    path = Path(path)
    document = load_json(path, read_text(path, max_bytes))
    projects = _projects(path, document)
    size = chunk_rows or CHUNK_ROWS
    return RawChunks(_record_frames(path, projects, size))


def _record_frames(path, projects, size):
    for start in range(0, len(projects), size):
        records, marked = [], set()
        for number, project in enumerate(projects[start:start + size], start=start + 1):
            if not isinstance(project, dict):
                raise SourceError(f"{path}: project {number} is {type(project).__name__}, not a JSON object",
                                  "project_not_object", number=number)
            records.append({"line": number, **project_record(project)})
            # our own export marks each sample project (x_isSample); it must stay marked, and only it, when imported
            if project.get("x_isSample") is True:
                marked.add(records[-1]["project_id"])
        frame = raw_frame(records, OUTPUT_COLUMNS)
        frame.attrs["sample_ids"] = marked
        yield frame


def _projects(path, document):
    """The list of projects of a package, a bare list, or a single project object."""
    if isinstance(document, dict) and "projects" in document:
        projects = document["projects"]
    elif isinstance(document, list):
        projects = document
    elif isinstance(document, dict) and ("id" in document or "title" in document):
        projects = [document]
    else:
        raise SourceError(f'{path}: not an OC4IDS project package; expected {{"version": ..., "projects": [...]}}, '
                          "a list of projects or one project object", "not_oc4ids")
    if not isinstance(projects, list):
        raise SourceError(f'{path}: "projects" is {type(projects).__name__}; expected a list of projects', "not_oc4ids")
    if not projects:
        raise SourceError(f"{path}: the package has no projects", "no_projects")
    return projects


def project_record(project):
    """One OC4IDS project as a dict of raw canonical values (text or None); see the module docstring."""
    record = {
        **_identity(project), **_dates(project), **_money(project), **_contract(project),
        **_environment(project), **_location(project),
    }
    if record["expenditure"] is None:
        record["expenditure"] = _get(_first_process(project), "summary", "finalValue", "amount")
    record["currency"] = _currency(project)
    return {name: cell_text(record[name]) for name in OUTPUT_COLUMNS}


def _currency(project):
    """The currency of every amount the record takes (budget, its sources, final and contract values): one
    currency, or several joined by "+" (validation refuses those: one row has one currency), or None (riel)."""
    summary = _get(_first_process(project), "summary")
    values = [_get(project, "budget", "amount"), _get(project, "completion", "finalValue"), _get(summary, "finalValue"),
              _get(summary, "contractValue")]
    values += [_get(item, "amount") for group in _list(_get(project, "budget", "budgetBreakdowns"))
               for item in _list(_get(group, "budgetBreakdown"))]
    found = {str(value["currency"]).strip().upper() for value in values
             if isinstance(value, dict) and value.get("amount") is not None and value.get("currency")}
    return "+".join(sorted(found)) or None


def _identity(project):
    project_id = cell_text(project.get("id"))
    pid = _first(project.get("identifiers"), lambda item: item.get("scheme") == "KH-NCDD-PID")
    pid_document = (_first(project.get("documents"), lambda doc: doc.get("documentType") == "x_pidRecord")
                    or _first(project.get("documents"), lambda doc: str(doc.get("title", "")).startswith("PID")))
    ours = _first(project.get("additionalClassifications"),
                  lambda item: item.get("scheme") == "KH-MAPSERVICE-SECTOR")
    return {
        "project_id": ID_PREFIX.sub("", project_id) if project_id else None,
        "pid_reference": _get(pid, "id"),
        "pid_url": _get(pid_document, "url"),
        "title_en": project.get("title"),
        "title_km": project.get("title_km"),
        "sector": _get(ours, "id") if ours else _sector(project.get("sector")),
        "project_type": project.get("type"),
        "status": _mapped(project.get("status"), STATUSES_FROM_OC4IDS, "projectStatus", "STATUSES_FROM_OC4IDS"),
    }


def _sector(codes):
    """Our sector for an OC4IDS sector list: the most specific code (transport.road before transport) decides;
    a code without a counterpart is passed on with a note, for validation to reject."""
    if not isinstance(codes, list):
        return codes
    for code in sorted(map(str, codes), key=lambda c: -c.count(".")):
        found = _mapped(code, SECTORS_FROM_OC4IDS, "projectSector", "SECTORS_FROM_OC4IDS")
        if found in SECTORS_FROM_OC4IDS.values() or found is None:
            return found
    return _mapped(str(codes[0]), SECTORS_FROM_OC4IDS, "projectSector", "SECTORS_FROM_OC4IDS") if codes else None


def _mapped(code, table, codelist, name):
    """Our code for an OC4IDS code; one of ours is kept (our own exports); other text carries the note."""
    if code is None or not isinstance(code, str) or code in table.values():
        return code
    return table.get(code) or NO_COUNTERPART.format(code=code, codelist=codelist, table=name)


def _dates(project):
    """Planned and actual dates, and the fiscal year (see the module docstring for the choice)."""
    year_from = (_get(project, "budget", "requestDate") or _get(project, "identificationPeriod", "startDate")
                 or _get(project, "period", "startDate"))
    actual_end = _get(project, "implementationPeriod", "endDate") or _get(project, "completion", "endDate")
    return {
        "fiscal_year": _year(year_from),
        "planned_start": _date(_get(project, "period", "startDate")),
        "planned_end": _date(_get(project, "period", "endDate")),
        "actual_start": _date(_get(project, "implementationPeriod", "startDate")),
        "actual_end": _date(actual_end),
    }


def _money(project):
    breakdowns = [item for group in _list(_get(project, "budget", "budgetBreakdowns"))
                  for item in _list(_get(group, "budgetBreakdown"))]
    return {
        "budget": _get(project, "budget", "amount", "amount"),
        "cs_fund": _source_amount(breakdowns, ("commune/sangkat fund",)),
        "local_contribution": _source_amount(breakdowns, ("community", "local contribution")),
        "expenditure": _get(project, "completion", "finalValue", "amount"),
    }


def _source_amount(breakdowns, words):
    """The amount of the first budget breakdown item whose source party's name contains one of ``words``."""
    item = _first(breakdowns, lambda b: any(w in str(_get(b, "sourceParty", "name") or "").casefold() for w in words))
    return _get(item, "amount", "amount")


def _contract(project):
    process = _first_process(project)
    summary = _get(process, "summary")
    return {
        "contract_number": _get(summary, "externalReference"),
        "awarded_tenderer": _get(_first(_get(summary, "suppliers"), lambda s: True), "name"),
        "number_of_bidders": _get(summary, "tender", "numberOfTenderers"),
        "contract_value": _get(summary, "contractValue", "amount"),
    }


def _environment(project):
    assessed = _get(project, "environment", "hasImpactAssessment")
    document = _first(project.get("documents"), lambda doc: doc.get("documentType") == "environmentalImpact")
    return {
        # a non-boolean value is passed on as text for validation to reject
        "eia_required": assessed,
        "eia_status": _get(project, "environment", "x_eiaStatus"),
        "eia_document_url": _get(document, "url"),
    }


def _location(project):
    locations = project.get("locations")
    place = _first(locations, lambda loc: _get(loc, "gazetteer", "scheme") == "KH-NCDD")
    geometry = _first(locations, lambda loc: _get(loc, "geometry") is not None)
    kind, coordinates = _get(geometry, "geometry", "type"), _get(geometry, "geometry", "coordinates")
    location = {"commune_code": (_list(_get(place, "gazetteer", "identifiers")) or [None])[0], "lon": None, "lat": None}
    if geometry is None:
        return location
    if kind == "Point" and isinstance(coordinates, list) and len(coordinates) in (2, 3):
        return {**location, "lon": coordinates[0], "lat": coordinates[1]}
    # any other geometry is passed on as text, so validation rejects it naming what was given
    return {**location, "lon": f"{kind} {coordinates}", "lat": f"{kind} {coordinates}"}


def _first_process(project):
    return _first(project.get("contractingProcesses"), lambda process: True)


def _date(value):
    """A date-time's date part (YYYY-MM-DD); other text unchanged."""
    text = cell_text(value)
    return text[:10] if text and DATE_START.match(text) else text


def _year(value):
    """A date's year (YYYY); other text unchanged."""
    text = cell_text(value)
    return text[:4] if text and DATE_START.match(text) else text


def _get(value, *keys):
    """value[k1][k2]..., or None where a step is missing or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _list(value):
    return value if isinstance(value, list) else []


def _first(items, wanted):
    """The first JSON object of ``items`` (a list, or anything else meaning none) for which ``wanted`` holds."""
    return next((item for item in _list(items) if isinstance(item, dict) and wanted(item)), None)
