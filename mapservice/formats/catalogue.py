"""Catalogue metadata so that ODC's CKAN (and any harvester) can list our data: a Frictionless Data Package
describing every download and the 12 datasets, and a DCAT catalogue in JSON-LD. No Flask here.

Both documents depend only on the data (and the public address): the web module builds them once per data version.
"""
import math
from datetime import datetime, timezone

from mapservice.formats import budgets as budget_files
from mapservice.formats import datasets, downloads
from mapservice.formats.downloads import SAMPLE_NOTICE
from mapservice.read.projects import RECORD_FIELDS

FRICTIONLESS_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "date": "date", "text": "string"}
# Used only when no boundaries are stored: the extent of the 2014 communes (102.3338..107.6277 E,
# 10.3536..14.6903 N) rounded outward to 2 decimals. Otherwise the bbox is the stored communes' extent.
CAMBODIA_BBOX = (102.33, 10.35, 107.63, 14.70)
BBOX_DIGITS = 4  # as /ogc/collections' extent: about 11 m, rounded outward so the box holds every boundary
PUBLISHER = {"name": "Open Development Cambodia", "url": "https://opendevelopmentcambodia.net/"}
# dct:language as the EU Publications Office authority IRIs (what DCAT-AP asks for): Khmer and English
LANGUAGES = ["http://publications.europa.eu/resource/authority/language/KHM",
             "http://publications.europa.eu/resource/authority/language/ENG"]
IANA = "https://www.iana.org/assignments/media-types/"
CATALOGUE_DESCRIPTION = {
    "km": "គម្រោងហេដ្ឋារចនាសម្ព័ន្ធថ្នាក់ក្រោមជាតិ ២០១៤-២០១៩ របស់ឃុំ ស្រុក និងខេត្តនៃប្រទេសកម្ពុជា "
          "និងសំណុំទិន្នន័យ ១២ នៃចំនួនគម្រោង និងចំណាយតាមខេត្ត និងឆ្នាំ",
    "en": "Sub-national infrastructure projects 2014-2019 of Cambodia's communes, districts and provinces, with "
          "their contracts, and the 12 datasets of the number of projects and the expenditure by province and year.",
}
LICENCE_URL = downloads.LICENCE["url"]
MEDIA_TYPES = {"csv": "text/csv", "xlsx": downloads.XLSX_MIMETYPE, "json": "application/json",
               "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3"}
PROJECTS = {
    "title": {"km": "គម្រោងហេដ្ឋារចនាសម្ព័ន្ធថ្នាក់ក្រោមជាតិ ២០១៤-២០១៩",
              "en": "Sub-national infrastructure projects 2014-2019"},
    "description": {"km": "គម្រោងនីមួយៗ ជាមួយកិច្ចសន្យា និងទីតាំងរបស់វា (ខេត្ត ស្រុក ឃុំ)",
                    "en": "Every project with its open-contracting record and its province, district and commune."},
}
CATALOGUE_TITLE = {"km": "សេវាផែនទីហេដ្ឋារចនាសម្ព័ន្ធថ្នាក់ក្រោមជាតិ",
                   "en": "Cambodia sub-national infrastructure map service"}
# dcat:keyword: the same few words on every dataset, then what the dataset counts. English only: ckanext-dcat turns
# every keyword into a CKAN tag, and CKAN's default tag_name_validator refuses Khmer (its vowel signs and coeng are
# not \w), so Khmer keywords would make every dataset fail to harvest (docs/standards.md). Titles and descriptions
# carry both languages.
KEYWORDS = ["Cambodia", "sub-national", "infrastructure", "budget"]
KIND_KEYWORDS = {
    "projects": ["projects", "open contracting", "OC4IDS"],
    "province-projects": ["province", "number of projects"],
    "province-expenditure": ["province", "actual expenditure"],
    "budgets": ["district", "commune", "revenue", "expenditure", "fiscal data"],
}


def package_version(data_version):
    """The version of every catalogue entry: "1.0.<data version>" (semver; the patch changes with every import)."""
    return f"1.0.{data_version}"


