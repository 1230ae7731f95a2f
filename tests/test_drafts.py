"""Drafts on both databases: upload -> check -> publish or discard, one-project corrections, scope refusals,
the diff against the published data, stale drafts, the version history and rollback (exact project rows)."""
import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from mapservice.ingest import drafts
from mapservice.ingest.pipelines import import_projects, import_records
from mapservice.read import drafts as draft_queries
from mapservice.store import accounts
from mapservice.web import create_app

HEADER = ["project_id", "title_en", "title_km", "sector", "fiscal_year", "budget", "expenditure", "commune_code"]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows([[row.get(c, "") for c in HEADER] for row in rows])
    return path


def project(project_id, commune="010501", budget="1000", **values):
    return {"project_id": project_id, "title_en": f"Road {project_id}", "title_km": "ផ្លូវ", "sector": "rural_road",
            "fiscal_year": "2016", "budget": budget, "expenditure": "500", "commune_code": commune, **values}


def users(db):
    with db.sessions.begin() as session:
        editor, _ = accounts.create_user(session, "ouchrov", "editor", ["0105"], "ouchrov password")
        other, _ = accounts.create_user(session, "malai", "editor", ["0102"], "malai password")
        admin, _ = accounts.create_user(session, "odc", "admin", [], "odc password 1")
    return editor, other, admin


def publish_csv(db, tmp_path, rows, user, name="upload.csv", mode="merge"):
    draft_id = drafts.create_draft(db.sessions, db.config, write_csv(tmp_path / name, rows), user, name, mode=mode)
    return drafts.publish_draft(db.sessions, db.config, draft_id, user)


def project_rows(db):
    """Every stored project row, the point as text, in id order (what a rollback must restore exactly)."""
    return db.rows("SELECT p.*, ST_AsText(p.geom) AS point FROM project p ORDER BY project_id")


def statistics(db):
    return db.rows("SELECT * FROM area_statistic ORDER BY level, area_code, fiscal_year, sector")


def test_a_draft_holds_valid_rows_and_structured_reasons(db, tmp_path):
    editor, _, _ = users(db)
    path = write_csv(tmp_path / "ouchrov.csv", [project("A1"), project("A2", commune="010502"),
                                                 project("BAD", fiscal_year="2030", sector="roads", budget="-5")])
    draft_id = drafts.create_draft(db.sessions, db.config, path, editor, "ouchrov.csv")
    with db.sessions() as session:
        report = draft_queries.draft_report(session, draft_id)
    assert (report["rows_read"], report["rows_valid"], report["rows_rejected"]) == (3, 2, 1)
    assert report["owner"] == "ouchrov" and report["status"] == "draft" and report["source_file"] == "ouchrov.csv"
    assert len(report["sha256"]) == 64 and "budget" in report["columns"]
    (line,) = report["rejected"]
    assert line["line"] == 4 and line["project_id"] == "BAD"
    reasons = {r["column"]: r for r in line["reasons"]}
    assert reasons["fiscal_year"]["code"] == "year_out_of_range"
    assert reasons["fiscal_year"]["params"] == {"column": "fiscal_year", "value": "2030", "first": "2014",
                                                "last": "2019"}
    assert reasons["sector"]["code"] == "not_in_list" and reasons["sector"]["params"]["value"] == "roads"
    assert reasons["budget"]["code"] == "negative_amount"
    assert all(r["reason"] for r in line["reasons"])  # the English text, as the CLI prints it
    assert db.scalar("SELECT count(*) FROM project") == 0  # a draft publishes nothing
    with pytest.raises(drafts.DraftInvalid, match="has 1 invalid row"):
        drafts.publish_draft(db.sessions, db.config, draft_id, editor)
    version = drafts.publish_draft(db.sessions, db.config, draft_id, editor, skip_invalid=True)
    assert version.counts["added"] == 2 and db.scalar("SELECT count(*) FROM project") == 2


