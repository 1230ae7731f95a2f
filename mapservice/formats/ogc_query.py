"""What an OGC API items request may filter, sort and select, per collection kind: the queryables (Part 3) with
their columns, JSON Schema types and enums; ``sortby`` (+/- property names, as OGC API - Records) and
``properties`` (the property names to return). No Flask here."""
from mapservice.read.cql2 import Queryable
from mapservice.read.filters import FilterError
from mapservice.store import vocabulary
from mapservice.store.models import JOIN_STATUSES, PRECISIONS, AdminArea, Project

JSON_TYPES = {"integer": {"type": "integer"}, "number": {"type": "number"}, "string": {"type": "string"},
              "boolean": {"type": "boolean"}, "date": {"type": "string", "format": "date"}}


def _project_queryables():
    p, q = Project, Queryable
    found = [
        q("project_id", p.project_id, "string", "Stable public id of the project"),
        q("pid_reference", p.pid_reference, "string", "Reference in NCDD's Project Implementation Database"),
        q("title_km", p.title_km, "string", "Title in Khmer"),
        q("title_en", p.title_en, "string", "Title in English"),
        q("sector", p.sector, "string", "Sector", tuple(vocabulary.SECTORS)),
        q("project_type", p.project_type, "string", "OC4IDS projectType", tuple(vocabulary.PROJECT_TYPES)),
        q("status", p.status, "string", "OC4IDS projectStatus", tuple(vocabulary.STATUSES)),
        q("fiscal_year", p.fiscal_year, "integer", "Fiscal year (the calendar year)"),
        q("funding_source", p.funding_source, "string", "Funding source", tuple(vocabulary.FUNDING_SOURCES)),
        *[q(name, getattr(p, name), "date", name.replace("_", " ").capitalize() + " date")
          for name in ("planned_start", "planned_end", "actual_start", "actual_end")],
        *[q(name, getattr(p, name), "integer", name.replace("_", " ").capitalize() + " (whole riel)")
          for name in ("budget", "contract_value", "expenditure", "cs_fund", "local_contribution")],
        q("contract_number", p.contract_number, "string", "Contract number"),
        q("awarded_tenderer", p.awarded_tenderer, "string", "Company awarded the contract"),
        q("number_of_bidders", p.number_of_bidders, "integer", "Number of bidders"),
        q("eia_required", p.eia_required, "boolean", "Environmental Impact Assessment required"),
        q("eia_status", p.eia_status, "string", "EIA status", tuple(vocabulary.EIA_STATUSES)),
        q("province_code", p.province_code, "string", "Province code (2 digits, NCDD)"),
        q("district_code", p.district_code, "string", "District code (4 digits)"),
        q("commune_code", p.commune_code, "string", "Commune code (6 digits)"),
        q("village_code", p.village_code, "string", "Village code (8 digits), when stated"),
        q("join_status", p.join_status, "string", "How the stated code and the point agreed", JOIN_STATUSES),
        q("location_precision", p.location_precision, "string", "exact or commune", PRECISIONS),
        q("is_sample", p.is_sample, "boolean", "SAMPLE data, not real records"),
        q("geometry", p.geom, "geometry", "The project's point (CRS84)"),
    ]
    return {item.name: item for item in found}


def _area_queryables():
    a, q = AdminArea, Queryable
    found = [
        q("code", a.code, "string", "NCDD code (2, 4 or 6 digits)"),
        q("name_km", a.name_km, "string", "Name in Khmer"),
        q("name_en", a.name_en, "string", "Name in Latin script"),
        q("parent_code", a.parent_code, "string", "Code of the area holding this one"),
        q("unit_type_km", a.unit_type_km, "string", "Unit type in Khmer"),
        q("unit_type_en", a.unit_type_en, "string", "Unit type in English"),
        q("area_km2", a.area_km2, "number", "Area in square kilometres"),
        q("geometry", a.geom, "geometry", "The area's polygons (CRS84)"),
    ]
    return {item.name: item for item in found}


QUERYABLES = {"projects": _project_queryables(), "areas": _area_queryables()}
QUERYABLES["statistics"] = {name: item for name, item in QUERYABLES["areas"].items()
                            if name not in ("unit_type_km", "unit_type_en", "area_km2")}
TOTALS = ("project_count", "budget", "contract_value", "expenditure")  # statistics: sorted after the query


def queryables_document(collection, url):
    """The queryables as a JSON Schema (Part 3), plus the draft's list that GDAL up to 3.6 reads."""
    queryables = QUERYABLES[collection.kind]
    properties = {}
    for item in queryables.values():
        schema = ({"format": "geometry-point" if collection.kind == "projects" else "geometry-multipolygon"}
                  if item.type == "geometry" else dict(JSON_TYPES[item.type]))
        if item.enum:
            schema["enum"] = list(item.enum)
        properties[item.name] = {"title": item.name, "description": item.description, **schema}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": url, "type": "object",
        "title": f"{collection.title}: queryables",
        "description": "The properties a CQL2 filter (filter, filter-lang cql2-text or cql2-json) and sortby may "
                       "name. Statistics collections filter on their areas; their totals can be sorted.",
        "properties": properties, "additionalProperties": False,
        "queryables": [{"id": name, "type": properties[name].get("type", "geometry")} for name in properties],
    }


def sortable(collection):
    """The property names sortby accepts for a collection."""
    names = [n for n, item in QUERYABLES[collection.kind].items() if item.type != "geometry"]
    return names + list(TOTALS) if collection.kind == "statistics" else names


def parse_sortby(text, collection):
    """'-budget,+fiscal_year' -> (("budget", True), ("fiscal_year", False)): names and descending flags."""
    if text is None:
        return ()
    allowed, keys = sortable(collection), []
    for part in text.split(","):
        part = part.strip()
        name = part.lstrip("+-").strip()
        if name not in allowed or not part:
            raise FilterError("sortby", text, f"comma-separated property names, each with an optional + (ascending) "
                                              f"or - (descending): {', '.join(allowed)}")
        keys.append((name, part.startswith("-")))
    return tuple(keys)


def sort_order(keys, collection):
    """ORDER BY clauses for sortby keys (missing values last), then the id for a stable order."""
    queryables, order = QUERYABLES[collection.kind], []
    for name, descending in keys:
        if collection.kind == "statistics" and name in TOTALS:
            continue
        column = queryables[name].column
        order += [column.is_(None), column.desc() if descending else column.asc()]
    return order + [Project.project_id if collection.kind == "projects" else AdminArea.code]


def parse_properties(text, names):
    """The property names to return (a subset of ``names``, in their order), or None for all."""
    if text is None:
        return None
    picked = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in picked if name not in names]
    if unknown or not picked:
        raise FilterError("properties", text, f"comma-separated property names of this collection: {', '.join(names)}")
    return tuple(name for name in names if name in picked)
