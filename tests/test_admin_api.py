"""The admin API on both databases: Bearer tokens (401), role and scope (403 naming the area), stale drafts (409),
upload -> report -> publish -> visible in /api/v1/projects -> rollback; the OpenAPI document's security scheme."""
import io

import pytest

from mapservice.store import accounts
from mapservice.web import create_app

CSV = "project_id,title_en,title_km,sector,fiscal_year,budget,commune_code\n"


def rows(*lines):
    return (CSV + "".join(f"{line}\n" for line in lines)).encode()


@pytest.fixture
def api(db):
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True})
    tokens = {}
    with db.sessions.begin() as session:
        for name, role, areas in (("ouchrov", "editor", ["0105"]), ("malai", "editor", ["0102"]),
                                  ("odc", "admin", [])):
            user, _ = accounts.create_user(session, name, role, areas, f"{name} password long")
            tokens[name] = accounts.issue_token(session, user)
    client = app.test_client()
    client.tokens = tokens
    return client


def auth(client, name):
    return {"Authorization": f"Bearer {client.tokens[name]}"}


def upload(client, name, body, filename="projects.csv", **form):
    return client.post("/api/v1/admin/uploads", headers=auth(client, name),
                       data={"file": (io.BytesIO(body), filename), **form}, content_type="multipart/form-data")


def test_every_admin_endpoint_needs_a_valid_token(api):
    for method, url in [("get", "/api/v1/admin/versions"), ("get", "/api/v1/admin/uploads"),
                        ("post", "/api/v1/admin/uploads"), ("get", "/api/v1/admin/uploads/1"),
                        ("post", "/api/v1/admin/uploads/1/publish"), ("post", "/api/v1/admin/uploads/1/discard"),
                        ("post", "/api/v1/admin/versions/1/rollback"), ("get", "/api/v1/admin/uploads/1/preview.geojson"),
                        ("post", "/api/v1/admin/projects/A1/correction")]:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {api.tokens['odc']}"}):
            response = getattr(api, method)(url, headers=headers)
            assert response.status_code == 401, (method, url, headers)
            assert response.get_json()["error"].startswith("a valid API token is required")
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_upload_report_publish_visible_and_rollback(api, db):
    response = upload(api, "ouchrov", rows("A1,Road A1,ផ្លូវ,rural_road,2016,1000,010501",
                                           "BAD,Road,ផ្លូវ,rural_road,2031,1000,010501"))
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    draft = body["draft"]
    assert (draft["rows_valid"], draft["rows_rejected"], draft["owner"]) == (1, 1, "ouchrov")
    assert draft["rejected"][0]["reasons"][0]["code"] == "year_out_of_range"
    assert [p["project_id"] for p in body["diff"]["new"]] == ["A1"]
    assert response.headers["Location"].endswith(f"/api/v1/admin/uploads/{draft['id']}")
    assert api.get(f"/api/v1/admin/uploads/{draft['id']}", headers=auth(api, "ouchrov")).get_json() == body
    preview = api.get(f"/api/v1/admin/uploads/{draft['id']}/preview.geojson", headers=auth(api, "ouchrov"))
    assert preview.mimetype == "application/geo+json" and preview.get_json()["features"][0]["id"] == "A1"
    publish = f"/api/v1/admin/uploads/{draft['id']}/publish"
    refused = api.post(publish, headers=auth(api, "ouchrov"))
    assert refused.status_code == 400 and "1 invalid row" in refused.get_json()["error"]
    assert api.post(publish, headers=auth(api, "malai")).status_code == 403  # another editor's draft
    published = api.post(publish + "?skip_invalid=true", headers=auth(api, "ouchrov"))
    assert published.status_code == 200
    version = published.get_json()["version"]
    assert (version["action"], version["user"], version["counts"]["added"]) == ("publish", "ouchrov", 1)
    projects = api.get("/api/v1/projects?district=0105").get_json()["projects"]
    assert [p["project_id"] for p in projects] == ["A1"]
    assert api.post(publish, headers=auth(api, "ouchrov")).status_code == 409  # already published
    versions = api.get("/api/v1/admin/versions", headers=auth(api, "ouchrov")).get_json()["versions"]
    assert versions[0]["id"] == version["id"] and versions[1]["action"] == "boundaries"
    rollback = api.post(f"/api/v1/admin/versions/{versions[1]['id']}/rollback", headers=auth(api, "odc"))
    assert rollback.status_code == 200 and rollback.get_json()["version"]["counts"]["removed"] == 1
    assert api.get("/api/v1/projects").get_json()["projects"] == []
    again = api.post(f"/api/v1/admin/versions/{versions[1]['id']}/rollback", headers=auth(api, "odc"))
    assert again.status_code == 409


