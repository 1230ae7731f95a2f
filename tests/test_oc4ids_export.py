"""OC4IDS export on both databases: valid against the official 0.9.5 schema, exact payloads, and the round trip."""
import copy
import csv
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from referencing.exceptions import Unresolvable

from mapservice.formats import oc4ids
from mapservice.formats.oc4ids import (
    build_package,
    export_projects,
    flatten_package,
    project_to_oc4ids,
    validate_package,
    write_flat_csv,
    write_flat_xlsx,
)
from mapservice.ingest.pipelines import import_projects, import_records, import_sample
from tests.conftest import DATA_DIR

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
PREFIX = "kh7odc"
PUBLISHED = "2020-01-15T00:00:00Z"
CHANGHA = "Changha commune, Ou Chrov district, Banteay Meanchey province"
FISCAL_2016 = {"startDate": "2016-01-01T00:00:00Z", "endDate": "2016-12-31T00:00:00Z"}


def export(db, **options):
    with db.sessions() as session:
        return export_projects(session, PREFIX, **{"published_date": PUBLISHED, **options})


@pytest.fixture
def loaded(db):
    """The readers' OC4IDS package and English template fixtures, imported into a fresh database."""
    import_projects(db.sessions, db.config, FIXTURES / "package.json")
    import_projects(db.sessions, db.config, FIXTURES / "template_en.csv")
    return db


def by_id(package):
    return {project["id"]: project for project in package["projects"]}


def test_export_is_valid_oc4ids(loaded):
    package = export(loaded)
    assert validate_package(package, loaded.config["MAPSERVICE_DATA_DIR"]) == []
    assert {key: value for key, value in package.items() if key != "projects"} == {
        "version": "0.9", "uri": package["uri"], "publishedDate": PUBLISHED,
        "publisher": {"name": "Open Development Cambodia"},
    }
    assert package["uri"].startswith("urn:uuid:")
    assert [p["id"] for p in package["projects"]] == [
        "oc4ids-kh7odc-2016-010501-003", "oc4ids-kh7odc-2017-010902-001", "oc4ids-kh7odc-2018-010502-007",
        "oc4ids-kh7odc-OC-2016-010501-001", "oc4ids-kh7odc-OC-2016-010502-002", "oc4ids-kh7odc-OC-2017-010902-001",
    ]


def test_whole_project_payload(loaded):
    project = by_id(export(loaded))["oc4ids-kh7odc-2016-010501-003"]
    council = {"id": "commune-council-010501", "name": "Changha Commune Council"}
    cs_fund = {"id": "commune-sangkat-fund", "name": "Commune/Sangkat Fund"}
    community = {"id": "local-contribution-010501", "name": "Changha community (local contribution)"}
    supplier = {"id": "supplier-765d0bbd15f7", "name": "Sok Heng Construction"}
    assert project == {
        "id": "oc4ids-kh7odc-2016-010501-003",
        "identifiers": [{"scheme": "KH-NCDD-PID", "id": "2016-0105-01-003"}],
        "title": "Laterite road, Changha village",
        "title_km": "ផ្លូវក្រួសក្រហម ភូមិចង្ហា",
        "description": f"Rural road (construction) in {CHANGHA}; fiscal year 2016.",
        "status": "completion",
        "type": "construction",
        "sector": ["transport.road"],
        "additionalClassifications": [{"scheme": "KH-MAPSERVICE-SECTOR", "id": "rural_road",
                                       "description": "Rural road"}],
        "publicAuthority": council,
        "parties": [{**council, "roles": ["buyer", "publicAuthority"]}, {**cs_fund, "roles": ["funder"]},
                    {**community, "roles": ["funder"]}, {**supplier, "roles": ["supplier"]}],
        "budget": {
            "description": "Budget of fiscal year 2016; requestDate is the first day of that fiscal year, "
                           "not the day the budget was requested.",
            "amount": {"amount": 48000000, "currency": "KHR"},
            "requestDate": "2016-01-01T00:00:00Z",
            "budgetBreakdowns": [{"id": "sources", "description": "Sources of funds", "budgetBreakdown": [
                {"id": "commune-sangkat-fund", "description": "Commune/Sangkat Fund share",
                 "amount": {"amount": 43000000, "currency": "KHR"}, "sourceParty": cs_fund, "period": FISCAL_2016},
                {"id": "local-contribution-010501", "description": "Local contribution",
                 "amount": {"amount": 2500000, "currency": "KHR"}, "sourceParty": community, "period": FISCAL_2016},
            ]}],
        },
        "period": {"startDate": "2016-03-01T00:00:00Z", "endDate": "2016-06-30T00:00:00Z"},
        "implementationPeriod": {"startDate": "2016-03-15T00:00:00Z", "endDate": "2016-07-20T00:00:00Z"},
        "completion": {"endDate": "2016-07-20T00:00:00Z", "finalValue": {"amount": 45500000, "currency": "KHR"}},
        "documents": [
            {"id": "pid-record", "documentType": "x_pidRecord", "title": "PID record 2016-0105-01-003",
             "description": "The project's record in NCDD's Project Implementation Database (PID)",
             "url": "http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=2016-0105-01-003"},
            {"id": "eia", "documentType": "environmentalImpact", "title": "Environmental impact assessment",
             "url": "https://example.org/eia/010501-003.pdf"},
        ],
        "contractingProcesses": [{"id": "012/16", "summary": {
            "externalReference": "012/16", "title": "Laterite road, Changha village",
            "tender": {"numberOfTenderers": 3}, "suppliers": [supplier],
            "contractValue": {"amount": 45500000, "currency": "KHR"},
        }}],
        "environment": {"hasImpactAssessment": False, "x_eiaStatus": "not_required"},
        "locations": [
            {"id": "commune", "description": CHANGHA,
             "gazetteer": {"scheme": "KH-NCDD", "identifiers": ["010501"]}},
            {"id": "point", "description": "Project site as given by the publisher",
             "geometry": {"type": "Point", "coordinates": [102.9512, 13.7432]}},
        ],
    }


