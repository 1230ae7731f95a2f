"""Downloads under /api/v1: the projects in CSV, XLSX, GeoJSON and GeoPackage (the API's filters), and the 12
province-by-year datasets with their metadata in CSV, XLSX and JSON. Every file is an attachment."""
from flask import Blueprint, Response, abort, g, jsonify, request, url_for

from mapservice.artefacts import names
from mapservice.formats import datasets, downloads
from mapservice.formats.datasets import ID_PATTERN
from mapservice.formats.parameters import FILTERS, LANG, PAGING
from mapservice.read.filters import Filters
from mapservice.web import artefacts
from mapservice.web.api import close_session, filters_from_request, open_session, request_language, years
from mapservice.web.openapi import documented

blueprint = Blueprint("downloads", __name__, url_prefix="/api/v1")
blueprint.before_request(open_session)
blueprint.teardown_request(close_session)
DATASET_ID = {"type": "string", "pattern": f"^{ID_PATTERN.pattern}$"}
SORT = [p for p in PAGING if p["name"] == "sort"]
PROJECT_MEDIA_TYPES = [mimetype for _, mimetype, _ in downloads.FORMATS.values()]
DATASET_MEDIA_TYPES = list(datasets.FORMAT_MIMETYPES.values())


@blueprint.after_request
def vary_on_language(response):
    """Without ?lang= a CSV or XLSX follows Accept-Language, so caches keep one copy per language."""
    response.vary.add("Accept-Language")
    return response


@blueprint.get("/downloads")
@documented("The download formats and the 12 datasets", tags=["downloads"])
def index():
    """The project download formats, how to filter them, and the 12 province-by-year datasets."""
    return jsonify({"projects": {"formats": [_format_entry(fmt) for fmt in downloads.FORMATS],
                                 "parameters": [p["name"] for p in FILTERS] + ["sort", "lang"],
                                 "example": url_for("downloads.projects", fmt="csv", year="2016", province="01",
                                                    lang="en", _external=True)},
                    "datasets": _dataset_list()})


@blueprint.get("/downloads/projects.<fmt>")
@documented("Download the projects (CSV, XLSX, GeoJSON, GeoPackage)", parameters=SORT + [LANG], filters=True,
            path={"fmt": {"type": "string", "enum": list(downloads.FORMATS)}},
            media_types=PROJECT_MEDIA_TYPES, tags=["downloads"])
def projects(fmt):
    """Every project matching the filters (no paging) in one file, headers in the language (CSV, XLSX)."""
    writer, mimetype, extension = downloads.FORMATS.get(fmt) or _unknown_format(fmt, downloads.FORMATS)
    filters, lang = filters_from_request(), request_language()
    if filters == Filters() and not request.args.get("sort"):
        prebuilt = artefacts.answer(names.download(fmt, lang if fmt in downloads.LANGUAGE_DEPENDENT else None))
        if prebuilt:
            return prebuilt
    records, meta = downloads.collect(g.session, filters, request.args.get("sort"), g.snapshot.version)
    name = downloads.file_name("projects", meta["filters"], meta["sample"], extension,
                               lang if fmt in downloads.LANGUAGE_DEPENDENT else None)
    return attachment(writer(records, lang, meta), mimetype, name)


@blueprint.get("/datasets")
@documented("List the 12 province-by-year datasets", tags=["downloads"])
def list_datasets():
    """The 12 datasets (projects and expenditure by province, one per year): metadata and the URL of each format."""
    return jsonify({"datasets": _dataset_list()})


@blueprint.get("/datasets/<dataset_id>")
@documented("One dataset's metadata", tags=["downloads"], path={"dataset_id": DATASET_ID})
def dataset(dataset_id):
    """One dataset's metadata in Khmer and English: licence, source, version, coverage, columns, links."""
    kind, year = _dataset_or_404(dataset_id)
    return jsonify(_metadata(kind, year, dataset_context()))


@blueprint.get("/datasets/<dataset_id>.<fmt>")
@documented("Download one dataset (CSV, XLSX, JSON)", media_types=DATASET_MEDIA_TYPES, tags=["downloads"],
            path={"dataset_id": DATASET_ID, "fmt": {"type": "string", "enum": list(datasets.FORMATS)}})
def dataset_file(dataset_id, fmt):
    """One dataset: every province (0 where none) with its count or expenditure, and its metadata."""
    kind, year = _dataset_or_404(dataset_id)
    writer, mimetype, extension = datasets.FORMATS.get(fmt) or _unknown_format(fmt, datasets.FORMATS)
    prebuilt = artefacts.answer(names.dataset(dataset_id, fmt))
    if prebuilt:
        return prebuilt
    meta = _metadata(kind, year, dataset_context())
    body = writer(meta, datasets.province_rows(g.session, kind, year))
    return attachment(body, mimetype, downloads.file_name(dataset_id, {}, meta["sample"], extension))


def dataset_context():
    """What the 12 datasets' metadata need from the data (sources, coverage), once per data version."""
    return g.snapshot.memo("datasets", lambda: datasets.load_context(g.session))


def attachment(body, mimetype, file_name):
    """A file response the browser saves under ``file_name``."""
    response = Response(body, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _unknown_format(fmt, formats):
    abort(404, f'format "{fmt}" is not available; expected one of {", ".join(formats)}')


def _dataset_or_404(dataset_id):
    return datasets.parse_id(dataset_id, *years()) or abort(
        404, f'dataset "{dataset_id}" does not exist; see {url_for("downloads.list_datasets")}')


def _metadata(kind, year, context):
    base_url = url_for("downloads.list_datasets", _external=True)
    return datasets.metadata(kind, year, context, g.snapshot.version, base_url)


def _dataset_list():
    context = dataset_context()
    return [_metadata(*datasets.parse_id(dataset_id, *years()), context) for dataset_id in datasets.dataset_ids(*years())]


def _format_entry(fmt):
    _, mimetype, extension = downloads.FORMATS[fmt]
    return {"format": fmt, "media_type": mimetype, "extension": extension,
            "url": url_for("downloads.projects", fmt=fmt, _external=True),
            "language": "headers in ?lang=km|en (default: Accept-Language, then km)"
            if fmt in downloads.LANGUAGE_DEPENDENT else "field codes as names, the same in both languages"}
