"""Settings: commented defaults, then the environment (``DATABASE_URL``, ``MAPSERVICE_*``), then test overrides."""
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Each setting: (default, one-line help). tests/test_config.py fails if one is missing from docs/configuration.md.
SETTINGS = {
    "DATABASE_URL": (
        f"sqlite:///{PROJECT_ROOT / 'var' / 'mapservice.sqlite'}",
        "SQLAlchemy URL: sqlite:///FILE for the embedded SpatiaLite default, "
        "postgresql+psycopg://USER@HOST/DB for PostGIS.",
    ),
    "MAPSERVICE_DATA_DIR": (
        str(PROJECT_ROOT.parent / "shared" / "data"),
        "Directory holding the boundaries/ and gazetteer/ source files (see data/boundaries/manifest.json).",
    ),
    "MAPSERVICE_SPATIALITE_LIBRARY": (
        "mod_spatialite",
        "Name or path of the SpatiaLite extension loaded into each SQLite connection.",
    ),
    "MAPSERVICE_FIRST_YEAR": (2014, "First fiscal year a project record may carry."),
    "MAPSERVICE_LAST_YEAR": (2019, "Last fiscal year a project record may carry."),
    "MAPSERVICE_MAX_IMPORT_BYTES": (
        200 * 1024 * 1024,
        "Largest project or boundary file an import accepts, in bytes; larger files are refused before reading.",
    ),
    "MAPSERVICE_PID_URL_TEMPLATE": (
        "http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id={pid}",
        "URL of a project's record in NCDD's Project Implementation Database; {pid} is the PID reference.",
    ),
    "MAPSERVICE_OC4IDS_PREFIX": (
        "kh1odc",
        "OC4IDS project id prefix (ids are oc4ids-<prefix>-<project id>); register your own with the "
        "Open Contracting Partnership before publishing.",
    ),
    "MAPSERVICE_REPORT_PATH": (
        str(PROJECT_ROOT / "var" / "quality-report.json"),
        "Where `mapservice report` writes the data-quality report (JSON).",
    ),
    "MAPSERVICE_BASEMAP_URL": (
        "",
        "Tile URL template of the map's basemap, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty = no basemap.",
    ),
    "MAPSERVICE_BASEMAP_ATTRIBUTION": ("", "Attribution (HTML) shown for the basemap tiles."),
    "MAPSERVICE_USD_RATE": (4100, "Riel per US dollar, for the dollar amounts shown beside riel."),
    "MAPSERVICE_EXCHANGE_RATES": (
        "USD:2014=4038,2015=4068,2016=4059,2017=4051,2018=4051,2019=4062;"
        "EUR:2014=5366,2015=4515,2016=4493,2017=4578,2018=4784,2019=4549;"
        "GBP:2014=6654,2015=6216,2016=5500,2017=5222,2018=5408,2019=5187;"
        "THB:2014=124.3,2015=118.8,2016=115.0,2017=119.4,2018=125.4,2019=130.8",
        "Riel per unit of each currency a project file may use, per fiscal year (CUR:YEAR=RATE,...;CUR:...); "
        "amounts are converted to riel at the rate of the project's year.",
    ),
    "MAPSERVICE_PUBLISHER_NAME": ("Open Development Cambodia", "Publisher named in OC4IDS packages and DCAT."),
    "MAPSERVICE_PUBLISHER_URI": ("https://opendevelopmentcambodia.net/",
                                 "Publisher's web address: OC4IDS publisher.uri and the DCAT publisher's IRI."),
    "MAPSERVICE_PUBLISHER_SCHEME": ("", "org-id.guide list of the publisher's identifier (OC4IDS publisher.scheme)."),
    "MAPSERVICE_PUBLISHER_UID": ("", "Publisher's identifier in that list (OC4IDS publisher.uid)."),
    "MAPSERVICE_DATA_LICENSE": ("https://creativecommons.org/licenses/by/4.0/",
                                "Licence URL of the published data (OC4IDS package license)."),
    "MAPSERVICE_PUBLICATION_POLICY": ("", "URL of the publication policy (OC4IDS publicationPolicy); "
                                          "empty = this site's /about page."),
}

_INT_SETTINGS = {"MAPSERVICE_FIRST_YEAR", "MAPSERVICE_LAST_YEAR", "MAPSERVICE_MAX_IMPORT_BYTES"}


class ConfigError(ValueError):
    """A setting whose value the service cannot use; the message names the setting, the value and what is allowed."""


def load_config(overrides=None):
    """Return the settings dict: defaults, then environment variables, then ``overrides``."""
    config = {name: default for name, (default, _help) in SETTINGS.items()}
    for name in SETTINGS:
        if name in os.environ:
            value = os.environ[name]
            if name in _INT_SETTINGS and not value.strip().isdigit():
                raise ConfigError(f'{name} was "{value}"; expected a whole number')
            config[name] = int(value) if name in _INT_SETTINGS else value
    config.update(overrides or {})
    return config
