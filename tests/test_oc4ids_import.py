"""The official OC4IDS 0.9.4 example imports: its sector and status codes map to ours by the documented tables,
and its amounts in pounds are converted to riel at the rate of its fiscal year, the originals kept and shown."""
import json
from pathlib import Path

from mapservice.ingest.pipelines import import_projects
from mapservice.web import create_app
from tests.conftest import DATA_DIR

EXAMPLE = Path(DATA_DIR) / "oc4ids" / "0.9.4" / "examples" / "example.json"


def test_the_official_094_example_imports_with_its_pounds_in_riel(db, tmp_path):
    package = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    # the one change: the example's site is in England (outside every commune), so it is placed in Changha
    package["projects"][0]["locations"] = [{"id": "1", "gazetteer": {"scheme": "KH-NCDD", "identifiers": ["010501"]}}]
    path = tmp_path / "example.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    import_projects(db.sessions, db.config, path)
    client = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True}).test_client()
    project = client.get("/api/v1/projects/m75-junctions-4-to-5-smart-motorway").get_json()
    gbp_2015 = 6216  # MAPSERVICE_EXCHANGE_RATES' default for GBP in 2015, the year of the budget request
    assert {k: project[k] for k in ("sector", "status", "project_type", "fiscal_year", "currency", "budget",
                                    "contract_value", "expenditure", "original_currency", "exchange_rate")} == {
        "sector": "rural_road", "status": "completion", "project_type": "expansion", "fiscal_year": 2015,
        "currency": "KHR", "budget": 40000000 * gbp_2015, "contract_value": 29000000 * gbp_2015,
        "expenditure": 42100000 * gbp_2015, "original_currency": "GBP", "exchange_rate": gbp_2015}
    assert json.loads(project["original_amounts"]) == {"budget": 40000000, "contract_value": 29000000,
                                                       "expenditure": 42100000}


def test_every_amount_gives_the_currency_and_two_currencies_in_one_project_are_refused(db, tmp_path):
    from mapservice.ingest.oc4ids import project_record
    from mapservice.ingest.pipelines import ImportRefused
    from mapservice.ingest.reasons import structured

    package = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    [project] = package["projects"]
    project["locations"] = [{"id": "1", "gazetteer": {"scheme": "KH-NCDD", "identifiers": ["010501"]}}]
    assert project_record(project)["currency"] == "GBP"
    no_budget = {k: v for k, v in project.items() if k != "budget"}  # the final value alone says pounds
    assert project_record(no_budget)["currency"] == "GBP" and project_record(no_budget)["expenditure"] == "42100000"
    project["completion"]["finalValue"]["currency"] = "USD"
    assert project_record(project)["currency"] == "GBP+USD"
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    try:
        import_projects(db.sessions, db.config, path)
    except ImportRefused as refused:
        reasons = [structured(item) for item in refused.rejected]
    found = [(r["column"], r["code"], r["params"]["value"]) for r in reasons]
    assert found == [("currency", "mixed_currencies", "GBP+USD")]
    assert db.scalar("SELECT count(*) FROM project") == 0
