"""Work once per data version (mapservice/artefacts): after an import the files exist with their manifest, the
endpoints answer from them (the X-Artefact header, the manifest's ETag) with the same bytes as the dynamic answer,
in the coding the client accepts; a failed build or a newer import keeps the previous version and the service
answers dynamically until the new files are there. Both databases."""
import gzip
import hashlib
import json
import os
from pathlib import Path

import brotli
import pytest

from mapservice import cli
from mapservice.artefacts import build, names
from mapservice.artefacts.directory import CURRENT, MANIFEST
from mapservice.ingest.pipelines import import_sample
from mapservice.store import tables
from mapservice.web import create_app

URL = "http://localhost"  # the Flask test client's address


@pytest.fixture
def sampled(db, tmp_path, quick_brotli):
    """A database with 300 SAMPLE projects and the settings of a build into tmp_path (tiles z0-4 for speed)."""
    db.config.update(MAPSERVICE_ARTEFACT_DIR=str(tmp_path / "artefacts"), MAPSERVICE_PUBLIC_URL=URL,
                     MAPSERVICE_ARTEFACT_TILE_MAXZOOM=4)
    import_sample(db.sessions, db.config, 300, 1)
    return db


def client_of(db, **overrides):
    return create_app({**db.config, **overrides}).test_client()


def manifest_of(db):
    return json.loads((Path(db.config["MAPSERVICE_ARTEFACT_DIR"]) / CURRENT / MANIFEST).read_text(encoding="utf-8"))


def version_of(db):
    with db.sessions() as session:
        return tables.data_version(session)


PATHS = {  # URL -> artefact name
    "/api/v1/layers/project_count?level=commune": names.layer("project_count", "commune"),
    "/api/v1/layers/expenditure?level=province&year=2016": names.layer("expenditure", "province", "2016"),
    "/api/v1/layers/admin_outlines?level=district": names.layer("admin_outlines", "district"),
    "/api/v1/datasets/projects-by-province-2016.csv": names.dataset("projects-by-province-2016", "csv"),
    "/api/v1/datasets/expenditure-by-province-2019.json": names.dataset("expenditure-by-province-2019", "json"),
    "/tiles/projects.json": names.tilejson("projects"),
    "/tiles/communes/4/12/7.mvt": names.tile("communes", 4, 12, 7),
    "/tiles/projects/3/6/3.mvt": names.tile("projects", 3, 6, 3),
    "/tiles/projects/4/12/7.mvt?year=2016": names.tile("projects", 4, 12, 7, 2016),
    "/tiles/projects.json?year=2017": names.tilejson("projects", 2017),
}
# the same prebuilt year tile asked in other words: a range of one year, the OGC API - Tiles address
YEAR_EQUIVALENTS = {"/tiles/projects/4/12/7.mvt?year=2016-2016": names.tile("projects", 4, 12, 7, 2016),
                    "/tiles/projects/4/12/7.mvt?year=%202016%20": names.tile("projects", 4, 12, 7, 2016),
                    "/ogc/collections/projects/tiles/WebMercatorQuad/4/7/12?year=2016":
                        names.tile("projects", 4, 12, 7, 2016)}


def test_an_import_builds_the_files_and_the_service_answers_from_them(sampled):
    dynamic = client_of(sampled, MAPSERVICE_ARTEFACT_DIR="")
    before = client_of(sampled).get("/api/v1/layers/project_count?level=commune")
    assert "X-Artefact" not in before.headers  # nothing built yet: built per request, as before

    report = build.build_artefacts(sampled.sessions, sampled.config)
    manifest = manifest_of(sampled)
    assert (report.data_version, manifest["data_version"]) == (version_of(sampled),) * 2
    assert report.files == manifest["files"] and report.bytes == manifest["bytes"] > 0
    served = client_of(sampled)
    for path, name in PATHS.items():
        entry = manifest["artefacts"][name]
        identity = (Path(sampled.config["MAPSERVICE_ARTEFACT_DIR"]) / CURRENT / entry["file"]).read_bytes()
        assert (hashlib.sha256(identity).hexdigest(), len(identity)) == (entry["sha256"], entry["bytes"])
        expected = dynamic.get(path, headers={"Accept-Encoding": "identity"})
        plain = served.get(path, headers={"Accept-Encoding": "identity"})
        assert plain.headers["X-Artefact"] == f'{manifest["folder"]}/{name}', path
        assert plain.data == expected.data == identity, path
        assert plain.headers["ETag"] == f'"{entry["etag"]}"' == expected.headers["ETag"], path
        assert plain.headers["Content-Type"] == expected.headers["Content-Type"], path
        if entry["encodings"]:
            br = served.get(path, headers={"Accept-Encoding": "gzip, br"})
            assert (br.headers["Content-Encoding"], br.headers["ETag"]) == ("br", f'"{entry["etag"]}-br"'), path
            assert brotli.decompress(br.data) == identity, path
            assert "Accept-Encoding" in br.headers["Vary"]
            gz = served.get(path, headers={"Accept-Encoding": "gzip"})
            assert (gz.headers["Content-Encoding"], gzip.decompress(gz.data)) == ("gzip", identity), path
            again = served.get(path, headers={"Accept-Encoding": "br", "If-None-Match": br.headers["ETag"]})
            assert (again.status_code, again.data) == (304, b""), path

    _year_tiles_come_from_the_files(sampled, served, dynamic, manifest)
    _downloads_and_the_oc4ids_package_come_from_the_files(sampled, served, dynamic)