def test_out_of_scope_upload_is_403_naming_the_areas(api, db):
    response = upload(api, "ouchrov", rows("A1,Road,ផ្លូវ,rural_road,2016,1000,010501",
                                           "M1,Road,ផ្លូវ,rural_road,2016,1000,010201"))
    assert response.status_code == 403
    assert "010201: M1" in response.get_json()["error"] and "0105 only" in response.get_json()["error"]
    assert db.scalar("SELECT count(*) FROM draft") == 0


def test_a_stale_draft_is_409_and_discard(api, db):
    first = upload(api, "ouchrov", rows("A1,Road,ផ្លូវ,rural_road,2016,1000,010501")).get_json()["draft"]["id"]
    second = upload(api, "odc", rows("A2,Road,ផ្លូវ,rural_road,2016,1000,010502")).get_json()["draft"]["id"]
    assert api.post(f"/api/v1/admin/uploads/{second}/publish", headers=auth(api, "odc")).status_code == 200
    stale = api.post(f"/api/v1/admin/uploads/{first}/publish", headers=auth(api, "ouchrov"))
    assert stale.status_code == 409 and "districts since draft" in stale.get_json()["error"]
    assert db.scalar("SELECT count(*) FROM project") == 1
    discarded = api.post(f"/api/v1/admin/uploads/{first}/discard", headers=auth(api, "ouchrov"))
    assert discarded.status_code == 200 and discarded.get_json()["draft"]["status"] == "discarded"
    listed = api.get("/api/v1/admin/uploads?status=discarded", headers=auth(api, "ouchrov")).get_json()["drafts"]
    assert [d["id"] for d in listed] == [first]
    assert api.get("/api/v1/admin/uploads", headers=auth(api, "malai")).get_json()["drafts"] == []
    assert api.get("/api/v1/admin/uploads/999", headers=auth(api, "odc")).status_code == 404


def test_correction_through_the_api(api, db):
    upload_id = upload(api, "ouchrov", rows("A1,Road,ផ្លូវ,rural_road,2016,1000,010501")).get_json()["draft"]["id"]
    api.post(f"/api/v1/admin/uploads/{upload_id}/publish", headers=auth(api, "ouchrov"))
    url = "/api/v1/admin/projects/A1/correction"
    response = api.post(url, headers=auth(api, "ouchrov"), json={"fields": {"budget": "1200"}})
    assert response.status_code == 201
    assert response.get_json()["diff"]["changed"][0]["fields"] == [{"field": "budget", "before": 1000, "after": 1200}]
    assert api.post(url, headers=auth(api, "malai"), json={"fields": {"budget": "1"}}).status_code == 403
    assert api.post(url, headers=auth(api, "ouchrov"), json={"budget": "1"}).status_code == 400
    assert api.post("/api/v1/admin/projects/NOPE/correction", headers=auth(api, "ouchrov"),
                    json={"fields": {"budget": "1"}}).status_code == 404


