"""OC4IDS exports checked by libcoveoc4ids (the Open Contracting Partnership's own validator, as in CoVE), offline.

By default libcoveoc4ids downloads the package schema, the project schema and the codelists (from
standard.open-contracting.org and raw.githubusercontent.com). Here a local HTTP server on 127.0.0.1 serves them from the
local copy of the official schema ($MAPSERVICE_DATA_DIR/oc4ids/0.9.5-dev), and libcoveoc4ids's config points at it.
The package schema's $ref to the project schema is an absolute standard.open-contracting.org URL: libcove resolves
every $ref by its file name against ``schema_host`` (``CustomRefResolver`` when validating,
``custom_jsonref_jsonloader`` when dereferencing), so the same server answers it. While libcove runs, the HTTP(S)
proxies point at a closed port and sockets may connect to loopback only, so any download from elsewhere fails the
test; the server's log shows that every schema and codelist came from the local copy.

What libcove reports besides errors is asserted exactly, and is all ours by design (see ``mapservice.formats.oc4ids``):
our extension fields (``title_km``, ``environment.x_eiaStatus``, ``x_isSample``, ``x_note``) and our codes in open
codelists (the "KH-MAPSERVICE-SECTOR" classification scheme, the "x_pidRecord" document type and the "KH-NCDD"
gazetteer).
"""
import functools
import http.server
import ipaddress
import json
import socket
import threading
from pathlib import Path

import pytest
import requests

try:
    import libcoveoc4ids  # noqa: F401  -- the test extra installs it: missing, these tests fail (unless opted out)
except ImportError:
    from tests.conftest import require

    require("oc4ids-validator", "libcoveoc4ids is not installed (pip install -e .[test])", module_level=True)

from libcoveoc4ids.api import oc4ids_json_output  # noqa: E402
from libcoveoc4ids.config import LibCoveOC4IDSConfig  # noqa: E402

import pandas as pd  # noqa: E402

from mapservice.ingest.pipelines import import_records, import_sample  # noqa: E402
from tests.conftest import DATA_DIR  # noqa: E402
from tests.test_oc4ids_export import DOLLARS, export, loaded  # noqa: E402,F401  -- `loaded` is a fixture

SCHEMA_DIR = Path(DATA_DIR) / "oc4ids" / "0.9.5-dev"
PACKAGE_SCHEMA, PROJECT_SCHEMA = "/project-package-schema.json", "/project-schema.json"


