"""The public list of changes on both databases: /changes (page) and /changes.atom (Atom 1.0, parsed by
feedparser), per area, in Khmer and English."""
import html

import feedparser
import pandas as pd
import pytest

from mapservice.ingest import drafts
from mapservice.ingest.pipelines import import_records
from mapservice.store import accounts
from mapservice.web import create_app


def record(line, project_id, commune, **values):
    return {"line": line, "project_id": project_id, "title_en": f"Road {project_id}", "title_km": f"ផ្លូវ {project_id}",
            "sector": "rural_road", "fiscal_year": "2016", "budget": "1000", "commune_code": commune, **values}


@pytest.fixture
def client(db):
    import_records(db.sessions, db.config, pd.DataFrame([record(2, "A1", "010501"), record(3, "M1", "010201")]),
                   "first.csv", "template", "0" * 64)
    import_records(db.sessions, db.config, pd.DataFrame([record(2, "A1", "010501", budget="2500"),
                                                         record(3, "A2", "010502")]), "second.csv", "template",
                   "1" * 64)
    with db.sessions.begin() as session:
        admin, _ = accounts.create_user(session, "odc", "admin", [], "odc password long")
    drafts.publish_draft(db.sessions, db.config, drafts.correct_project(db.sessions, db.config, admin, "M1",
                                                                          {"title_en": "Bridge M1"}), admin)
    return create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True}).test_client()


def test_the_feed_of_a_district_parses_and_holds_its_projects_only(client):
    response = client.get("/changes.atom?district=0105&lang=en")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title.startswith("Projects added or changed: ") and feed.feed.language == "en"
    assert [e.title for e in feed.entries] == ["Added: Road A2", "Changed: Road A1", "Added: Road A1"]
    changed = feed.entries[1]
    assert "Budget" in changed.summary and changed.link.endswith("/projects/A1?lang=en")
    assert len({e.id for e in feed.entries}) == 3 and all(e.updated_parsed for e in feed.entries)
    assert any(link.rel == "self" and "district=0105" in link.href for link in feed.feed.links)


def test_the_feed_everywhere_and_per_commune_and_province(client):
    everywhere = feedparser.parse(client.get("/changes.atom?lang=en").data)
    assert everywhere.entries[0].title == "Changed: Bridge M1"
    assert len(everywhere.entries) == 5
    assert [e.title for e in feedparser.parse(client.get("/changes.atom?commune=010201&lang=en").data).entries] == \
        ["Changed: Bridge M1", "Added: Road M1"]
    assert len(feedparser.parse(client.get("/changes.atom?province=01").data).entries) == 5
    khmer = feedparser.parse(client.get("/changes.atom?district=0105&lang=km").data)
    assert khmer.feed.language == "km" and "ផ្លូវ A2" in khmer.entries[0].title


@pytest.mark.parametrize("query, message", [("district=0199", 'district was "0199"; expected a stored district'),
                                            ("district=01", 'district was "01"; expected a stored district code of 4'),
                                            ("province=01&district=0105", "one area only")])
def test_a_bad_area_is_400(client, query, message):
    for url in ("/changes.atom", "/changes"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400 and message in html.unescape(response.get_data(as_text=True)), url


def test_the_page_lists_the_changes_and_links_the_feed(client):
    page = client.get("/changes?district=0105&lang=en").get_data(as_text=True)
    assert 'type="application/atom+xml" href="/changes.atom?district=0105&amp;lang=en"' in page
    assert page.index("Added: Road A2") < page.index("Changed: Road A1") and "Bridge M1" not in page
    assert 'href="/projects/A2?lang=en"' in page
    everywhere = client.get("/changes?lang=en").get_data(as_text=True)
    assert "Bridge M1" in everywhere and 'href="/changes?lang=en"' in client.get("/about?lang=en").get_data(as_text=True)
