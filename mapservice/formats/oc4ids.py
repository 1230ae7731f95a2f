"""OC4IDS 0.9.5 export: stored projects as an OC4IDS project package, its validation, and a flat table.

The export is the exact inverse of the reader (``mapservice/ingest/oc4ids.py``), so export -> import ->
export gives the same package (apart from ``publishedDate``). Field by field:

==========================================================  ==================================================
canonical column                                            OC4IDS project field
==========================================================  ==================================================
project_id                                                  id = ``oc4ids-{prefix}-{project_id}``
pid_reference                                               identifiers[] {"scheme": "KH-NCDD-PID", "id"}
pid_url                                                     documents[] documentType "x_pidRecord", title
                                                            "PID record ..." (the reader accepts either)
title_en (else title_km) / title_km                         title / title_km (our extension field)
sector                                                      sector [its OC4IDS projectSector code] and
                                                            additionalClassifications[] "KH-MAPSERVICE-SECTOR"
project_type / status                                       type / status
fiscal_year                                                 budget.requestDate = ``{year}-01-01T00:00:00Z``
planned_start / planned_end                                 period.startDate / endDate
actual_start / actual_end                                   implementationPeriod.startDate / endDate
actual_end / expenditure                                    completion.endDate / completion.finalValue
budget                                                      budget.amount {amount, currency}; given in another
                                                            currency: that amount and currency, with amount_KHR
                                                            and exchangeRates (as every Value below)
cs_fund / local_contribution                                budget.budgetBreakdowns[0].budgetBreakdown[],
                                                            sourceParty "Commune/Sangkat Fund" / "... community
                                                            (local contribution)"
contract_number, awarded_tenderer, number_of_bidders,       contractingProcesses[0]: id, summary.externalReference,
contract_value                                              suppliers[0], tender.numberOfTenderers, contractValue
eia_required / eia_status / eia_document_url                environment.hasImpactAssessment / environment.x_eiaStatus
                                                            / documents[] documentType "environmentalImpact"
stated_code (else commune_code)                             locations[] gazetteer {"scheme": "KH-NCDD"}
lon, lat when location_precision is "exact"                 locations[] geometry Point [lon, lat]
is_sample                                                   x_isSample (and the package is marked as sample)
==========================================================  ==================================================

The fiscal year travels as ``budget.requestDate`` (the reader's first choice): a Commune/Sangkat Fund project is
budgeted for one fiscal year, which in Cambodia is the calendar year, so the date is that year's first day; the
budget's ``description`` says so, because it is not the day the budget was requested. A commune-precision point is
the commune's representative point placed by us, not the publisher's, so it is not exported. Parties (the commune
council as buyer and public authority, the funders, the supplier) are derived from the columns above.
``funding_source``, the procurement method and the contracting process status are not exported: the reader does not
read the first, and the store does not hold the others.
"""
import copy
import csv
import functools
import hashlib
import json
import os
from collections import namedtuple
from collections.abc import Mapping
from datetime import date, datetime, timezone
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

import fastjsonschema
import numpy as np
import openpyxl
import sqlalchemy as sa
from jsonschema import Draft4Validator
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT4
from rfc3339_validator import validate_rfc3339

from mapservice.config import check_oc4ids_prefix
from mapservice.formats.csv_cells import csv_writer
from mapservice.read.filters import project_conditions
from mapservice.store import vocabulary
from mapservice.store.models import AdminArea, Project

PACKAGE_VERSION = "0.9"
PID_SCHEME, SECTOR_SCHEME, GAZETTEER_SCHEME = "KH-NCDD-PID", "KH-MAPSERVICE-SECTOR", "KH-NCDD"
CS_FUND = {"id": "commune-sangkat-fund", "name": "Commune/Sangkat Fund"}
SAMPLE_SUFFIX = " (SAMPLE DATA)"
SAMPLE_NOTE = ('This package contains SAMPLE DATA: every project with "x_isSample": true was generated for '
               "demonstration and is not a real project.")
COLUMNS = [c.name for c in Project.__table__.columns if c.name != "geom"]