def test_an_editor_is_refused_projects_outside_their_areas(db, tmp_path):
    editor, _, admin = users(db)
    path = write_csv(tmp_path / "mixed.csv", [project("A1"), project("M1", commune="010201"),
                                              project("M2", commune="010202")])
    with pytest.raises(drafts.NotAllowed) as refused:
        drafts.create_draft(db.sessions, db.config, path, editor, "mixed.csv")
    assert refused.value.status == 403
    assert refused.value.detail["areas"] == ["010201", "010202"]
    assert refused.value.detail["projects"] == {"010201": ["M1"], "010202": ["M2"]}
    assert "0105 only" in str(refused.value) and "010201: M1" in str(refused.value)
    assert db.scalar("SELECT count(*) FROM draft") == 0
    assert db.scalar("SELECT action FROM audit_event ORDER BY id DESC") == "draft_refused"
    assert drafts.create_draft(db.sessions, db.config, path, admin, "mixed.csv")  # an admin's scope is everything


def test_the_diff_names_new_changed_and_removed_projects_and_totals_before_and_after(db, tmp_path):
    editor, _, _ = users(db)
    publish_csv(db, tmp_path, [project("A1"), project("A2", commune="010502", budget="3000")], editor)
    path = write_csv(tmp_path / "next.csv", [project("A1", budget="2000", title_en="Road A1 (paved)"),
                                             project("A3", commune="010503", budget="700")])
    draft_id = drafts.create_draft(db.sessions, db.config, path, editor, "next.csv", mode="replace")
    with db.sessions() as session:
        diff = draft_queries.draft_diff(session, draft_id)
        preview = draft_queries.draft_preview_geojson(session, draft_id)
    assert [p["project_id"] for p in diff["new"]] == ["A3"]
    assert [p["project_id"] for p in diff["removed"]] == ["A2"]  # replace mode: the district-year's others
    (changed,) = diff["changed"]
    assert changed["project_id"] == "A1"
    assert changed["fields"] == [{"field": "title_en", "before": "Road A1", "after": "Road A1 (paved)"},
                                 {"field": "budget", "before": 1000, "after": 2000}]
    district = next(t for t in diff["totals"] if t["code"] == "0105")
    assert district["level"] == "district" and district["name_en"]
    assert district["before"] == {"projects": 2, "budget": 4000, "contract_value": 0, "expenditure": 1000}
    assert district["after"] == {"projects": 2, "budget": 2700, "contract_value": 0, "expenditure": 1000}
    assert next(t for t in diff["totals"] if t["code"] == "01")["after"]["budget"] == 2700
    assert '"change": "new"' in preview and '"change": "changed"' in preview
    version = drafts.publish_draft(db.sessions, db.config, draft_id, editor)
    assert {k: version.counts[k] for k in ("added", "changed", "removed")} == {"added": 1, "changed": 1, "removed": 1}
    assert [r[0] for r in db.rows("SELECT project_id FROM project ORDER BY 1")] == ["A1", "A3"]
    assert db.scalar("SELECT sum(budget) FROM area_statistic WHERE level = 'district' AND area_code = '0105'") == 2700


def test_conflicts_are_marked_in_the_preview(db, tmp_path):
    _, _, admin = users(db)
    lon, lat = db.rows("SELECT label_lon, label_lat FROM admin_area WHERE code = '010501'")[0]
    rows = [project("C1", commune="010201"), project("C2")]
    path = tmp_path / "points.csv"
    write_csv(path, rows)
    frame = pd.read_csv(path, dtype=str)
    frame["lon"], frame["lat"] = [str(lon), None], [str(lat), None]
    frame.to_csv(path, index=False)
    draft_id = drafts.create_draft(db.sessions, db.config, path, admin, "points.csv")
    with db.sessions() as session:
        features = {f["id"]: f for f in json.loads(draft_queries.draft_preview_geojson(session, draft_id))["features"]}
    assert features["C1"]["properties"]["conflict"] is True and features["C1"]["properties"]["point_code"] == "010501"
    assert features["C1"]["geometry"]["coordinates"] == [lon, lat]
    assert features["C2"]["properties"]["conflict"] is False