def test_bad_uploads_are_400_with_the_reason(api):
    assert "file is required" in api.post("/api/v1/admin/uploads", headers=auth(api, "odc")).get_json()["error"]
    response = upload(api, "odc", b"not,a,template\n1,2,3\n")
    assert response.status_code == 400 and "project_id" in response.get_json()["error"]
    response = upload(api, "odc", b"{}", filename="x.txt")
    assert response.status_code == 400 and "cannot tell the format" in response.get_json()["error"]
    assert upload(api, "odc", rows("A1,Road,ផ្លូវ,rural_road,2016,1000,010501"), mode="all").status_code == 400


def test_an_upload_over_the_limit_is_refused_before_it_is_read(db):
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True, "MAPSERVICE_MAX_IMPORT_BYTES": 1000})
    with db.sessions.begin() as session:
        user, _ = accounts.create_user(session, "odc", "admin", [], "odc password long")
        token = accounts.issue_token(session, user)
    response = app.test_client().post("/api/v1/admin/uploads", headers={"Authorization": f"Bearer {token}"},
                                      data={"file": (io.BytesIO(b"x" * 5000), "big.csv")},
                                      content_type="multipart/form-data")
    assert response.status_code == 413 and "larger than 1,000 bytes" in response.get_json()["error"]
    assert db.scalar("SELECT count(*) FROM draft") == 0


def test_the_openapi_document_declares_the_bearer_scheme(api):
    document = api.get("/api/v1/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["bearer"]
        ["description"]}
    operations = {(path, method): op for path, item in document["paths"].items() for method, op in item.items()}
    for path, method in [("/api/v1/admin/uploads", "post"), ("/api/v1/admin/uploads/{draft_id}", "get"),
                         ("/api/v1/admin/uploads/{draft_id}/publish", "post"),
                         ("/api/v1/admin/uploads/{draft_id}/discard", "post"), ("/api/v1/admin/versions", "get"),
                         ("/api/v1/admin/versions/{version_id}/rollback", "post")]:
        operation = operations[(path, method)]
        assert operation["security"] == [{"bearer": []}]
        assert {"401", "403"} <= set(operation["responses"]), path
    assert "409" in operations[("/api/v1/admin/uploads/{draft_id}/publish", "post")]["responses"]
    assert "multipart/form-data" in operations[("/api/v1/admin/uploads", "post")]["requestBody"]["content"]
    assert "security" not in operations[("/api/v1/projects", "get")]


def test_a_publish_builds_the_files_of_the_new_version(db, tmp_path, monkeypatch):
    """After a publish the files of the new data version are built (in the background) and answered from: the
    downloads, which the test asks (every file of a build: tests/test_artefacts.py)."""
    from mapservice.artefacts import build
    from tests.test_artefacts import manifest_of, version_of

    monkeypatch.setattr(build, "STEPS", {"downloads": build.STEPS["downloads"]})

    db.config.update(MAPSERVICE_ARTEFACT_DIR=str(tmp_path / "artefacts"), MAPSERVICE_ARTEFACT_TILE_MAXZOOM=2,
                     MAPSERVICE_PUBLIC_URL="http://localhost")
    app = create_app({**db.config, "TESTING": True})
    with db.sessions.begin() as session:
        user, _ = accounts.create_user(session, "odc", "admin", [], "odc password long")
        token = accounts.issue_token(session, user)
    client = app.test_client()
    client.tokens = {"odc": token}
    draft = upload(client, "odc", rows("A1,Road A1,ផ្លូវ,rural_road,2016,1000,010501")).get_json()["draft"]
    assert client.post(f"/api/v1/admin/uploads/{draft['id']}/publish", headers=auth(client, "odc")).status_code == 200
    app.extensions["artefact_build"].join(timeout=600)
    assert manifest_of(db)["data_version"] == version_of(db)
    answer = client.get("/api/v1/downloads/projects.csv")
    assert answer.headers.get("X-Artefact") and b"A1" in answer.data