def marked(texts, sample):
    """``{lang: text}`` with the SAMPLE notice of each language in front when SAMPLE data are loaded (as the
    datasets' and downloads' titles have it)."""
    return {lang: f"{SAMPLE_NOTICE[lang]} · {text}" if sample else text for lang, text in texts.items()}


def _english(text, sample):
    return marked({"en": text}, sample)["en"]


def import_dates(sources):
    """(issued, modified): the earliest and the latest ``imported_at`` of the import batches that still hold
    projects (``downloads.load_sources``), as UTC xsd:dateTime text "2024-05-01T08:30:00Z"; (None, None) when
    no project is loaded. The import stores UTC without a zone."""
    times = []
    for source in sources:
        moment = datetime.fromisoformat(source["imported_at"])
        times.append(moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc))
    if not times:
        return None, None
    return tuple(t.replace(microsecond=0).isoformat().replace("+00:00", "Z") for t in (min(times), max(times)))


def bounding_box(bounds=None, digits=BBOX_DIGITS):
    """[west, south, east, north] of ``bounds`` (e.g. the stored communes' ``total_bounds``) rounded OUTWARD
    (west and south down, east and north up) to ``digits`` decimals; CAMBODIA_BBOX without bounds."""
    if bounds is None or len(bounds) != 4 or any(math.isnan(float(v)) for v in bounds):
        return list(CAMBODIA_BBOX)
    scale = 10 ** digits
    low = [math.floor(float(v) * scale) / scale for v in bounds[:2]]
    high = [math.ceil(float(v) * scale) / scale for v in bounds[2:]]
    return low + high


def _project_fields():
    # the CSV's header row holds the English labels (lang=en); each field also says its code
    return [{"name": downloads.COLUMNS[field].header_en, "code": field,
             "type": FRICTIONLESS_TYPES[downloads.FIELD_KINDS[field]],
             "description": downloads.COLUMNS[field].description_en} for field in RECORD_FIELDS]


def _dataset_fields(meta):
    return [{"name": c["name"], "type": c["type"], "title": c["title"]["en"], "description": c["description"]["en"]}
            for c in meta["columns"]]


def all_dataset_metadata(context, data_version, base_url, first_year, last_year):
    """Metadata of the 12 datasets (see mapservice.formats.datasets; ``context`` from ``datasets.load_context``), with
    absolute links under ``base_url``."""
    return [datasets.metadata(kind, year, context, data_version, f"{base_url}/api/v1/datasets")
            for kind, year in (datasets.parse_id(i, first_year, last_year)
                               for i in datasets.dataset_ids(first_year, last_year))]


def data_package(dataset_metadata, data_version, base_url, sample, sources=(), budgets=False):
    """A Frictionless Data Package: the project download (CSV, with its schema) and the 12 dataset CSVs, and the
    budgets CSV when budgets are loaded.

    ``created`` (the spec's only date) is when the data last changed: the latest import still holding projects."""
    resources = [{
        "name": "projects", "title": marked(PROJECTS["title"], sample)["en"],
        "path": f"{base_url}/api/v1/downloads/projects.csv?lang=en", "format": "csv", "mediatype": "text/csv",
        "encoding": "utf-8-sig", "schema": {"fields": _project_fields(), "primaryKey": [downloads.COLUMNS["project_id"].header_en]},
        "description": _english("Every project with its open-contracting record, joined to its province, district "
                                "and commune. Other formats: xlsx, geojson, gpkg (same URL, other extension).", sample),
    }]
    for meta in dataset_metadata:
        resources.append({
            "name": meta["id"], "title": meta["title"]["en"], "description": meta["description"]["en"],
            "path": meta["links"]["csv"], "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
            "schema": {"fields": _dataset_fields(meta), "primaryKey": ["province_code"]},
        })
    if budgets:
        resources.append(budget_files.budget_resource(f"{base_url}/api/v1/budgets?format=csv&lang=en", sample))
    _, modified = import_dates(sources)
    return {
        "name": "cambodia-subnational-infrastructure-projects", "id": f"{base_url}/datapackage.json",
        "title": _english("Cambodia sub-national infrastructure projects 2014-2019", sample),
        "description": _english("Projects of communes and districts joined to the 2014 boundaries, and the 12 "
                                "datasets of the number of projects and the actual expenditure by province and year.",
                                sample),
        "version": package_version(data_version), "homepage": f"{base_url}/data",
        **({"created": modified} if modified else {}),
        "licenses": [{"name": downloads.LICENCE["id"], "title": downloads.LICENCE["title"],
                      "path": LICENCE_URL}],
        "sources": [{"title": "Project records (commune/district administrations, NCDD PID)"},
                    {"title": "Boundaries: geoBoundaries / Open Development Cambodia (CC BY 4.0)"},
                    {"title": "Names: NCDD National Gazetteer 2014"}],
        "keywords": ["Cambodia", "sub-national", "infrastructure", "budget", "OC4IDS", "open contracting"],
        "resources": resources,
    }