def _year_tiles_come_from_the_files(sampled, served, dynamic, manifest):
    """Every project tile of every fiscal year built (z0-4 here) has the bytes of the tile rendered for that year;
    other filters, or several years, are rendered per request."""
    years = sorted({int(name.split("/")[1].removeprefix("projects-")) for name in manifest["artefacts"]
                    if name.startswith("tiles/projects-") and name.endswith(".mvt")})
    assert years == list(range(2014, 2020))
    for year in years:
        for z, (x, y) in [(z, xy) for z in range(5) for xy in build.tiles_over((102.3, 10.4, 107.6, 14.7), z)]:
            path = f"/tiles/projects/{z}/{x}/{y}.mvt?year={year}"
            plain = served.get(path, headers={"Accept-Encoding": "identity"})
            assert plain.headers["X-Artefact"].endswith(names.tile("projects", z, x, y, year)), path
            assert plain.data == dynamic.get(path).data, path
        assert served.get(f"/tiles/projects/4/12/7.mvt?year={year}").data  # the country's tile holds points
    for path, name in YEAR_EQUIVALENTS.items():
        answer = served.get(path, headers={"Accept-Encoding": "identity"})
        assert answer.headers["X-Artefact"] == f'{manifest["folder"]}/{name}', path
        assert answer.data == dynamic.get(path).data, path
    for path in ("/tiles/projects/4/12/7.mvt?year=2016&province=01", "/tiles/projects/4/12/7.mvt?year=2015-2016",
                 "/tiles/projects/4/12/7.mvt?year=2016&sector=well", "/tiles/projects.json?year=2016&sector=well"):
        answer = served.get(path)
        assert answer.status_code == 200 and "X-Artefact" not in answer.headers, path
    tilejson = served.get("/tiles/projects.json?year=2016").json
    assert tilejson["tiles"] == [f"{URL}/tiles/projects/{{z}}/{{x}}/{{y}}.mvt?year=2016"]


def _downloads_and_the_oc4ids_package_come_from_the_files(sampled, served, dynamic):
    for path in ("/api/v1/downloads/projects.xlsx?lang=en", "/api/v1/downloads/projects.csv?lang=km",
                 "/api/v1/downloads/projects.geojson", "/api/v1/downloads/projects.gpkg",
                 "/api/v1/oc4ids/projects.json"):
        answer, fresh = served.get(path), dynamic.get(path)
        assert answer.status_code == 200 and "X-Artefact" in answer.headers, path
        assert answer.headers["Content-Disposition"] == fresh.headers["Content-Disposition"], path
        assert answer.headers["Content-Type"] == fresh.headers["Content-Type"], path
    csv_file = served.get("/api/v1/downloads/projects.csv?lang=en", headers={"Accept-Encoding": "identity"})
    assert csv_file.data == dynamic.get("/api/v1/downloads/projects.csv?lang=en").data  # no time in a CSV
    package, fresh = (json.loads(c.get("/api/v1/oc4ids/projects.json").data) for c in (served, dynamic))
    assert [p["id"] for p in package["projects"]] == [p["id"] for p in fresh["projects"]]
    assert package["uri"] == fresh["uri"] == f"{URL}/api/v1/oc4ids/projects.json"
    # filtered, sorted, another address: built per request
    for path in ("/api/v1/downloads/projects.csv?year=2016", "/api/v1/downloads/projects.csv?sort=-budget",
                 "/api/v1/layers/expenditure?level=province&year=2015-2016", "/tiles/communes/4/12/7.mvt?year=2016"):
        assert "X-Artefact" not in served.get(path).headers, path
    other_host = served.get("/tiles/projects.json", base_url="http://example.org")
    assert "X-Artefact" not in other_host.headers and "example.org" in other_host.json["tiles"][0]


