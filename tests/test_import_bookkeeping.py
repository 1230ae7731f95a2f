"""The bulk bookkeeping of an import, on both databases: the version history of rows new to the table is built by
the database and equals what the Python path records (rows after as ``stored_rows`` reads them, the fields that are
set); a re-import mixes both paths; on SpatiaLite the project.geom triggers dropped around the bulk write come back
(also after a refused import) and the R*Tree holds one entry per point."""
import pytest
import sqlalchemy as sa

from mapservice.ingest import drafts
from mapservice.ingest.pipelines import ImportRefused, import_projects
from mapservice.read import drafts as read_drafts
from mapservice.store import accounts, history
from mapservice.store.models import ProjectChange
from mapservice.store.tables import ROW_TRIGGERS
from tests.test_import_streaming import ROWS, row, write_csv


def changes(db, version_id):
    """{project id: (kind, fields, before, the row after as rows_after resolves it)} of a version, the rows stored."""
    with db.sessions() as session:
        found = session.scalars(sa.select(ProjectChange).where(ProjectChange.version_id == version_id)
                                .order_by(ProjectChange.project_id)).all()
        after = history.rows_after(session, found)
        stored = history.stored_rows(session)
    return {c.project_id: (c.kind, c.fields, c.before, after[c.id]) for c in found}, stored


def test_the_history_of_a_first_import_and_a_reimport_is_the_stored_rows(db, tmp_path):
    first = import_projects(db.sessions, db.config, write_csv(tmp_path / "a.csv", ROWS), chunk_rows=2)
    raw = db.rows("SELECT kind, fields, before, after FROM project_change")
    assert len(raw) == len(ROWS) and all(row[0] == "added" and row[2] is None and row[3] is None for row in raw)
    recorded, stored = changes(db, first.version_id)  # by reference: resolved, the rows as stored
    assert set(recorded) == set(stored) and len(stored) == len(ROWS)
    for project_id, (kind, _fields, before, after) in recorded.items():
        assert (kind, before, after) == ("added", None, stored[project_id])
    assert stored["AGREE"]["lon"] == 102.9 and isinstance(stored["AGREE"]["is_sample"], bool)

    again = [row("AGREE", commune_code="010501", lon="102.9", lat="13.65", budget="5000"), ROWS[1], row("NEW-ONE")]
    second = import_projects(db.sessions, db.config, write_csv(tmp_path / "b.csv", again), chunk_rows=2)
    recorded, after = changes(db, second.version_id)
    assert {pid: item[0] for pid, item in recorded.items()} == {"AGREE": "changed", "CODE-ONLY": "restored",
                                                                "NEW-ONE": "added"}
    assert recorded["AGREE"][1] == ["budget"] and recorded["AGREE"][2] == stored["AGREE"]
    assert all(item[3] == after[pid] for pid, item in recorded.items())
    # the first version's rows by reference are still the rows it stored: from the next change's row before
    # (AGREE, changed), from a restored row's after with the first batch (CODE-ONLY), else the stored row
    assert changes(db, first.version_id)[0] == {pid: ("added", [], None, row) for pid, row in stored.items()}
    assert after["CODE-ONLY"]["batch_id"] != stored["CODE-ONLY"]["batch_id"]
    with db.sessions() as session:
        assert history.state_at(session, first.version_id) == {"AGREE": stored["AGREE"],
                                                               "CODE-ONLY": stored["CODE-ONLY"], "NEW-ONE": None}


def test_a_project_added_removed_and_added_again_is_listed_as_it_was_each_time(db, tmp_path):
    """Two rows by reference for one project (added, removed by a rollback, added again by an import into a table
    that holds projects): each is resolved to the row of its own version, in the change list and in a rollback."""
    first = import_projects(db.sessions, db.config, write_csv(tmp_path / "a.csv", [row("KEEP")]))
    once = import_projects(db.sessions, db.config, write_csv(tmp_path / "b.csv", [row("BACK", title_en="Old road")]))
    with db.sessions.begin() as session:
        admin, _ = accounts.create_user(session, "odc", "admin", [], "odc password long")
        old_row = history.stored_rows(session, ["BACK"])["BACK"]
    drafts.rollback_to(db.sessions, db.config, first.version_id, admin)  # BACK removed
    again = import_projects(db.sessions, db.config, write_csv(tmp_path / "c.csv", [row("BACK", title_en="New road")]))
    with db.sessions() as session:
        listed = [(c["version"], c["kind"], c["title_en"]) for c in read_drafts.changes(session)
                  if c["project_id"] == "BACK"]
        assert history.state_at(session, once.version_id) == {"BACK": old_row}
    assert listed == [(again.version_id, "added", "New road"), (once.version_id + 1, "removed", "Old road"),
                      (once.version_id, "added", "Old road")]


def spatial_state(db):
    points = db.rows("SELECT count(*) FROM project WHERE geom IS NOT NULL")[0][0]
    if db.backend != "spatialite":
        return None, points
    triggers = db.rows("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'project'")
    indexed = db.rows("SELECT count(*) FROM project p JOIN idx_project_geom i ON i.pkid = p.rowid "
                      "WHERE i.xmin <= ST_X(p.geom) AND i.xmax >= ST_X(p.geom) "
                      "AND i.ymin <= ST_Y(p.geom) AND i.ymax >= ST_Y(p.geom)")[0][0]
    entries = db.rows("SELECT count(*) FROM idx_project_geom")[0][0]
    assert indexed == entries == points
    return {name for (name,) in triggers}, points


def test_the_spatial_index_and_its_triggers_after_a_bulk_write(db, tmp_path):
    import_projects(db.sessions, db.config, write_csv(tmp_path / "a.csv", ROWS), chunk_rows=3)
    triggers, points = spatial_state(db)
    assert points == len(ROWS)  # each project has a point: its own, or its commune's
    moved = [row("AGREE", commune_code="010501", lon="103.0", lat="13.7"), row("POINT-ONLY", commune_code="010201")]
    import_projects(db.sessions, db.config, write_csv(tmp_path / "b.csv", moved))
    moved_state = spatial_state(db)  # a point moved, one placed by its commune: the index follows
    assert moved_state[0] == triggers
    with pytest.raises(ImportRefused):
        import_projects(db.sessions, db.config, write_csv(tmp_path / "c.csv", [row("X", budget="lots")]))
    assert spatial_state(db) == moved_state
    if db.backend == "spatialite":
        assert {f"{prefix}_project_geom" for prefix in ROW_TRIGGERS} <= triggers
