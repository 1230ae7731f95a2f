"""Catalogue metadata so that ODC's CKAN (and any harvester) can list our data: a Frictionless Data Package
describing every download and the 12 datasets, and a DCAT catalogue in JSON-LD. No Flask here."""
from mapservice import datasets, downloads
from mapservice.projects import RECORD_FIELDS

FRICTIONLESS_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "date": "date", "text": "string"}
CAMBODIA_BBOX = [102.33, 10.35, 107.63, 14.69]
PUBLISHER = {"name": "Open Development Cambodia", "url": "https://opendevelopmentcambodia.net"}
MEDIA_TYPES = {"csv": "text/csv", "xlsx": downloads.XLSX_MIMETYPE, "json": "application/json",
               "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3"}


def _project_fields():
    # the CSV's header row holds the English labels (lang=en); each field also says its code
    return [{"name": downloads.COLUMNS[field].header_en, "code": field,
             "type": FRICTIONLESS_TYPES[downloads.FIELD_KINDS[field]],
             "description": downloads.COLUMNS[field].description_en} for field in RECORD_FIELDS]


def _dataset_fields(meta):
    return [{"name": c["name"], "type": c["type"], "title": c["title"]["en"], "description": c["description"]["en"]}
            for c in meta["columns"]]


def all_dataset_metadata(context, data_version, base_url, first_year, last_year):
    """Metadata of the 12 datasets (see mapservice.datasets; ``context`` from ``datasets.load_context``), with
    absolute links under ``base_url``."""
    return [datasets.metadata(kind, year, context, data_version, f"{base_url}/api/v1/datasets")
            for kind, year in (datasets.parse_id(i, first_year, last_year)
                               for i in datasets.dataset_ids(first_year, last_year))]


def data_package(dataset_metadata, data_version, base_url, sample):
    """A Frictionless Data Package: the project download (CSV, with its schema) and the 12 dataset CSVs."""
    note = " SAMPLE DATA: generated records, not real projects." if sample else ""
    resources = [{
        "name": "projects", "title": "Sub-national infrastructure projects 2014-2019",
        "path": f"{base_url}/api/v1/downloads/projects.csv?lang=en", "format": "csv", "mediatype": "text/csv",
        "encoding": "utf-8-sig", "schema": {"fields": _project_fields(), "primaryKey": [downloads.COLUMNS["project_id"].header_en]},
        "description": "Every project with its open-contracting record, joined to its province, district and "
                       "commune. Other formats: xlsx, geojson, gpkg (same URL, other extension)." + note,
    }]
    for meta in dataset_metadata:
        resources.append({
            "name": meta["id"], "title": meta["title"]["en"], "description": meta["description"]["en"],
            "path": meta["links"]["csv"], "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
            "schema": {"fields": _dataset_fields(meta), "primaryKey": ["province_code"]},
        })
    return {
        "name": "cambodia-subnational-infrastructure-projects", "id": f"{base_url}/datapackage.json",
        "title": "Cambodia sub-national infrastructure projects 2014-2019" + (" (SAMPLE DATA)" if sample else ""),
        "description": "Projects of communes and districts joined to the 2014 boundaries, and the 12 datasets of "
                       "the number of projects and the actual expenditure by province and year." + note,
        "version": f"1.0.{data_version}", "homepage": f"{base_url}/data",
        "licenses": [{"name": downloads.LICENCE["id"], "title": downloads.LICENCE["title"],
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "sources": [{"title": "Project records (commune/district administrations, NCDD PID)"},
                    {"title": "Boundaries: geoBoundaries / Open Development Cambodia (CC BY 4.0)"},
                    {"title": "Names: NCDD National Gazetteer 2014"}],
        "keywords": ["Cambodia", "sub-national", "infrastructure", "budget", "OC4IDS", "open contracting"],
        "resources": resources,
    }


def _text(values):
    return [{"@value": value, "@language": lang} for lang, value in values.items()]


def _distribution(url, fmt, title):
    return {"@type": "dcat:Distribution", "dct:title": title, "dcat:downloadURL": {"@id": url},
            "dcat:accessURL": {"@id": url}, "dcat:mediaType": MEDIA_TYPES[fmt], "dct:format": fmt.upper(),
            "dct:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"}}


def _dcat_dataset(meta):
    coverage = meta["temporal_coverage"]
    return {
        "@id": meta["links"]["metadata"], "@type": "dcat:Dataset", "dct:identifier": meta["id"],
        "dct:title": _text(meta["title"]), "dct:description": _text(meta["description"]),
        "owl:versionInfo": str(meta["version"]), "dct:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER["name"]},
        "dct:temporal": {"@type": "dct:PeriodOfTime", "dcat:startDate": {"@value": coverage["start"], "@type": "xsd:date"},
                         "dcat:endDate": {"@value": coverage["end"], "@type": "xsd:date"}},
        "dct:spatial": _spatial(),
        "dcat:keyword": ["Cambodia", "province", "infrastructure", "budget"],
        "dcat:distribution": [_distribution(url, fmt, f"{meta['id']}.{fmt}") for fmt, url in meta["links"].items()
                              if fmt != "metadata"],
    }


def _spatial():
    west, south, east, north = CAMBODIA_BBOX
    wkt = f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},{west} {south}))"
    return {"@type": "dct:Location", "dcat:bbox": {"@value": wkt, "@type": "gsp:wktLiteral"},
            "skos:prefLabel": "Cambodia"}