def test_code_only_project_has_no_point_and_unfinished_spending_is_labelled(loaded):
    projects = by_id(export(loaded))
    # stored at Changha's representative point, which is ours, not the publisher's
    assert loaded.rows("SELECT location_precision FROM project WHERE project_id = 'OC-2016-010501-001'") == [("commune",)]
    assert loaded.scalar("SELECT lon FROM project WHERE project_id = 'OC-2016-010501-001'") is not None
    assert projects["oc4ids-kh7odc-OC-2016-010501-001"]["locations"] == [
        {"id": "commune", "description": CHANGHA, "gazetteer": {"scheme": "KH-NCDD", "identifiers": ["010501"]}}]
    bridge = projects["oc4ids-kh7odc-2017-010902-001"]
    assert bridge["completion"]["finalValueDetails"] == ("Expenditure reported so far; the project is not "
                                                         "recorded as completed.")
    # the stated code of a template row is exported as stated (KH010502 is stored and exported as 010502)
    assert projects["oc4ids-kh7odc-OC-2016-010502-002"]["locations"][0]["gazetteer"]["identifiers"] == ["010502"]


def test_round_trip(loaded, make_db, tmp_path):
    first = export(loaded)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
    fresh = make_db(loaded.backend)
    assert fresh.scalar("SELECT count(*) FROM project") == 0
    summary = import_projects(fresh.sessions, fresh.config, path)
    assert summary.rows_loaded == len(first["projects"]) and not summary.rejected
    second = export(fresh, published_date=None)
    assert second["publishedDate"] != PUBLISHED
    assert {**second, "publishedDate": None} == {**first, "publishedDate": None}


def test_round_trip_of_a_contract_without_number(db, make_db, tmp_path):
    row = {"line": 2, "project_id": "no-number", "title_en": "Road", "sector": "rural_road", "fiscal_year": "2016",
           "commune_code": "010501", "awarded_tenderer": "Sok Heng Construction", "contract_value": "900"}
    import_records(db.sessions, db.config, pd.DataFrame([row]), "test.csv", "template", "0" * 64)
    first = export(db)
    assert first["projects"][0]["contractingProcesses"][0]["id"] == "no-number-1"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(first), encoding="utf-8")
    fresh = make_db(db.backend)
    import_projects(fresh.sessions, fresh.config, path)
    second = export(fresh)
    assert second["projects"][0]["contractingProcesses"] == first["projects"][0]["contractingProcesses"]
    assert second == first


@pytest.mark.parametrize("prefix", ["KH7ODC", "kh7od", "kh7odc1", "kh-odc", "", None])
def test_invalid_prefix_is_refused(prefix):
    project = {"project_id": "p1", "title_en": "Road", "sector": "rural_road", "fiscal_year": 2016}
    with pytest.raises(ValueError, match=f'OC4IDS prefix "{prefix}" is not valid: it must be six lower-case'):
        project_to_oc4ids(project, {}, prefix)
    with pytest.raises(ValueError, match=f'OC4IDS prefix "{prefix}" is not valid'):
        build_package([project], {}, prefix)


def test_sample_projects_are_marked(db):
    import_sample(db.sessions, db.config, n_projects=40, seed=3)
    package = export(db)
    assert validate_package(package, db.config["MAPSERVICE_DATA_DIR"]) == []
    assert package["publisher"]["name"] == "Open Development Cambodia (SAMPLE DATA)"
    assert package["x_isSample"] is True and "SAMPLE DATA" in package["x_note"]
    assert len(package["projects"]) == 40
    assert all(project["x_isSample"] is True for project in package["projects"])
    headers, rows = flatten_package(package)
    assert all(row[headers.index("x_isSample")] is True for row in rows)


