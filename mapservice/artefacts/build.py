"""``build_artefacts(session_factory, config) -> BuildReport``: every file that depends only on the data version,
built after an import (or a publish) commits, read in one snapshot of the data, written into a new version folder
and switched to atomically (``directory.py``). A failure or a newer import during the build leaves the previous
version current; requests are answered dynamically until the new version's files are there."""
import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from layers import REGISTRY
from mapservice.artefacts import names
from mapservice.artefacts.directory import VersionWriter
from mapservice.formats import datasets, downloads, oc4ids, tiles
from mapservice.read.filters import Filters
from mapservice.read.snapshot import DataState
from mapservice.read.totals import area_values
from mapservice.store import tables
from mapservice.store.models import Project

logger = logging.getLogger(__name__)
GEOJSON = "application/geo+json"
# The full downloads and the OC4IDS package are prebuilt up to this many projects: above it an XLSX takes many
# minutes and gigabytes (19 s for 15k projects, issue 13) and would pass a sheet's 1,048,576 rows; those requests
# are built per request as before.
FULL_FILES_UP_TO = 200_000


@dataclass
class BuildReport:
    """What a build did: the version, files and bytes written, seconds; ``skipped`` says why nothing was built."""

    data_version: int | None = None
    artefacts: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    folder: str | None = None
    skipped: str | None = None
    steps: dict = field(default_factory=dict)  # seconds per kind of file
    step_bytes: dict = field(default_factory=dict)  # bytes written per kind of file (gzip and brotli included)

    def __str__(self):
        if self.skipped:
            return f"artefacts: none built ({self.skipped})"
        steps = ", ".join(f"{name} {seconds:.1f} s" + (f" {self.step_bytes[name] / 1e6:,.1f} MB"
                                                       if self.step_bytes.get(name) else "")
                          for name, seconds in self.steps.items())
        return (f"artefacts: data version {self.data_version}, {self.artefacts:,} artefacts in {self.files:,} files "
                f"(gzip and brotli beside each), {self.bytes / 1e6:,.1f} MB in {self.seconds:.1f} s ({steps}): "
                f"{self.folder}")


class Superseded(Exception):
    """Another import committed while the files were built: they would mix two versions."""


def database_identity(config):
    """A short fingerprint of the database the files were built from (its URL without password)."""
    url = make_url(config["DATABASE_URL"]).render_as_string(hide_password=True)
    return hashlib.sha1(url.encode()).hexdigest()[:12]


def public_base(config):
    return config["MAPSERVICE_PUBLIC_URL"].rstrip("/")


def build_artefacts(session_factory, config):
    """Build every artefact of the current data version; returns a BuildReport (the CLI prints it)."""
    root = config["MAPSERVICE_ARTEFACT_DIR"]
    if not root:
        return BuildReport(skipped="MAPSERVICE_ARTEFACT_DIR is empty")
    started = time.monotonic()
    with session_factory() as session:
        if session.get_bind().dialect.name == "postgresql":  # one snapshot of the data for every file
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        version = tables.data_version(session)
        writer = VersionWriter(root, version, database_identity(config), public_base(config))
        try:
            snapshot = DataState().current(session)
            steps, step_bytes = {}, {}
            for name, step in STEPS.items():
                step_started, bytes_before = time.monotonic(), writer.written
                step(writer, session, snapshot, config)
                steps[name] = round(time.monotonic() - step_started, 1)
                step_bytes[name] = writer.written - bytes_before
            with session_factory() as now:  # outside the build's snapshot: has a newer import committed?
                if tables.data_version(now) != version:
                    raise Superseded(f"data version {version} was replaced during the build")
            manifest = writer.commit(round(time.monotonic() - started, 1))
            if manifest is None:
                raise Superseded(f"the files of a later version than {version} are current")
        except Superseded as superseded:
            writer.abandon()
            logger.info("artefacts of version %s not switched: %s", version, superseded)
            return BuildReport(data_version=version, skipped=f"{superseded}; the newer import builds its own")
        except BaseException:
            writer.abandon()
            raise
    report = BuildReport(version, len(manifest["artefacts"]), manifest["files"], manifest["bytes"],
                         manifest["seconds"], str(writer.root / writer.name), steps=steps,
                         step_bytes=step_bytes)
    logger.info("%s", report)
    return report