def dcat_catalogue(dataset_metadata, data_version, base_url, sample):
    """A DCAT-AP style catalogue in JSON-LD: the projects dataset and the 12 province-by-year datasets."""
    projects = {
        "@id": f"{base_url}/api/v1/downloads", "@type": "dcat:Dataset", "dct:identifier": "projects",
        "dct:title": _text({"en": "Sub-national infrastructure projects 2014-2019" + (" (SAMPLE DATA)" if sample else ""),
                            "km": "គម្រោងហេដ្ឋារចនាសម្ព័ន្ធថ្នាក់ក្រោមជាតិ ២០១៤-២០១៩"}),
        "dct:description": _text({"en": "Every project with its open-contracting record and its province, district "
                                        "and commune.", "km": "គម្រោងនីមួយៗ ជាមួយកិច្ចសន្យា និងទីតាំងរបស់វា"}),
        "owl:versionInfo": str(data_version), "dct:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
        "dct:temporal": {"@type": "dct:PeriodOfTime", "dcat:startDate": {"@value": "2014-01-01", "@type": "xsd:date"},
                         "dcat:endDate": {"@value": "2019-12-31", "@type": "xsd:date"}},
        "dct:spatial": _spatial(),
        "dcat:distribution": [_distribution(f"{base_url}/api/v1/downloads/projects.{fmt}", fmt, f"projects.{fmt}")
                              for fmt in downloads.FORMATS]
                             + [_distribution(f"{base_url}/api/v1/oc4ids/projects.json", "json", "OC4IDS package")],
    }
    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/", "owl": "http://www.w3.org/2002/07/owl#",
                     "xsd": "http://www.w3.org/2001/XMLSchema#", "skos": "http://www.w3.org/2004/02/skos/core#",
                     "gsp": "http://www.opengis.net/ont/geosparql#"},
        "@id": f"{base_url}/catalog.jsonld", "@type": "dcat:Catalog",
        "dct:title": _text({"en": "Cambodia sub-national infrastructure map service", "km": "សេវាផែនទីហេដ្ឋារចនាសម្ព័ន្ធថ្នាក់ក្រោមជាតិ"}),
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER["name"]},
        "foaf:homepage": {"@id": f"{base_url}/"},
        "dcat:dataset": [projects] + [_dcat_dataset(meta) for meta in dataset_metadata],
    }