class SchemaServer:
    """The local schema directory over HTTP on 127.0.0.1, with a log of every request and its status."""

    def __init__(self, directory):
        log = self.log = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_request(self, code="-", size="-"):
                log.append((self.path, int(code)))

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     functools.partial(Handler, directory=str(directory)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def schema_server():
    server = SchemaServer(SCHEMA_DIR)
    yield server
    server.close()


@pytest.fixture
def offline(monkeypatch):
    """No network but loopback: HTTP(S) proxies at a closed local port (loopback bypasses them), and a refusal of
    any socket connection to a non-loopback address."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused
    dead_proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1")
    connect = socket.socket.connect

    def loopback_only(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(f"test is offline: refused connection to {address}")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    yield
    closed.close()


@pytest.fixture
def cove(schema_server, offline, tmp_path):
    """Run libcoveoc4ids on a package against the locally served schema; also check where everything came from."""
    def run(package):
        schema_server.log.clear()
        config = LibCoveOC4IDSConfig({
            "schema_version_choices": {"0.9.5": ("0.9.5", schema_server.url)},
            "schema_host": schema_server.url,
            "schema_codelists": {"0.9": schema_server.url + "codelists/"},
        })
        result = oc4ids_json_output(output_dir=str(tmp_path), json_data=package, lib_cove_oc4ids_config=config)
        requested = {path for path, _ in schema_server.log}
        # every request was for a file of the local schema and was answered (libcove ignores failed codelist
        # downloads, so a failure would otherwise go unnoticed)
        assert all(status == 200 for _, status in schema_server.log), schema_server.log
        assert {PACKAGE_SCHEMA, PROJECT_SCHEMA} <= requested
        assert {path for path in requested if path.startswith("/codelists/")} == schema_codelists()
        assert all((SCHEMA_DIR / path.lstrip("/")).is_file() for path in requested)
        assert result["schema_url"] == schema_server.url + PACKAGE_SCHEMA.lstrip("/")
        assert result["version_used"] == "0.9.5"
        return result

    return run


@functools.cache
def schema_codelists():
    """The codelist files the project schema names (libcove downloads them all)."""
    names = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("codelist"), str):
                names.add(f"/codelists/{node['codelist']}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((SCHEMA_DIR / "project-schema.json").read_text(encoding="utf-8")))
    return frozenset(names)


# What libcove says of a package with no error, no warning and nothing deprecated (the information items differ)
NO_PROBLEMS = {"validation_errors": [], "conformance_checks": [], "additional_checks": [],
               "additional_closed_codelist_values": {}, "deprecated_fields": {}, "structure_warnings": None}


def summary(result, server_url):
    """What libcove reports, other than the package itself and field coverage."""
    open_values = result["additional_open_codelist_values"]
    assert all(value["codelist_url"] == f"{server_url}codelists/{value['codelist']}" for value in open_values.values())
    return {
        "validation_errors": result["validation_errors"],
        "conformance_checks": result["conformance_checks"],
        "additional_checks": result["additional_checks"],
        "additional_closed_codelist_values": result["additional_closed_codelist_values"],
        "additional_open_codelist_values": {path: value["values"] for path, value in open_values.items()},
        "additional_fields": [tuple(field) for field in result["data_only"]],
        "deprecated_fields": result["deprecated_fields"],
        "structure_warnings": result.get("structure_warnings"),
    }


def test_network_is_blocked(offline):
    """The guard works: libcoveoc4ids's default schema URL cannot be reached."""
    default = LibCoveOC4IDSConfig().config["schema_host"] + PACKAGE_SCHEMA.lstrip("/")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(default, timeout=5)
    with pytest.raises(ConnectionRefusedError, match="offline"):  # and without a proxy (192.0.2.1 is TEST-NET-1)
        socket.create_connection(("192.0.2.1", 80), timeout=5)


def test_export_of_the_fixtures_passes_cove(loaded, cove, schema_server):
    package = export(loaded)
    assert len(package["projects"]) == 6
    assert summary(cove(package), schema_server.url) == NO_PROBLEMS | {
        "additional_open_codelist_values": {
            "projects/additionalClassifications/scheme": ["KH-MAPSERVICE-SECTOR"],
            "projects/documents/documentType": ["x_pidRecord"],
            "projects/locations/gazetteer/scheme": ["KH-NCDD"],
        },
        "additional_fields": [("/projects", "title_km", 4), ("/projects/environment", "x_eiaStatus", 5)],
    }


def test_export_of_the_sample_passes_cove(db, cove, schema_server):
    import_sample(db.sessions, db.config, n_projects=40, seed=3)
    package = export(db)
    assert len(package["projects"]) == 40
    assert summary(cove(package), schema_server.url) == NO_PROBLEMS | {
        "additional_open_codelist_values": {
            "projects/additionalClassifications/scheme": ["KH-MAPSERVICE-SECTOR"],
            "projects/documents/documentType": ["x_pidRecord"],  # the SAMPLE PID links
            "projects/locations/gazetteer/scheme": ["KH-NCDD"],
        },
        "additional_fields": [("", "x_isSample", 1), ("", "x_note", 1), ("/projects", "title_km", 38),
                              ("/projects", "x_isSample", 40), ("/projects/environment", "x_eiaStatus", 40)],
    }


def test_cove_reports_what_is_wrong(loaded, cove):
    """The check is not vacuous: a broken export is reported by libcove (schema, conformance and party references)."""
    package = export(loaded)
    project = package["projects"][0]
    project["id"] = project["id"].removeprefix("oc4ids-kh7odc-")
    project["status"] = "x_unknown"
    del project["parties"]
    del package["uri"]
    result = cove(package)
    errors = sorted((json.loads(error)["message"], [p["path"] for p in paths])
                    for error, paths in result["validation_errors"])
    assert errors == [("'uri' is missing but required", [""])]
    # libcove leaves enum errors of codelist fields out of validation_errors and reports them here instead
    assert {path: value["values"] for path, value in result["additional_closed_codelist_values"].items()} == {
        "projects/status": ["x_unknown"]}
    assert [check["check_id"] for check in result["conformance_checks"]] == ["invalid-project-ids"]
    assert [check["check_id"] for check in result["additional_checks"]] == ["missing-org-refs"]


def test_amounts_in_dollars_with_their_riel_pass_cove(db, cove, schema_server):
    """The original currency's Value with amount_KHR and exchangeRates (OCDS exchange rate extension): additional
    fields, no error."""
    import_records(db.sessions, db.config, pd.DataFrame([DOLLARS]), "test.csv", "template", "0" * 64)
    result = summary(cove(export(db)), schema_server.url)
    assert result == NO_PROBLEMS | {
        "additional_open_codelist_values": {
            "projects/additionalClassifications/scheme": ["KH-MAPSERVICE-SECTOR"],
            "projects/locations/gazetteer/scheme": ["KH-NCDD"],
        },
        "additional_fields": result["additional_fields"],
    }
    assert sorted(result["additional_fields"]) == sorted(
        (path, field, 1) for path in ("/projects/budget/amount", "/projects/completion/finalValue",
                                      "/projects/contractingProcesses/summary/contractValue")
        for field in ("amount_KHR", "exchangeRates"))