def _layers(writer, session, snapshot, config):
    """Every choropleth and outline layer for each level, all years and each year (the year filter only)."""
    years = range(config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"] + 1)
    for layer in REGISTRY.values():
        if layer.kind not in names.LAYER_KINDS:
            continue
        for level in layer.levels:
            for year in [None, *(years if "year" in layer.filters else ())]:
                filters = Filters(year_from=year, year_to=year) if year else Filters()
                body = layer.build(layer, session, snapshot.areas, filters, level, {}).encode()
                writer.add(names.layer(layer.name, level, year), body, GEOJSON)


def _datasets(writer, session, snapshot, config):
    first, last = config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"]
    context = datasets.load_context(session)
    base_url = f"{public_base(config)}/api/v1/datasets"
    for dataset_id in datasets.dataset_ids(first, last):
        kind, year = datasets.parse_id(dataset_id, first, last)
        meta = datasets.metadata(kind, year, context, snapshot.version, base_url)
        rows = datasets.province_rows(session, kind, year)
        for fmt, (write, mimetype, extension) in datasets.FORMATS.items():
            name = downloads.file_name(dataset_id, {}, meta["sample"], extension)
            writer.add(names.dataset(dataset_id, fmt), write(meta, rows), mimetype, _attachment(name), with_links=True)


def _too_many_projects(session):
    return session.scalar(sa.select(sa.func.count()).select_from(Project)) > FULL_FILES_UP_TO


def _downloads(writer, session, snapshot, config):
    if _too_many_projects(session):
        return
    records, meta = downloads.collect(session, Filters(), None, snapshot.version)
    for fmt, (write, mimetype, extension) in downloads.FORMATS.items():
        for lang in downloads.LANGUAGES if fmt in downloads.LANGUAGE_DEPENDENT else (None,):
            name = downloads.file_name("projects", meta["filters"], meta["sample"], extension, lang)
            writer.add(names.download(fmt, lang), write(records, lang or "en", meta), mimetype, _attachment(name))


def package_options(config, base_url):
    """Publisher, licence and publication policy of an OC4IDS package, from the settings (the site's /about page
    when no policy is set); the web's packages use the same."""
    return {"publisher": oc4ids.publisher_from_config(config), "license": config["MAPSERVICE_DATA_LICENSE"],
            "publication_policy": config["MAPSERVICE_PUBLICATION_POLICY"] or f"{base_url}/about"}


def oc4ids_body(package):
    return json.dumps(package, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _oc4ids_package(writer, session, snapshot, config):
    if _too_many_projects(session):
        return
    base = public_base(config)
    package = oc4ids.export_projects(session, config["MAPSERVICE_OC4IDS_PREFIX"], filters=Filters(),
                                     uri=f"{base}/api/v1/oc4ids/projects.json", **package_options(config, base))
    if package["projects"]:  # no package without a project (the web answers 404)
        writer.add(names.OC4IDS_PACKAGE, oc4ids_body(package), "application/json",
                   _attachment("oc4ids-projects.json"), with_links=True)


def json_document(document):
    """JSON bytes exactly as Flask's ``jsonify`` writes them (sorted keys, compact, ASCII, a final newline)."""
    return (json.dumps(document, ensure_ascii=True, sort_keys=True, separators=(",", ":")) + "\n").encode()


def tile_template(base_url, layer):
    return f"{base_url}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt"


def tile_years(session, config):
    """The fiscal years of the data that a request can ask for (those in the settings' range), ascending."""
    first, last = config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"]
    return session.scalars(sa.select(Project.fiscal_year).distinct()
                           .where(Project.fiscal_year.between(first, last)).order_by(Project.fiscal_year)).all()


def tilejson_document(layer, base_url, snapshot, filters):
    """The TileJSON of a layer for the filters, as the web answers it (its tile URLs keep the filters)."""
    query = urlencode(filters.as_params())
    template = tile_template(base_url, layer) + (f"?{query}" if query else "")
    return tiles.tilejson(layer, template, snapshot.version, snapshot.communes.total_bounds, filters,
                          sample=snapshot.sample)


UNFILTERED = [(layer, None) for layer in tiles.LAYERS]


def _year_layers(session, config):
    """(layer, year) of the YEAR_TILE_LAYERS for each fiscal year of the data (``?year=2017`` and its equivalents)."""
    return [(layer, year) for year in tile_years(session, config) for layer in names.YEAR_TILE_LAYERS]


def _filters(year):
    """No filter, or one fiscal year."""
    return Filters(year_from=year, year_to=year) if year else Filters()


def _tilejsons(writer, session, snapshot, config):
    for layer, year in UNFILTERED + _year_layers(session, config):
        document = tilejson_document(layer, public_base(config), snapshot, _filters(year))
        writer.add(names.tilejson(layer, year), json_document(document), "application/json", with_links=True)


def _tiles(writer, session, snapshot, config):
    """Every tile of every layer, z0 to MAPSERVICE_ARTEFACT_TILE_MAXZOOM over the country's bounds, empty ones
    included."""
    _write_tiles(writer, session, snapshot, config, UNFILTERED)


def _year_tiles(writer, session, snapshot, config):
    """The same tiles of the YEAR_TILE_LAYERS for each fiscal year of the data."""
    _write_tiles(writer, session, snapshot, config, _year_layers(session, config))


def _write_tiles(writer, session, snapshot, config, tile_layers):
    if not len(snapshot.communes):
        return
    bounds = snapshot.communes.total_bounds
    for layer, year in tile_layers:
        filters, level = _filters(year), tiles.LAYERS[layer].level
        totals = area_values(session, filters, level) if level else None
        for z in range(config["MAPSERVICE_ARTEFACT_TILE_MAXZOOM"] + 1):
            for x, y in tiles_over(bounds, z):
                body = tiles.render_tile(session, layer, z, x, y, filters, totals=totals)
                writer.add(names.tile(layer, z, x, y, year), body, tiles.MVT)


def tiles_over(bounds, z):
    """(x, y) of every XYZ tile at zoom z that the (west, south, east, north) box touches."""
    west, south, east, north = bounds
    n = 2 ** z

    def column(lon):
        return min(n - 1, max(0, math.floor((lon + 180) / 360 * n)))

    def row(lat):
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return min(n - 1, max(0, math.floor(y)))

    return [(x, y) for x in range(column(west), column(east) + 1) for y in range(row(north), row(south) + 1)]


STEPS = {"layers": _layers, "datasets": _datasets, "downloads": _downloads, "oc4ids": _oc4ids_package,
         "tilejson": _tilejsons, "tiles": _tiles, "year tiles": _year_tiles}


def _attachment(file_name):
    return {"Content-Disposition": f'attachment; filename="{file_name}"'}