SCHEMA_SUBDIR = Path("oc4ids", "0.9.5-dev")
PROJECT_SCHEMA_URI = "https://standard.open-contracting.org/infrastructure/schema/0__9__5/project-schema.json"
# path (list indexes as "*") -> (codelist, open?); open codelists also accept our own "x_" codes
CODELIST_FIELDS = {
    ("projects", "*", "status"): ("projectStatus", False),
    ("projects", "*", "type"): ("projectType", False),
    ("projects", "*", "sector", "*"): ("projectSector", True),
    ("projects", "*", "documents", "*", "documentType"): ("documentType", True),
    ("projects", "*", "parties", "*", "roles", "*"): ("partyRole", True),
}
REFERENCE_KEYS = {"publicAuthority", "sourceParty", "procuringEntity", "administrativeEntity"}
REFERENCE_LISTS = {"suppliers", "tenderers"}
OC4IDSSchema = namedtuple("OC4IDSSchema", "package project codelists validator fast")


def project_to_oc4ids(project, areas, prefix):
    """One stored project (ORM object or mapping) as an OC4IDS project; ``areas``: code -> (name_en, name_km, level)."""
    check_oc4ids_prefix(prefix)
    p = _record(project)
    place = _place(p, areas)
    sector = vocabulary.SECTORS.get(p["sector"])
    supplier = _supplier(p["awarded_tenderer"])
    return _prune({
        "id": f"oc4ids-{prefix}-{p['project_id']}",
        "identifiers": [{"scheme": PID_SCHEME, "id": p["pid_reference"]}] if p["pid_reference"] else None,
        "title": p["title_en"] or p["title_km"],
        "title_km": p["title_km"],
        "description": _description(p, place),
        "status": p["status"],
        "type": p["project_type"],
        "sector": [sector[2]] if sector else None,
        "additionalClassifications": [{"scheme": SECTOR_SCHEME, "id": p["sector"],
                                       "description": sector[0] if sector else None}],
        "publicAuthority": _reference(place["council"]),
        "parties": _parties(p, place, supplier),
        "budget": _budget(p, place),
        "period": _period(p["planned_start"], p["planned_end"]),
        "implementationPeriod": _period(p["actual_start"], p["actual_end"]),
        "completion": _completion(p),
        "documents": _documents(p),
        "contractingProcesses": _contracting_processes(p, supplier),
        "environment": {"hasImpactAssessment": p["eia_required"], "x_eiaStatus": p["eia_status"]},
        "locations": _locations(p, place),
        "x_isSample": True if p["is_sample"] else None,
    })


def _record(project):
    """The project's column values as a dict of plain Python values, None where missing."""
    if isinstance(project, Mapping):
        return {name: _plain(project.get(name)) for name in COLUMNS}
    return {name: _plain(getattr(project, name, None)) for name in COLUMNS}


def _plain(value):
    """numpy scalars as Python values; NaN and NaT (from pandas rows) as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (not isinstance(value, str) and value != value):
        return None
    return value


def _place(p, areas):
    """The project's commune: its gazetteer code, its names as text, and the parties that belong to it."""
    code = p["commune_code"]
    if not code:
        community = {"id": "local-contribution", "name": "Community (local contribution)"}
        return {"code": p["stated_code"], "description": None, "council": None, "community": community}
    codes = (code, p["district_code"] or code[:4], p["province_code"] or code[:2])
    # an area missing from ``areas`` is named by its code rather than dropped
    entries = [areas.get(c) or (c, None, level) for c, level in zip(codes, ("commune", "district", "province"))]
    commune = entries[0][0]
    return {
        "code": p["stated_code"] or code,
        "description": ", ".join(f"{name_en} {level}" for name_en, _name_km, level in entries),
        "council": {"id": f"commune-council-{code}", "name": f"{commune} Commune Council"},
        "community": {"id": f"local-contribution-{code}", "name": f"{commune} community (local contribution)"},
    }


def _supplier(name):
    """The awarded tenderer as a party reference; its id is a digest of its name, so it is stable across projects."""
    if not name:
        return None
    key = " ".join(name.split()).casefold().encode("utf-8")
    return {"id": f"supplier-{hashlib.sha1(key).hexdigest()[:12]}", "name": name}