LIGHT = {"tilejson": build.STEPS["tilejson"], "tiles": build.STEPS["tiles"]}  # a quick build for the rules below


def test_a_failed_build_keeps_the_previous_version(sampled, monkeypatch):
    monkeypatch.setattr(build, "STEPS", dict(LIGHT))
    sampled.config["MAPSERVICE_ARTEFACT_TILE_MAXZOOM"] = 1
    build.build_artefacts(sampled.sessions, sampled.config)
    first = manifest_of(sampled)
    import_sample(sampled.sessions, sampled.config, 200, 2)  # a new data version, not built yet
    served = client_of(sampled)
    assert "X-Artefact" not in served.get("/tiles/projects.json").headers

    def broken(*_args):
        raise RuntimeError("disk full")
    monkeypatch.setitem(build.STEPS, "tiles", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        build.build_artefacts(sampled.sessions, sampled.config)
    root = sampled.config["MAPSERVICE_ARTEFACT_DIR"]
    assert manifest_of(sampled) == first and sorted(os.listdir(root)) == sorted([CURRENT, first["folder"]])
    answer = served.get("/tiles/projects.json")
    assert answer.status_code == 200 and "X-Artefact" not in answer.headers  # dynamic, for the new version
    monkeypatch.setitem(build.STEPS, "tiles", LIGHT["tiles"])
    report = build.build_artefacts(sampled.sessions, sampled.config)
    assert report.data_version == version_of(sampled) == first["data_version"] + 1
    assert served.get("/tiles/projects.json").headers["X-Artefact"].startswith(
        f"v{report.data_version}-")
    assert sorted(os.listdir(root)) == sorted([CURRENT, first["folder"], manifest_of(sampled)["folder"]])


def test_a_build_that_sees_a_newer_import_does_not_switch(sampled, monkeypatch):
    monkeypatch.setattr(build, "STEPS", dict(LIGHT))
    original = build.STEPS["tiles"]

    def tiles_then_import(writer, session, snapshot, config):
        original(writer, session, snapshot, config)
        import_sample(sampled.sessions, sampled.config, 100, 3)
    monkeypatch.setitem(build.STEPS, "tiles", tiles_then_import)
    report = build.build_artefacts(sampled.sessions, sampled.config)
    assert report.skipped and "replaced during the build" in report.skipped
    assert os.listdir(sampled.config["MAPSERVICE_ARTEFACT_DIR"]) == []


def test_the_import_commands_build_and_report_the_files(make_db, tmp_path, capsys, monkeypatch):
    """The commands call the build and print its report: the build's light steps suffice (the others are
    test_an_import_builds_the_files_and_the_service_answers_from_them's)."""
    monkeypatch.setattr(build, "STEPS", dict(LIGHT))
    database = make_db("spatialite")
    monkeypatch.setenv("MAPSERVICE_ARTEFACT_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("MAPSERVICE_ARTEFACT_TILE_MAXZOOM", "3")
    monkeypatch.setenv("MAPSERVICE_DATA_DIR", database.config["MAPSERVICE_DATA_DIR"])
    url = database.config["DATABASE_URL"]
    assert cli.main(["--database-url", url, "sample", "--projects", "100"]) == 0
    out = capsys.readouterr().out
    assert f"artefacts: data version {version_of(database)}, " in out and " files (gzip and brotli" in out
    assert cli.main(["--database-url", url, "build-artefacts"]) == 0
    assert "artefacts: data version" in capsys.readouterr().out
    monkeypatch.setenv("MAPSERVICE_ARTEFACT_TILE_MAXZOOM", "13")
    assert cli.main(["--database-url", url, "build-artefacts"]) == 2
    assert "MAPSERVICE_ARTEFACT_TILE_MAXZOOM was \"13\"; expected a zoom from 0 to 12" in capsys.readouterr().err


def test_the_tiles_built_cover_the_country():
    assert build.tiles_over((102.3, 10.4, 107.6, 14.7), 0) == [(0, 0)]
    assert build.tiles_over((102.3, 10.4, 107.6, 14.7), 4) == [(12, 7)]
    assert len(build.tiles_over((102.3, 10.4, 107.6, 14.7), 10)) == 17 * 14