def test_publish_is_visible_through_the_api_and_a_stale_draft_is_refused(db, tmp_path):
    editor, other, _ = users(db)
    first = drafts.create_draft(db.sessions, db.config, write_csv(tmp_path / "a.csv", [project("A1")]), editor, "a.csv")
    second = drafts.create_draft(db.sessions, db.config, write_csv(tmp_path / "b.csv", [project("A2")]), editor,
                                 "b.csv")
    with pytest.raises(drafts.NotAllowed, match="belongs to ouchrov"):
        drafts.publish_draft(db.sessions, db.config, first, other)
    version = drafts.publish_draft(db.sessions, db.config, first, editor)
    client = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True}).test_client()
    body = client.get("/api/v1/projects?district=0105").get_json()
    assert [p["project_id"] for p in body["projects"]] == ["A1"]
    before = project_rows(db)
    with pytest.raises(drafts.DraftStale) as stale:
        drafts.publish_draft(db.sessions, db.config, second, editor)
    assert stale.value.status == 409 and "upload the file again" in str(stale.value)
    assert project_rows(db) == before  # nothing of the stale draft was published
    with pytest.raises(drafts.DraftClosed, match="already published"):
        drafts.publish_draft(db.sessions, db.config, first, editor)
    drafts.discard_draft(db.sessions, second, editor)
    with db.sessions() as session:
        assert draft_queries.draft_report(session, second)["status"] == "discarded"
        (latest, *_) = draft_queries.versions(session)
    assert latest["id"] == version.id and latest["user"] == "ouchrov" and latest["action"] == "publish"
    assert latest["source_file"] == "a.csv" and latest["counts"]["added"] == 1 and latest["detail"]["draft_id"] == first


def test_a_draft_is_stale_only_when_its_projects_or_districts_changed(db, tmp_path):
    editor, other, admin = users(db)
    mine = drafts.create_draft(db.sessions, db.config, write_csv(tmp_path / "a.csv", [project("A1")]), editor, "a.csv")
    publish_csv(db, tmp_path, [project("M1", commune="010201")], other, "malai.csv")  # another district: 0102
    drafts.publish_draft(db.sessions, db.config, mine, editor)  # still what it was checked as
    again = drafts.create_draft(db.sessions, db.config, write_csv(tmp_path / "b.csv", [project("A1", budget="5")]),
                                editor, "b.csv")
    import_records(db.sessions, db.config, pd.DataFrame([{"line": 2, **project("A9", commune="010502")}]), "cli.csv",
                   "template", "0" * 64)  # a CLI import of another project of district 0105
    with pytest.raises(drafts.DraftStale) as stale:
        drafts.publish_draft(db.sessions, db.config, again, editor)
    with db.sessions() as session:
        assert stale.value.detail["version"] == draft_queries.versions(session)[0]["id"]


def test_cli_imports_are_versions_too(db, tmp_path):
    summary = import_projects(db.sessions, db.config, write_csv(tmp_path / "cli.csv", [project("A1")]))
    with db.sessions() as session:
        versions = draft_queries.versions(session)
    assert versions[0]["id"] == summary.version_id and versions[0]["user"] == "cli"
    assert versions[0]["action"] == "import" and versions[0]["source_file"].endswith("cli.csv")
    assert len(versions[0]["sha256"]) == 64 and versions[0]["counts"]["added"] == 1
    assert versions[0]["counts"]["rows_read"] == 1
    assert [v["action"] for v in versions[1:]] == ["boundaries"]  # the fixture's boundary import


def test_a_correction_is_a_one_project_draft(db, tmp_path):
    editor, other, _ = users(db)
    publish_csv(db, tmp_path, [project("A1"), project("A2", commune="010502")], editor)
    before = {r.project_id: r for r in project_rows(db)}
    draft_id = drafts.correct_project(db.sessions, db.config, editor, "A1", {"title_en": "Road A1, Changha"})
    with db.sessions() as session:
        diff = draft_queries.draft_diff(session, draft_id)
    assert diff["changed"][0]["fields"] == [{"field": "title_en", "before": "Road A1", "after": "Road A1, Changha"}]
    assert diff["new"] == [] and diff["removed"] == []
    drafts.publish_draft(db.sessions, db.config, draft_id, editor)
    after = {r.project_id: r for r in project_rows(db)}
    assert after["A2"] == before["A2"]
    changed = {k for k in after["A1"]._fields if getattr(after["A1"], k) != getattr(before["A1"], k)}
    assert changed == {"title_en", "batch_id"}
    bad = drafts.correct_project(db.sessions, db.config, editor, "A1", {"fiscal_year": "1999"})
    with db.sessions() as session:
        assert draft_queries.draft_report(session, bad)["rejected"][0]["reasons"][0]["code"] == "year_out_of_range"
    with pytest.raises(drafts.NotAllowed, match="0102 only"):
        drafts.correct_project(db.sessions, db.config, other, "A1", {"title_en": "Mine now"})
    with pytest.raises(drafts.NotAllowed, match="010201: A1"):  # moving it out of one's areas is refused too
        drafts.correct_project(db.sessions, db.config, editor, "A1", {"commune_code": "010201"})
    with pytest.raises(drafts.NotFound):
        drafts.correct_project(db.sessions, db.config, editor, "NOPE", {"title_en": "x"})
    with pytest.raises(drafts.DraftError, match="cannot correct colour"):
        drafts.correct_project(db.sessions, db.config, editor, "A1", {"colour": "red"})


