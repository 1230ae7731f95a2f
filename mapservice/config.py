"""Settings: commented defaults, then the environment (``DATABASE_URL``, ``MAPSERVICE_*``), then test overrides."""
import os
import re
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
    "MAPSERVICE_IMPORT_WAIT_SECONDS": (
        30,
        "How long an import waits for another import of the same database to finish before it refuses "
        "(\"another import is running since HH:MM (pid N)\").",
    ),
    "MAPSERVICE_USD_RATE": (4100, "Riel per US dollar, for the dollar amounts shown beside riel."),
    # Publishing over the web (/admin, docs/publishing.md)
    "MAPSERVICE_SECRET_KEY": (
        "",
        "Key that signs the admin's session cookies and form tokens; empty = a random key kept in var/secret-key "
        "(made on first start). Set the same value on every machine of a deployment.",
    ),
    "MAPSERVICE_HTTPS": (0, "1 when the site is served over HTTPS (also behind a TLS proxy): session cookies are "
                            "then sent only over HTTPS (Secure)."),
    "MAPSERVICE_TRUSTED_PROXIES": (
        0,
        "How many proxies in front of the app (nginx: 1) set X-Forwarded-For and -Proto; the login throttle counts "
        "the client address they pass on. 0 = none (the header is ignored).",
    ),
    # The public deployment (docs/deployment.md): replicas, time limits, load shedding
    "MAPSERVICE_READ_DATABASE_URL": (
        "",
        "SQLAlchemy URL of a read-only replica the web app reads from; empty = DATABASE_URL.",
    ),
    "MAPSERVICE_STATEMENT_TIMEOUT_MS": (
        20000,
        "PostGIS statement_timeout of the web app's queries, in milliseconds (imports are not limited); 0 = none.",
    ),
    "MAPSERVICE_CONNECT_TIMEOUT_S": (3, "Seconds the web app waits for a PostGIS connection before answering 503."),
    "MAPSERVICE_LOCK_TIMEOUT_MS": (
        2000,
        "PostGIS lock_timeout of the web app's queries, in milliseconds: how long a request waits for a table an "
        "import holds locked (a first import rebuilds the empty project table's indexes) before answering 503; "
        "0 = none.",
    ),
    "MAPSERVICE_QUEUE_WAIT_MS": (
        2000,
        "A request that waited longer than this behind busy workers (measured from the front's X-Request-Start) "
        "is answered 503 with Retry-After at once; 0 = never.",
    ),
    "MAPSERVICE_EXPENSIVE_CONCURRENCY": (
        2,
        "Expensive requests (project files, PNG/HTML maps, OC4IDS packages, big OGC pages) one worker process runs "
        "at a time; more wait briefly, then get 503 with Retry-After.",
    ),
    "MAPSERVICE_EXPENSIVE_WAIT_MS": (
        1000,
        "How long an expensive request waits for one of those slots before the 503, in milliseconds.",
    ),
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
    # Work once per data version: the files built after an import (mapservice/artefacts, docs/performance.md)
    "MAPSERVICE_ARTEFACT_DIR": (
        str(PROJECT_ROOT / "var" / "artefacts"),
        "Directory of the files built once per data version (layers, downloads, datasets, OC4IDS, tiles; .gz and .br "
        "beside each), one folder per version and a `current` link; empty = build none, serve everything dynamically.",
    ),
    "MAPSERVICE_PUBLIC_URL": (
        "http://127.0.0.1:5000",
        "The site's public address, written into the prebuilt files that hold links (datasets, OC4IDS, TileJSON); "
        "they are served from the files only to requests for this address.",
    ),
    "MAPSERVICE_ARTEFACT_TILE_MAXZOOM": (10, "Highest zoom of the vector tiles built after an import (0 to 12)."),
    "MAPSERVICE_ACCEL_REDIRECT": (
        "",
        "Path prefix of the front's internal location of the artefact directory (e.g. /_artefacts/): prebuilt files "
        "are answered with X-Accel-Redirect for nginx to send; empty = the app sends them. Set by `serve --public`.",
    ),
}

_INT_SETTINGS = {"MAPSERVICE_FIRST_YEAR", "MAPSERVICE_LAST_YEAR", "MAPSERVICE_MAX_IMPORT_BYTES",
                 "MAPSERVICE_STATEMENT_TIMEOUT_MS", "MAPSERVICE_CONNECT_TIMEOUT_S", "MAPSERVICE_QUEUE_WAIT_MS",
                 "MAPSERVICE_LOCK_TIMEOUT_MS",
                 "MAPSERVICE_EXPENSIVE_CONCURRENCY", "MAPSERVICE_EXPENSIVE_WAIT_MS", "MAPSERVICE_IMPORT_WAIT_SECONDS",
                 "MAPSERVICE_ARTEFACT_TILE_MAXZOOM", "MAPSERVICE_HTTPS", "MAPSERVICE_TRUSTED_PROXIES"}


class ConfigError(ValueError):
    """A setting whose value the service cannot use; the message names the setting, the value and what is allowed."""


def load_config(overrides=None):
    """Return the settings dict: defaults, then environment variables, then ``overrides``; checked by
    ``check_settings``, so every command (and the web app) refuses the same bad setting the same way."""
    config = {name: default for name, (default, _help) in SETTINGS.items()}
    for name in SETTINGS:
        if name in os.environ:
            value = os.environ[name]
            if name in _INT_SETTINGS and not value.strip().isdigit():
                raise ConfigError(f'{name} was "{value}"; expected a whole number')
            config[name] = int(value) if name in _INT_SETTINGS else value
    config.update(overrides or {})
    check_settings(config)
    return config


OC4IDS_PREFIX = re.compile(r"[0-9a-z]{6}")


def check_oc4ids_prefix(prefix):
    """Raise ConfigError unless ``prefix`` is an OC4IDS project identifier prefix (six lower-case letters/digits);
    the setting's check and the OC4IDS export's."""
    if not isinstance(prefix, str) or not OC4IDS_PREFIX.fullmatch(prefix):
        raise ConfigError(f'OC4IDS prefix "{prefix}" is not valid: it must be six lower-case letters or digits, '
                          "such as kh7odc (the registered project identifier prefix of the publisher)")
    return prefix


def check_settings(config):
    """Raise ConfigError naming the first setting whose value the service cannot use."""
    try:
        rate = float(config["MAPSERVICE_USD_RATE"])
    except (TypeError, ValueError):
        rate = 0
    if not rate > 0:
        raise ConfigError(f'MAPSERVICE_USD_RATE was "{config["MAPSERVICE_USD_RATE"]}"; expected riel per '
                          "US dollar, a number above 0")
    try:
        check_oc4ids_prefix(config["MAPSERVICE_OC4IDS_PREFIX"])
    except ConfigError as exc:
        raise ConfigError(f"MAPSERVICE_OC4IDS_PREFIX: {exc}") from None
    if not 0 <= config["MAPSERVICE_ARTEFACT_TILE_MAXZOOM"] <= 12:
        raise ConfigError(f'MAPSERVICE_ARTEFACT_TILE_MAXZOOM was "{config["MAPSERVICE_ARTEFACT_TILE_MAXZOOM"]}"; '
                          "expected a zoom from 0 to 12")
    if config["MAPSERVICE_FIRST_YEAR"] > config["MAPSERVICE_LAST_YEAR"]:
        raise ConfigError(f'MAPSERVICE_FIRST_YEAR ({config["MAPSERVICE_FIRST_YEAR"]}) is after '
                          f'MAPSERVICE_LAST_YEAR ({config["MAPSERVICE_LAST_YEAR"]})')