def _text(values):
    return [{"@value": value, "@language": lang} for lang, value in values.items()]


def _keywords(kind):
    return [{"@value": word, "@language": "en"} for word in KEYWORDS + KIND_KEYWORDS[kind]]


def _date_time(text):
    return {"@value": text, "@type": "xsd:dateTime"}


def _distribution(url, fmt, title, sizes):
    """A dcat:Distribution: its IANA media type as an IRI, and its size in bytes when ``sizes`` has its URL."""
    size = sizes.get(url)
    return {"@type": "dcat:Distribution", "dct:title": title, "dcat:downloadURL": {"@id": url},
            "dcat:accessURL": {"@id": url}, "dcat:mediaType": {"@id": IANA + MEDIA_TYPES[fmt]},
            "dct:format": fmt.upper(), "dct:license": {"@id": LICENCE_URL},
            **({"dcat:byteSize": {"@value": str(size), "@type": "xsd:nonNegativeInteger"}} if size is not None
               else {})}


def publisher_node(publisher=None):
    """The one foaf:Organization node of the publisher, named by its IRI (its web address)."""
    publisher = publisher or PUBLISHER
    return {"@id": publisher["url"], "@type": "foaf:Organization", "foaf:name": publisher["name"],
            "foaf:homepage": {"@id": publisher["url"]}}


def distribution_urls(base_url, dataset_metadata):
    """url -> (kind, format, dataset id) of every distribution the catalogue lists (the caller measures them)."""
    urls = {project_download_url(base_url, fmt): ("projects", fmt, None) for fmt in downloads.FORMATS}
    urls[f"{base_url}/api/v1/oc4ids/projects.json"] = ("oc4ids", "json", None)
    for meta in dataset_metadata:
        urls |= {url: ("dataset", fmt, meta["id"]) for fmt, url in meta["links"].items() if fmt != "metadata"}
    return urls


def project_download_url(base_url, fmt):
    """The projects download of the catalogue: in English where the file's headers have a language."""
    return f"{base_url}/api/v1/downloads/projects.{fmt}" + ("?lang=en" if fmt in downloads.LANGUAGE_DEPENDENT else "")


def _dataset(identifier, url, title, description, kind, start, end, landing_page, shared):
    """What every dcat:Dataset says, the projects and the 12 alike. ``shared``: see ``dcat_catalogue``."""
    issued, modified = shared["dates"]
    return {
        "@id": url, "@type": "dcat:Dataset", "dct:identifier": identifier,
        "dct:title": _text(title), "dct:description": _text(description),
        "owl:versionInfo": shared["version"], "dct:license": {"@id": LICENCE_URL},
        "dct:publisher": {"@id": shared["publisher"]["@id"]}, "dct:language": [{"@id": iri} for iri in LANGUAGES],
        "dcat:keyword": _keywords(kind), "dcat:landingPage": {"@id": landing_page},
        **({"dct:issued": _date_time(issued), "dct:modified": _date_time(modified)} if modified else {}),
        "dct:temporal": {"@type": "dct:PeriodOfTime", "dcat:startDate": {"@value": start, "@type": "xsd:date"},
                         "dcat:endDate": {"@value": end, "@type": "xsd:date"}},
        "dct:spatial": shared["spatial"],
    }