def test_rollback_restores_the_earlier_rows_exactly_as_a_new_version(db, tmp_path):
    editor, _, admin = users(db)
    publish_csv(db, tmp_path, [project("A1"), project("A2", commune="010502")], editor)
    import_records(db.sessions, db.config, pd.DataFrame([{"line": 2, **project("M1", commune="010201")}]), "cli.csv",
                   "template", "0" * 64)
    with db.sessions() as session:
        target = draft_queries.versions(session)[0]["id"]
    rows, stats = project_rows(db), statistics(db)
    publish_csv(db, tmp_path, [project("A1", budget="9999"), project("A3", commune="010503")], editor, "b.csv",
                mode="replace")
    drafts.publish_draft(db.sessions, db.config,
                         drafts.correct_project(db.sessions, db.config, admin, "M1", {"title_en": "Renamed"}), admin)
    assert project_rows(db) != rows
    with pytest.raises(drafts.NotAllowed):  # the rollback would change M1, in 0102
        drafts.rollback_to(db.sessions, db.config, target, editor)
    version = drafts.rollback_to(db.sessions, db.config, target, admin)
    assert project_rows(db) == rows and statistics(db) == stats
    assert version.action == "rollback" and version.detail == {"to_version": target}
    assert {k: version.counts[k] for k in ("added", "changed", "removed")} == {"added": 1, "changed": 2, "removed": 1}
    with pytest.raises(drafts.DraftClosed, match="already as they were"):
        drafts.rollback_to(db.sessions, db.config, target, admin)
    with pytest.raises(drafts.NotFound):
        drafts.rollback_to(db.sessions, db.config, 999, admin)
    with db.sessions() as session:
        first = draft_queries.versions(session)[-1]["id"]
    drafts.rollback_to(db.sessions, db.config, first, admin)  # back to the boundaries only: no project at all
    assert db.scalar("SELECT count(*) FROM project") == 0


def test_changes_list_projects_per_area_newest_first(db, tmp_path):
    editor, other, _ = users(db)
    publish_csv(db, tmp_path, [project("A1"), project("A2", commune="010502")], editor)
    publish_csv(db, tmp_path, [project("M1", commune="010201")], other, "m.csv")
    publish_csv(db, tmp_path, [project("A1", budget="900"), project("A2", commune="010502")], editor, "again.csv")
    with db.sessions() as session:
        everywhere = draft_queries.changes(session)
        ouchrov = draft_queries.changes(session, "0105")
        commune = draft_queries.changes(session, "010201")
    assert [(c["project_id"], c["kind"]) for c in everywhere] == [("A1", "changed"), ("M1", "added"),
                                                                  ("A2", "added"), ("A1", "added")]
    assert everywhere[0]["fields"] == ["budget"]  # A2 stored again unchanged is no change
    assert [c["project_id"] for c in ouchrov] == ["A1", "A2", "A1"]
    assert [c["project_id"] for c in commune] == ["M1"]


def test_a_pid_report_upload_is_told_by_its_header(db, tmp_path):
    _, _, admin = users(db)
    path = tmp_path / "upload.csv"  # saved under another name than the user's file, as the web does
    path.write_bytes((Path(__file__).parent / "fixtures" / "readers" / "pid_report.csv").read_bytes())
    draft_id = drafts.create_draft(db.sessions, db.config, path, admin, "report 2016.csv",
                                   context={"fiscal_year": 2016, "province_code": "01"})
    with db.sessions() as session:
        report = draft_queries.draft_report(session, draft_id)
    assert report["source_format"] == "pid" and report["rows_valid"] >= 1