def _description(p, place):
    """A one-line English description from the sector, type, place and fiscal year."""
    sector = vocabulary.SECTORS.get(p["sector"], (p["sector"],))[0]
    kind = vocabulary.PROJECT_TYPES.get(p["project_type"], (None,))[0]
    text = f"{sector} ({kind.lower()})" if kind else f"{sector}"
    if place["description"]:
        text += f" in {place['description']}"
    return f"{text}; fiscal year {p['fiscal_year']}." if p["fiscal_year"] else f"{text}."


def _reference(party):
    return {"id": party["id"], "name": party["name"]} if party else None


def _parties(p, place, supplier):
    """Every organisation the project refers to, with its partyRole codes."""
    parties = []
    if place["council"]:
        parties.append({**place["council"], "roles": ["buyer", "publicAuthority"]})
    if p["cs_fund"] is not None:
        parties.append({**CS_FUND, "roles": ["funder"]})
    if p["local_contribution"] is not None:
        parties.append({**place["community"], "roles": ["funder"]})
    if supplier:
        parties.append({**supplier, "roles": ["supplier"]})
    return parties


def _money(p, field):
    """The OC4IDS Value of one amount of the project, or None without it. An amount given in another currency is
    published as given (amount and currency), with the riel it was converted to as ``amount_KHR`` and the rate used
    in ``exchangeRates`` (the OCDS exchange rate extension's fields and convention); the reader converts it again."""
    riel = p[field]
    if riel is None:
        return None
    original = json.loads(p["original_amounts"]).get(field) if p["original_amounts"] else None
    if original is None or not p["original_currency"]:
        return {"amount": int(riel), "currency": p["currency"] or "KHR"}
    year = p["fiscal_year"]
    rate = {"currency": "KHR", "rate": p["exchange_rate"], "date": f"{year}-01-01T00:00:00Z" if year else None,
            "source": f"MAPSERVICE_EXCHANGE_RATES: riel per {p['original_currency']} in fiscal year {year}"}
    return {"amount": original, "currency": p["original_currency"], "amount_KHR": int(riel),
            "exchangeRates": [_prune(rate)]}


def _timestamp(value):
    """A date (date, datetime or text starting YYYY-MM-DD) as an OC4IDS date-time at midnight UTC."""
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text[:10] + "T00:00:00Z"


def _period(start, end):
    return {"startDate": _timestamp(start), "endDate": _timestamp(end)}


def _budget(p, place):
    """The planned budget, the fiscal year (as requestDate) and the sources of funds."""
    year = p["fiscal_year"]
    year_period = {"startDate": f"{year}-01-01T00:00:00Z", "endDate": f"{year}-12-31T00:00:00Z"} if year else None
    sources = [(CS_FUND, "cs_fund", "Commune/Sangkat Fund share"),
               (place["community"], "local_contribution", "Local contribution")]
    items = [{"id": party["id"], "description": text, "amount": _money(p, field),
              "sourceParty": _reference(party), "period": year_period}
             for party, field, text in sources if p[field] is not None]
    return {
        "description": (f"Budget of fiscal year {year}; requestDate is the first day of that fiscal year, "
                        "not the day the budget was requested.") if year else None,
        "amount": _money(p, "budget"),
        "requestDate": year_period and year_period["startDate"],
        "budgetBreakdowns": [{"id": "sources", "description": "Sources of funds", "budgetBreakdown": items}]
        if items else None,
    }


def _completion(p):
    """Actual end and expenditure; expenditure of a project not completed is labelled as such."""
    unfinished = p["expenditure"] is not None and p["status"] != "completion"
    return {
        "endDate": _timestamp(p["actual_end"]),
        "finalValue": _money(p, "expenditure"),
        "finalValueDetails": "Expenditure reported so far; the project is not recorded as completed."
        if unfinished else None,
    }