def _spatial(bbox):
    west, south, east, north = bbox
    wkt = f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},{west} {south}))"
    return {"@type": "dct:Location", "dcat:bbox": {"@value": wkt, "@type": "gsp:wktLiteral"},
            "skos:prefLabel": "Cambodia"}


def _budget_dataset(base_url, sample, shared, sizes):
    """The budgets' dcat:Dataset (when budgets are loaded): JSON, CSV, XLSX and the Fiscal Data Package."""
    meta = budget_files.dcat_dataset(base_url, sample, marked)
    entry = _dataset(meta["identifier"], meta["url"], meta["title"], meta["description"], "budgets", "2014-01-01",
                     "2019-12-31", f"{base_url}/data#budgets", shared)
    entry["dcat:distribution"] = [_distribution(url, fmt, title, sizes) for url, fmt, title in meta["distributions"]]
    return entry


def dcat_catalogue(dataset_metadata, data_version, base_url, sample, sources=(), bbox=None, sizes=None,
                   publisher=None, budgets=False):
    """A DCAT-AP style catalogue in JSON-LD: the projects dataset and the 12 province-by-year datasets.

    Every dataset has the same publisher, licence, version (``package_version``), bbox (``bbox``: [west, south,
    east, north], e.g. ``bounding_box(stored communes' bounds)``), issued/modified (``import_dates(sources)``)
    and keywords in Khmer and English; its landing page is its section of the data page. ``sizes``: url ->
    bytes of the distributions (``distribution_urls``); ``publisher``: {"name", "url"} (ODC by default)."""
    sizes = sizes or {}
    shared = {"version": package_version(data_version), "dates": import_dates(sources),
              "spatial": _spatial(bbox or bounding_box()), "publisher": publisher_node(publisher)}
    projects = _dataset("projects", f"{base_url}/api/v1/downloads", marked(PROJECTS["title"], sample),
                        marked(PROJECTS["description"], sample), "projects", "2014-01-01", "2019-12-31",
                        f"{base_url}/data#projects", shared)
    projects["dcat:distribution"] = (
        [_distribution(project_download_url(base_url, fmt), fmt, f"projects.{fmt}", sizes)
         for fmt in downloads.FORMATS]
        + [_distribution(f"{base_url}/api/v1/oc4ids/projects.json", "json", "OC4IDS package", sizes)])
    entries = [projects]
    for meta in dataset_metadata:
        coverage = meta["temporal_coverage"]
        entry = _dataset(meta["id"], meta["links"]["metadata"], meta["title"], meta["description"],
                         f"province-{meta['kind']}", coverage["start"], coverage["end"], f"{base_url}/data#datasets",
                         shared)
        entry["dcat:distribution"] = [_distribution(url, fmt, f"{meta['id']}.{fmt}", sizes)
                                      for fmt, url in meta["links"].items() if fmt != "metadata"]
        entries.append(entry)
    if budgets:
        entries.append(_budget_dataset(base_url, sample, shared, sizes))
    issued, modified = shared["dates"]
    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/", "owl": "http://www.w3.org/2002/07/owl#",
                     "xsd": "http://www.w3.org/2001/XMLSchema#", "skos": "http://www.w3.org/2004/02/skos/core#",
                     "gsp": "http://www.opengis.net/ont/geosparql#"},
        "@id": f"{base_url}/catalog.jsonld", "@type": "dcat:Catalog",
        "dct:title": _text(marked(CATALOGUE_TITLE, sample)),
        "dct:description": _text(marked(CATALOGUE_DESCRIPTION, sample)),
        "dct:language": [{"@id": iri} for iri in LANGUAGES],
        "dct:publisher": shared["publisher"], "dct:license": {"@id": LICENCE_URL},
        "foaf:homepage": {"@id": f"{base_url}/"},
        **({"dct:issued": _date_time(issued), "dct:modified": _date_time(modified)} if modified else {}),
        "dcat:dataset": entries,
    }