def test_package_built_as_sample_marks_every_project():
    projects = [{"project_id": "p1", "title_km": "ផ្លូវ", "sector": "well", "fiscal_year": 2015,
                 "budget": 1000, "currency": "KHR"}]
    package = build_package(projects, {}, PREFIX, published_date=PUBLISHED, is_sample=True)
    assert package["publisher"] == {"name": "Open Development Cambodia (SAMPLE DATA)"}
    assert package["projects"][0]["x_isSample"] is True
    # a project without an English title keeps its Khmer title as the OC4IDS title
    assert package["projects"][0]["title"] == package["projects"][0]["title_km"] == "ផ្លូវ"


def test_flat_csv_and_xlsx_keep_khmer(loaded, tmp_path):
    package = export(loaded)
    write_flat_csv(tmp_path / "projects.csv", package)
    raw = (tmp_path / "projects.csv").read_bytes()
    assert "ផ្លូវក្រួសក្រហម ភូមិចង្ហា".encode("utf-8") in raw
    with open(tmp_path / "projects.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(package["projects"]) == 6
    row = {r["id"]: r for r in rows}["oc4ids-kh7odc-2016-010501-003"]
    assert row["title_km"] == "ផ្លូវក្រួសក្រហម ភូមិចង្ហា"
    assert row["budget/amount/amount"] == "48000000"
    assert row["locations/0/gazetteer/identifiers/0"] == "010501"
    assert row["locations/1/geometry/coordinates/0"] == "102.9512"
    assert row["environment/hasImpactAssessment"] == "false"
    assert row["budget/budgetBreakdowns/0/budgetBreakdown/1/amount/amount"] == "2500000"

    write_flat_xlsx(tmp_path / "projects.xlsx", package)
    book = openpyxl.load_workbook(tmp_path / "projects.xlsx")
    sheet = list(book["projects"].values)
    headers, cells = sheet[0], sheet[1:]
    assert len(cells) == 6
    first = dict(zip(headers, cells[0]))
    assert first["title_km"] == "ផ្លូវក្រួសក្រហម ភូមិចង្ហា" and first["budget/amount/amount"] == 48000000
    assert dict(list(book["package"].values)[1:])["publisher/name"] == "Open Development Cambodia"


def test_formula_like_text_stays_text_in_xlsx(tmp_path):
    project = {"project_id": "p1", "title_en": "=HYPERLINK(\"http://x\")", "sector": "well", "fiscal_year": 2015}
    write_flat_xlsx(tmp_path / "p.xlsx", build_package([project], {}, PREFIX, published_date=PUBLISHED))
    cell = {c.value: c for c in openpyxl.load_workbook(tmp_path / "p.xlsx")["projects"][2]}
    assert cell['=HYPERLINK("http://x")'].data_type == "s"


def test_validate_package_catches_errors(loaded):
    data_dir = loaded.config["MAPSERVICE_DATA_DIR"]
    package = copy.deepcopy(export(loaded))
    first, second, third = package["projects"][:3]
    first["status"] = "finished"
    first["sector"] = ["roads"]
    first["budget"]["amount"]["currency"] = "RIEL"
    first["contractingProcesses"][0]["summary"]["suppliers"][0]["id"] = "nobody"
    del second["id"]
    third["id"] = first["id"]
    third["locations"][0]["gazetteer"]["identifiers"] = []
    first["period"]["startDate"] = "2016-03-01"  # a date, not a date-time
    errors = validate_package(package, data_dir)
    # the wording of a minItems error depends on the jsonschema version ("is too short", "should be non-empty")
    assert errors[2].startswith("projects/2/locations/0/gazetteer/identifiers: [] ")
    assert errors[:2] + errors[3:] == [
        "projects/0/period/startDate: '2016-03-01' is not a 'date-time'",
        "projects/1: 'id' is a required property",
        "projects/0/status: 'finished' is not a code of the projectStatus codelist",
        "projects/0/sector/0: 'roads' is not a code of the projectSector codelist",
        "projects/0/budget/amount/currency: 'RIEL' is not a code of the currency codelist",
        "projects/0/contractingProcesses/0/summary/suppliers/0/id: 'nobody' is not the id of one of the "
        "project's parties",
        "projects/2/id: 'oc4ids-kh7odc-2016-010501-003' is also the id of projects/0",
    ]
    assert validate_package({"version": "0.9"}, data_dir)[:1] == ["(package): 'uri' is a required property"]


def test_schema_is_read_from_local_files_only(tmp_path):
    schema = oc4ids.load_schema(DATA_DIR)
    assert schema.codelists["projectStatus"] >= {"completion", "cancelled"}
    assert oc4ids.load_schema(Path(DATA_DIR) / "oc4ids" / "0.9.5-dev") is schema
    # a $ref the local files do not hold fails to resolve instead of being fetched from the network
    elsewhere = schema.validator.evolve(schema={"$ref": "https://standard.open-contracting.org/other.json"})
    with pytest.raises(Unresolvable):
        elsewhere.validate({})
    with pytest.raises(FileNotFoundError, match="no project-package-schema.json"):
        oc4ids.load_schema(tmp_path)


def test_importing_a_package_with_sample_projects_keeps_every_other_project(db, tmp_path):
    """A filtered export of a SAMPLE instance imported back (or a package mixing real and sample projects) marks only
    the marked projects and deletes nothing: only `mapservice sample` replaces the sample."""
    import_sample(db.sessions, db.config, n_projects=40, seed=3)
    package = export(db)
    some = {**package, "projects": package["projects"][:5]}
    real = project_to_oc4ids({"project_id": "REAL-1", "title_en": "Well", "sector": "well", "fiscal_year": 2016,
                              "commune_code": "010501"}, {}, PREFIX)
    some["projects"] = some["projects"] + [real]
    (tmp_path / "some.json").write_text(json.dumps(some), encoding="utf-8")
    import_projects(db.sessions, db.config, tmp_path / "some.json")
    stored = dict(db.rows("SELECT project_id, is_sample FROM project"))
    assert len(stored) == 41
    assert {pid for pid, sample in stored.items() if not sample} == {"REAL-1"}


def test_the_whole_15k_sample_package_validates_offline(make_db):
    """The schema and codelists are read (and compiled) once, not per project: the full 15k package validates
    in seconds (libcove, which re-reads them per project, took 5.5 minutes). Built in memory from the sample
    generator, the validation and the join the import uses, without the write (the export path is tested above)."""
    from mapservice.formats.oc4ids import area_names, build_package
    from mapservice.ingest import gazetteer, sample
    from mapservice.ingest.records import validate_records
    from mapservice.ingest.join import join_projects_to_communes
    from mapservice.ingest.pipelines import load_code_book, project_rows
    from mapservice.store import tables

    db = make_db("spatialite")
    with db.sessions() as session:
        communes, areas = tables.load_areas(session, "commune"), area_names(session)
        book = load_code_book(session, 2014, 2019)
    raw = sample.generate_sample(communes, gazetteer.read_gazetteer(DATA_DIR, "village"), 15000, seed=1)
    valid, rejected = validate_records(raw, book)
    rows = project_rows(join_projects_to_communes(valid, communes), 0, pd.Series(True, index=valid.index), "")
    package = build_package(rows, areas, "kh1odc", is_sample=True)
    assert len(package["projects"]) == 15000 - len(rejected)
    assert validate_package(package, DATA_DIR) == []


DOLLARS = {"line": 2, "project_id": "usd-1", "title_en": "Bridge in Changha", "sector": "bridge",
           "fiscal_year": "2016", "commune_code": "010501", "currency": "USD", "budget": "25000.5",
           "contract_value": "24000", "awarded_tenderer": "Sok Heng Construction", "expenditure": "20000"}


def test_amounts_given_in_dollars_are_published_as_given_with_the_riel_and_rate(db, make_db, tmp_path):
    import_records(db.sessions, db.config, pd.DataFrame([DOLLARS]), "test.csv", "template", "0" * 64)
    first = export(db)
    [project] = first["projects"]
    rate = [{"currency": "KHR", "rate": 4059.0, "date": "2016-01-01T00:00:00Z",
             "source": "MAPSERVICE_EXCHANGE_RATES: riel per USD in fiscal year 2016"}]
    assert project["budget"]["amount"] == {"amount": 25000.5, "currency": "USD", "amount_KHR": 101477030,
                                           "exchangeRates": rate}
    assert project["contractingProcesses"][0]["summary"]["contractValue"] == {
        "amount": 24000, "currency": "USD", "amount_KHR": 97416000, "exchangeRates": rate}
    assert project["completion"]["finalValue"] == {"amount": 20000, "currency": "USD", "amount_KHR": 81180000,
                                                   "exchangeRates": rate}
    assert validate_package(first, DATA_DIR) == []
    path = tmp_path / "export.json"
    path.write_text(json.dumps(first), encoding="utf-8")
    fresh = make_db(db.backend)
    import_projects(fresh.sessions, fresh.config, path)  # converted again at the same rate, the original kept
    assert fresh.rows("SELECT budget, original_currency, exchange_rate FROM project") == [(101477030, "USD", 4059.0)]
    assert export(fresh) == first