def _documents(p):
    """The PID record and the EIA document, each where its link is known."""
    documents = []
    if p["pid_url"]:
        documents.append({"id": "pid-record", "documentType": "x_pidRecord",
                          "title": f"PID record {p['pid_reference'] or ''}".strip(),
                          "description": "The project's record in NCDD's Project Implementation Database (PID)",
                          "url": p["pid_url"]})
    if p["eia_document_url"]:
        documents.append({"id": "eia", "documentType": "environmentalImpact",
                          "title": "Environmental impact assessment", "url": p["eia_document_url"]})
    return documents


def _contracting_processes(p, supplier):
    """The works contract, when anything about it is known."""
    known = (p["contract_number"], p["awarded_tenderer"], p["number_of_bidders"], p["contract_value"])
    if all(value is None for value in known):
        return None
    return [{
        "id": p["contract_number"] or f"{p['project_id']}-1",
        "summary": {
            "externalReference": p["contract_number"],
            "title": p["title_en"] or p["title_km"],
            "tender": {"numberOfTenderers": p["number_of_bidders"]},
            "suppliers": [supplier] if supplier else None,
            "contractValue": _money(p, "contract_value"),
        },
    }]


def _locations(p, place):
    """The stated gazetteer code, and the publisher's own point (never our representative point)."""
    locations = []
    if place["code"]:
        locations.append({"id": "commune", "description": place["description"],
                          "gazetteer": {"scheme": GAZETTEER_SCHEME, "identifiers": [place["code"]]}})
    if p["location_precision"] == "exact" and p["lon"] is not None and p["lat"] is not None:
        locations.append({"id": "point", "description": "Project site as given by the publisher",
                          "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]}})
    return locations


def _prune(value):
    """Drop None and empty strings, lists and objects, recursively: OC4IDS has no nulls and no empty objects."""
    if isinstance(value, dict):
        pruned = ((key, _prune(item)) for key, item in value.items())
        return {key: item for key, item in pruned if not _empty(item)}
    if isinstance(value, list):
        return [item for item in map(_prune, value) if not _empty(item)]
    return value


def _empty(value):
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def publisher_from_config(config):
    """The package's publisher (name, scheme, uid, uri; empty ones left out) from the MAPSERVICE_PUBLISHER_* settings."""
    return _prune({"name": config["MAPSERVICE_PUBLISHER_NAME"], "scheme": config["MAPSERVICE_PUBLISHER_SCHEME"],
                   "uid": config["MAPSERVICE_PUBLISHER_UID"], "uri": config["MAPSERVICE_PUBLISHER_URI"]})


def build_package(projects, areas, prefix, publisher_name="Open Development Cambodia", uri=None,
                  published_date=None, is_sample=False, license=None, publication_policy=None, publisher=None):
    """An OC4IDS project package of ``projects``; sample projects (or ``is_sample``) mark the package as sample.
    ``publisher`` (name, scheme, uid, uri) replaces ``publisher_name`` when given."""
    publisher = dict(publisher or {"name": publisher_name})
    publisher_name = publisher["name"]
    check_oc4ids_prefix(prefix)
    items = [project_to_oc4ids(project, areas, prefix) for project in projects]
    if is_sample:
        items = [{**item, "x_isSample": True} for item in items]
    sample = any(item.get("x_isSample") for item in items)
    name = publisher_name if not sample or publisher_name.endswith(SAMPLE_SUFFIX) else publisher_name + SAMPLE_SUFFIX
    metadata = _prune({
        "version": PACKAGE_VERSION,
        # callers serving the package should pass its URL; the default is stable per prefix
        "uri": uri or f"urn:uuid:{uuid5(NAMESPACE_URL, f'oc4ids-{prefix}-project-package')}",
        "publishedDate": _published(published_date),
        "publisher": {**publisher, "name": name},
        "license": license,
        "publicationPolicy": publication_policy,
        "x_isSample": True if sample else None,
        "x_note": SAMPLE_NOTE if sample else None,
    })
    return {**metadata, "projects": items}


def _published(value):
    """A date-time text in UTC ("...Z"); now when not given."""
    if value is None:
        value = datetime.now(timezone.utc).replace(microsecond=0)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat() + "Z"
    return _timestamp(value) if isinstance(value, date) else str(value)


def area_names(session):
    """Every stored area as code -> (name_en, name_km, level), the ``areas`` argument of the export."""
    rows = session.execute(sa.select(AdminArea.code, AdminArea.name_en, AdminArea.name_km, AdminArea.level))
    return {code: (name_en, name_km, level) for code, name_en, name_km, level in rows}


def export_projects(session, prefix, filters=None, project_id=None, **package_options):
    """The package of the stored projects matching the filters (or one project), in project_id order."""
    query = sa.select(Project).order_by(Project.project_id)
    if filters is not None:
        query = query.where(*project_conditions(filters))
    if project_id is not None:
        query = query.where(Project.project_id == project_id)
    projects = session.scalars(query).all()
    return build_package(projects, area_names(session), prefix, **package_options)


def load_schema(data_dir):
    """The OC4IDS 0.9.5 package and project schemas, codelists and a validator, read from local files only."""
    directory = Path(data_dir)
    if not (directory / "project-package-schema.json").exists():
        directory = directory / SCHEMA_SUBDIR
    if not (directory / "project-package-schema.json").exists():
        raise FileNotFoundError(f"no project-package-schema.json in {data_dir} nor in {directory}")
    return _load_schema(str(directory.resolve()))


@functools.lru_cache(maxsize=4)
def _load_schema(directory):
    """Read the schemas and codelists of one directory once (cached) and build the validator."""
    directory = Path(directory)
    package = json.loads((directory / "project-package-schema.json").read_text(encoding="utf-8"))
    project = json.loads((directory / "project-schema.json").read_text(encoding="utf-8"))
    codelists = {}
    for path in sorted((directory / "codelists").glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            codelists[path.stem] = frozenset(row["Code"] for row in csv.DictReader(handle))
    # the package schema refers to the project schema by its URL: serve it from the local file, never the network
    registry = Registry(retrieve=_refuse_retrieval).with_resource(
        PROJECT_SCHEMA_URI, Resource.from_contents(project, default_specification=DRAFT4))
    # uniqueItems on "projects" compares every pair of projects (half a minute at 3,000 projects); unique project
    # ids, checked in linear time by _reference_errors, imply unique projects, so the validator goes without it
    checked = copy.deepcopy(package)
    checked["properties"]["projects"].pop("uniqueItems", None)
    validator = Draft4Validator(checked, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)
    return OC4IDSSchema(package, project, codelists, validator, _compile_fast(checked, project))


def _compile_fast(checked, project):
    """The same schema compiled to Python by fastjsonschema (several times faster on 15k projects), with the
    date-time check jsonschema makes (RFC 3339); its other format checks are as strict or stricter, so a package it
    passes passes jsonschema too, and one it fails is validated again by jsonschema for the messages."""
    def local(uri):
        if uri != PROJECT_SCHEMA_URI:
            raise NoSuchResource(ref=uri)  # every schema is local: never a download
        return project
    # use_default=False: validating must not write the schema's defaults ("language": "en") into the package
    return fastjsonschema.compile(checked, handlers={"https": local, "http": local},
                                  formats={"date-time": validate_rfc3339}, use_default=False)


def _refuse_retrieval(uri):
    """The registry's retriever: every schema is local, so any other URI is an error, never a download."""
    raise NoSuchResource(ref=uri)


def validate_package(package, data_dir):
    """Errors of ``package`` against the official schema, the codelists and its own party references ([] if valid)."""
    schema = load_schema(data_dir)
    return _schema_errors(package, schema) + _codelist_errors(package, schema) + _reference_errors(package)


def _schema_errors(package, schema):
    """JSON Schema errors, in path order, as "path: message" (none when the compiled schema passes it)."""
    try:
        schema.fast(package)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    errors = sorted(schema.validator.iter_errors(package), key=lambda e: _sort_key(e.absolute_path))
    # an enum error on a codelist field is reported once, by the codelist check, without the whole list of codes
    return [f"{_path_text(e.absolute_path)}: {e.message}" for e in errors
            if not (e.validator == "enum" and _codelist_rule(tuple(e.absolute_path)))]


def _codelist_errors(package, schema):
    """Values of codelist fields that are not codes of their codelist CSV."""
    errors = []
    for path, value in _leaves(package):
        rule = _codelist_rule(path)
        if rule is None:
            continue
        name, is_open = rule
        if value not in schema.codelists[name] and not (is_open and str(value).startswith("x_")):
            errors.append(f"{_path_text(path)}: {value!r} is not a code of the {name} codelist")
    return errors


def _codelist_rule(path):
    """(codelist name, open?) of the field at ``path``, or None for a field without a checked codelist."""
    key = tuple("*" if isinstance(step, int) else step for step in path)
    if key and key[-1] == "currency":
        return "currency", False
    return CODELIST_FIELDS.get(key)


def _reference_errors(package):
    """Project ids unique in the package; every organisation reference names one of the project's parties."""
    errors, first = [], {}
    projects = package.get("projects") if isinstance(package, dict) else None
    for number, project in enumerate(projects if isinstance(projects, list) else []):
        if not isinstance(project, dict):
            continue
        project_id = project.get("id")
        if project_id is not None and project_id in first:
            errors.append(f"projects/{number}/id: {project_id!r} is also the id of projects/{first[project_id]}")
        first.setdefault(project_id, number)
        parties = project.get("parties") if isinstance(project.get("parties"), list) else []
        known = {party.get("id") for party in parties if isinstance(party, dict)}
        for path, value in _leaves(project):
            if _is_reference(path) and value not in known:
                errors.append(f"projects/{number}/{_path_text(path)}: {value!r} is not the id of one of the "
                              "project's parties")
    return errors


def _is_reference(path):
    """Whether ``path`` is the id of an organisation reference (publicAuthority, sourceParty, suppliers[]...)."""
    if len(path) < 2 or path[-1] != "id":
        return False
    return path[-2] in REFERENCE_KEYS or (len(path) >= 3 and path[-3] in REFERENCE_LISTS)


def _leaves(value, path=()):
    """(path tuple, value) of every scalar in a JSON value; list items are numbered from 0."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, path + (index,))
    else:
        yield path, value


def _path_text(path):
    return "/".join(map(str, path)) or "(package)"


def _sort_key(path):
    return [(0, step, "") if isinstance(step, int) else (1, 0, step) for step in path]


def flatten_package(package):
    """(headers, rows): one row per project, columns named by JSON path such as ``budget/amount/amount``."""
    flat = [{_path_text(path): value for path, value in _leaves(project)} for project in package["projects"]]
    headers = list(dict.fromkeys(header for row in flat for header in row))
    return headers, [[row.get(header) for header in headers] for row in flat]


def write_flat_csv(path_or_stream, package):
    """Write the flat table as CSV: to a path in UTF-8 with a BOM (so spreadsheets read Khmer), or to a text stream."""
    if isinstance(path_or_stream, (str, os.PathLike)):
        with open(path_or_stream, "w", newline="", encoding="utf-8-sig") as handle:
            _write_csv(handle, package)
    else:
        _write_csv(path_or_stream, package)


def _write_csv(handle, package):
    """The flat table as CSV rows on an open text handle (booleans as true/false, missing as empty)."""
    headers, rows = flatten_package(package)
    writer = csv_writer(handle, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else ("true" if v else "false") if isinstance(v, bool) else v for v in row])


def write_flat_xlsx(path, package):
    """Write the flat table as an XLSX workbook: a "projects" sheet and a "package" sheet of package metadata."""
    headers, rows = flatten_package(package)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("projects")
    sheet.append(headers)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    meta = book.create_sheet("package")
    meta.append(["field", "value"])
    for field_path, value in _leaves({key: item for key, item in package.items() if key != "projects"}):
        meta.append([_path_text(field_path), _cell(meta, value)])
    book.save(path)


def _cell(sheet, value):
    """``value`` for a sheet row: text starting with "=" stays text (not a formula); control characters go."""
    if not isinstance(value, str):
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
