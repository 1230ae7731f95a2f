"""/admin in the app (Flask's test client, both databases): no page without a session, CSRF tokens on every
form, the login throttle (the 6th wrong password within a minute is a 429), the session cookie's flags, the upload
limit before the body is read, the editors' scope, and the translated reasons of a draft's report."""
import html
import io
import re

import pytest
from werkzeug.datastructures import Headers

from mapservice.ingest import drafts
from mapservice.store import accounts
from mapservice.web import create_app, reasons
from mapservice.web.admin import safe_next

PASSWORD = "correct horse battery"
EDITOR_PASSWORD = "ou chrov editor 2024"


def make_app(db, **config):
    return create_app({"DATABASE_URL": db.config["DATABASE_URL"],
                       "MAPSERVICE_DATA_DIR": db.config["MAPSERVICE_DATA_DIR"],
                       "MAPSERVICE_SECRET_KEY": "test-secret-" + "k" * 32, **config})


def add_users(db):
    """An admin and an editor of Ou Chrov district (0105)."""
    with db.sessions() as session:
        accounts.create_user(session, "odc-admin", "admin", [], password=PASSWORD)
        accounts.create_user(session, "ouchrov", "editor", ["0105"], password=EDITOR_PASSWORD)
        session.commit()


def text_of(page):
    """The page's text, tags removed, entities decoded, spaces collapsed."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    return re.sub(r"“ ", "“", re.sub(r" ([.,;:”។])", r"\1", text))


def csrf_token(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(client, name="odc-admin", password=PASSWORD, lang="en"):
    token = csrf_token(client.get(f"/admin/login?lang={lang}").get_data(as_text=True))
    return client.post(f"/admin/login?lang={lang}", data={"csrf_token": token, "name": name, "password": password})


@pytest.fixture
def site(db):
    add_users(db)
    return make_app(db)


def admin_get_urls(app):
    """Every GET URL of the admin blueprint but the login page and the manual, with sample values for its
    parameters."""
    urls = []
    for rule in app.url_map.iter_rules():
        pages = rule.endpoint.startswith(("admin.", "admin_accounts.")) and rule.endpoint not in ("admin.login",
                                                                                                  "admin.manual")
        if pages and "GET" in rule.methods:
            urls.append(re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "id" in m.group(1) else "x", rule.rule))
    return sorted(urls)


def test_no_admin_page_without_a_session(site):
    client = site.test_client()
    urls = admin_get_urls(site)
    assert {"/admin", "/admin/versions", "/admin/audit", "/admin/users", "/admin/uploads/1"} <= set(urls)
    for url in urls:
        response = client.get(url + "?lang=en")
        assert response.status_code == 302, url
        assert response.headers["Location"] == f"/admin/login?next={url}?lang%3Den&lang=en", url
    page = client.get("/admin/login?lang=en").get_data(as_text=True)
    assert "Sign in to publish" in page and 'name="password"' in page
    assert '<a href="/admin/help?lang=en" id="manual-link">' in page


def test_the_manual_is_open_to_read_before_signing_in(site):
    """The manual says how to sign in: it holds no data and no action, so it needs no session."""
    response = site.test_client().get("/admin/help?lang=km")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert 'class="admin-nav"' not in page and 'class="sign-out"' not in page and 'src="/static/manual/km/' in page


def test_signing_in_returns_to_the_page_asked_for_and_signing_out_ends_the_session(site):
    client = site.test_client()
    token = csrf_token(client.get("/admin/login?next=%2Fadmin%2Fhelp&lang=en").get_data(as_text=True))
    response = client.post("/admin/login?next=%2Fadmin%2Fhelp&lang=en",
                           data={"csrf_token": token, "name": "ouchrov", "password": EDITOR_PASSWORD})
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/help")
    page = client.get("/admin/help?lang=en").get_data(as_text=True)
    assert "ouchrov" in page and "editor of 0105" in page
    response = client.post("/admin/logout?lang=en", data={"csrf_token": csrf_token(page)})
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/login?lang=en")
    assert client.get("/admin").status_code == 302


@pytest.mark.parametrize("target, expected", [
    ("/admin/uploads/3?lang=km", "/admin/uploads/3?lang=km"),
    ("/admin", "/admin"),
    ("https://evil.example/admin", None),
    ("//evil.example/admin", None),
    ("/about", None),
    ("/admin/login?next=/admin", None),
    ("", None),
    (None, None),
])
def test_only_admin_pages_of_this_site_are_returned_to(target, expected):
    assert safe_next(target) == expected


def test_a_form_without_its_csrf_token_is_refused_with_400(site):
    client = site.test_client()
    response = client.post("/admin/login?lang=en", data={"name": "odc-admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token is missing or wrong" in response.get_data(as_text=True)
    assert sign_in(client).status_code == 303
    for url in ("/admin/logout", "/admin/uploads", "/admin/users"):
        response = client.post(url + "?lang=en", data={"name": "x"})
        assert response.status_code == 400, url
    response = client.post("/admin/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/admin?lang=en").status_code == 200  # still signed in: nothing was done


def test_the_sixth_wrong_password_within_a_minute_is_refused_with_429(site):
    client = site.test_client()
    for _ in range(accounts.MAX_FAILURES):
        response = sign_in(client, password="wrong password!")
        assert response.status_code == 401
        assert "Wrong user name or password." in response.get_data(as_text=True)
    response = sign_in(client, password="wrong password!")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= accounts.LOCKOUT_SECONDS
    assert "Too many wrong passwords for this account or from this computer. Wait 5 minutes" in response.get_data(
        as_text=True)
    assert sign_in(client).status_code == 429  # the right password too, until the lockout ends
    with site.extensions["session_factory"]() as session:
        actions = [e.action for e in accounts.audit_events(session)]
    assert actions[:2] == ["login_throttled", "login_throttled"] and actions.count("login_failed") == 5


def test_the_throttle_message_is_in_khmer_for_a_khmer_reader(site):
    client = site.test_client()
    for _ in range(accounts.MAX_FAILURES + 1):
        response = sign_in(client, password="wrong password!", lang="km")
    assert response.status_code == 429
    assert "រង់ចាំ 5 នាទី" in response.get_data(as_text=True)


def test_the_session_cookie_is_httponly_and_samesite_lax_and_secure_over_https(db):
    add_users(db)
    for https, secure in ((0, False), (1, True)):
        client = make_app(db, MAPSERVICE_HTTPS=https).test_client()
        cookie = sign_in(client).headers["Set-Cookie"]
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert cookie.startswith("mapservice_session=")
        assert {"httponly", "path", "samesite"} <= flags and ("secure" in flags) == secure
        assert "SameSite=Lax" in cookie


def test_public_pages_set_no_cookie_and_admin_pages_are_never_cached(site):
    client = site.test_client()
    assert "Set-Cookie" not in client.get("/about?lang=en").headers
    sign_in(client)
    response = client.get("/admin?lang=en")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in client.get("/data?lang=en").headers


def test_an_editor_may_not_open_the_admins_pages(site):
    client = site.test_client()
    sign_in(client, "ouchrov", EDITOR_PASSWORD)
    for url in ("/admin/audit", "/admin/users"):
        response = client.get(url + "?lang=en")
        assert response.status_code == 403
        assert "Only an administrator may do this" in response.get_data(as_text=True)


def test_a_disabled_account_is_signed_out_at_once(site):
    client = site.test_client()
    sign_in(client, "ouchrov", EDITOR_PASSWORD)
    assert client.get("/admin?lang=en").status_code == 200
    with site.extensions["session_factory"]() as session:
        accounts.disable_user(session, "ouchrov")
        session.commit()
    assert client.get("/admin?lang=en").status_code == 302
    response = sign_in(client, "ouchrov", EDITOR_PASSWORD)
    assert response.status_code == 401 and "This account is disabled" in response.get_data(as_text=True)


class CountingStream(io.BytesIO):
    """A request body that counts what the app read of it."""

    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        CountingStream.read_bytes += len(data)
        return data


def test_an_upload_larger_than_the_limit_is_refused_before_it_is_read(db):
    add_users(db)
    app = make_app(db, MAPSERVICE_MAX_IMPORT_BYTES=10_000)
    client = app.test_client()
    sign_in(client)
    body = CountingStream(b"x" * 200_000)
    CountingStream.read_bytes = 0
    headers = Headers({"Content-Type": "multipart/form-data; boundary=b", "Content-Length": "200000"})
    response = client.post("/admin/uploads?lang=en", input_stream=body, headers=headers)
    assert response.status_code == 413
    assert CountingStream.read_bytes == 0
    assert "The file is larger than this service accepts (10,000 bytes); nothing was read." in response.get_data(
        as_text=True)


def test_every_reason_code_has_a_translated_sentence():
    assert reasons.missing_codes() == []


@pytest.mark.parametrize("item, lang, expected", [
    ({"code": "not_an_amount", "column": "budget", "params": {"column": "budget", "value": "12,5 M"}}, "en",
     'Budget (riel) is “<span class="verbatim" translate="no">12,5 M</span>”, not an amount.'),
    ({"code": "not_an_amount", "column": "budget", "params": {"column": "budget", "value": "12,5 M"}}, "km",
     'ថវិកា (រៀល) គឺ “<span class="verbatim" translate="no">12,5 M</span>” មិនមែនជាចំនួនទឹកប្រាក់ទេ។'),
    ({"code": "not_a_date", "column": "planned_start", "params": {"column": "planned_start", "value": "<b>x</b>"}},
     "en", "“<span class=\"verbatim\" translate=\"no\">&lt;b&gt;x&lt;/b&gt;</span>”, not a date."),
    ({"code": "no_such_code", "column": "lat", "reason": "lat was <odd>", "params": {}}, "en",
     '<span class="verbatim" translate="no">lat was &lt;odd&gt;</span>'),  # no sentence: the check's own words
    ({"code": "year_out_of_range", "column": "fiscal_year", "reason": "fiscal_year was 2030",
      "params": {"value": "2030"}}, "en",  # first and last missing: the check's own words too
     '<span class="verbatim" translate="no">fiscal_year was 2030</span>'),
])
def test_reasons_are_explained_with_the_files_values_escaped(site, item, lang, expected):
    with site.test_request_context(f"/admin?lang={lang}"):
        site.preprocess_request()
        text = str(reasons.explain(item, lang))
        plain = reasons.reason_text(item, lang)
    assert expected in text
    assert "<" not in plain.replace("<b>x</b>", "").replace("<odd>", "")


# --- drafts: upload, scope, report, publish, history ---------------------------------------------------------------

HEADER = "project_id,title_en,title_km,sector,fiscal_year,commune_code,budget,expenditure,lon,lat\n"
OU_CHROV = ("OC-W-01,Laterite road Changha,ផ្លូវក្រួសក្រហម,rural_road,2016,010501,41000000,39950000,,\n"
            "OC-W-02,Well Ta Phaok,អណ្តូងទឹក,well,2016,010502,8200000,8100000,,\n")
BATTAMBANG = "BB-W-01,School Battambang,អគារសិក្សា,school,2016,020101,410000000,400000000,,\n"
BAD_ROWS = "OC-W-03,Bridge,ស្ពាន,bridge,2031,010501,12 million,,,\n"


def upload(client, text, name="projects.csv", lang="en", mode="merge"):
    token = csrf_token(client.get(f"/admin?lang={lang}").get_data(as_text=True))
    return client.post(f"/admin/uploads?lang={lang}", content_type="multipart/form-data",
                       data={"csrf_token": token, "mode": mode,
                             "file": (io.BytesIO(text if isinstance(text, bytes) else text.encode()), name)})


def post_action(client, url, page_url):
    return client.post(url, data={"csrf_token": csrf_token(client.get(page_url).get_data(as_text=True))})


def test_an_editors_upload_outside_their_areas_is_refused_naming_the_projects_and_areas(site):
    client = site.test_client()
    sign_in(client, "ouchrov", EDITOR_PASSWORD)
    response = upload(client, HEADER + OU_CHROV + BATTAMBANG)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Your account may publish the projects of 0105 only. Outside them: 020101: BB-W-01." in page
    with site.extensions["session_factory"]() as session:
        assert [e.action for e in accounts.audit_events(session)][0] == "draft_refused"
        assert drafts.list_drafts(session, accounts.get_user(session, "odc-admin"), status=None) == []


@pytest.mark.parametrize("content, km, en", [
    ((HEADER + OU_CHROV).encode("utf-16"), "ឯកសារត្រូវបានរក្សាទុកជាអត្ថបទ UTF-16 មិនមែន UTF-8 ទេ។ សូមរក្សាទុកវាម្តងទៀតជា UTF-8",
     "The file is saved as UTF-16 text, not UTF-8. Save it again as UTF-8 (in Excel: “Save as” > “CSV UTF-8”;"),
    (HEADER.encode(), "ឯកសារមានជួរចំណងជើង ប៉ុន្តែគ្មានជួរដេកគម្រោងទេ។", "The file has a header row but no project rows."),
    (b"title_en,budget\nRoad,5\n", "ខ្វះជួរឈរ៖ project_id", "Columns are missing: project_id"),
])
def test_a_file_that_cannot_be_read_is_explained_in_the_readers_language(site, content, km, en):
    client = site.test_client()
    sign_in(client, "ouchrov", EDITOR_PASSWORD, lang="km")
    for lang, expected in (("km", km), ("en", en)):
        response = upload(client, content, name="ou-chrov.csv", lang=lang)
        page = text_of(response.get_data(as_text=True))
        assert response.status_code == 400 and expected in page, page[-600:]
        assert "mapservice-upload" not in page and "/tmp" not in page  # never the server's copy of the file


def test_columns_the_import_does_not_read_are_named_on_the_draft(site):
    client = site.test_client()
    sign_in(client, "ouchrov", EDITOR_PASSWORD)
    response = upload(client, HEADER.replace("\n", ",Contractor phone\n") + OU_CHROV.replace(",,\n", ",,012 345 678\n"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="ignored-columns">[^<]*none of the template\'s columns[^<]*<span class="column" '
                     r'translate="no">Contractor phone</span></p>', page)


def test_an_account_refused_is_explained_on_its_field_in_khmer(site):
    client = site.test_client()
    sign_in(client, lang="km")
    token = csrf_token(client.get("/admin/users?lang=km").get_data(as_text=True))
    response = client.post("/admin/users?lang=km", data={"csrf_token": token, "name": "malai", "role": "editor",
                                                         "areas": "0199 12345"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="areas"[^>]*>\s*<span class="field-error">12345៖ មិនមែនជាលេខកូដខេត្ត', page), page
    response = client.post("/admin/users?lang=km", data={"csrf_token": token, "name": "", "role": "editor"})
    assert "សូមបំពេញប្រអប់នេះ។" in response.get_data(as_text=True)


def test_a_draft_with_refused_rows_is_reported_per_row_and_column_in_both_languages_and_not_published(site):
    client = site.test_client()
    sign_in(client, "ouchrov", EDITOR_PASSWORD)
    response = upload(client, HEADER + OU_CHROV + BAD_ROWS)
    assert response.status_code == 303
    draft_url = response.headers["Location"]
    page = client.get(draft_url).get_data(as_text=True)
    cells = re.findall(r'<tr data-line="(\d+)" data-column="(\w+)" data-code="(\w+)">', page)
    assert cells == [("4", "fiscal_year", "year_out_of_range"), ("4", "budget", "not_an_amount")] or sorted(cells) == \
        sorted([("4", "fiscal_year", "year_out_of_range"), ("4", "budget", "not_an_amount")])
    assert "Fiscal year is “2031”; the year must be from 2014 to 2019." in text_of(page)
    assert "Budget (riel) is “12 million”, not an amount. Write the amount in riel with digits only" in text_of(page)
    assert "1 row cannot be published as it is." in text_of(page)
    khmer = text_of(client.get(draft_url.replace("lang=en", "lang=km")).get_data(as_text=True))
    assert "ឆ្នាំសារពើពន្ធ គឺ “2031”; ឆ្នាំត្រូវតែពី 2014 ដល់ 2019។" in khmer
    response = post_action(client, draft_url.split("?")[0] + "/publish?lang=en", draft_url)
    assert response.status_code == 400
    assert "This draft has 1 refused row." in response.get_data(as_text=True)
    assert site.test_client().get("/api/v1/projects/OC-W-01").status_code == 404


def test_publish_then_roll_back_through_the_forms(site):
    client = site.test_client()
    sign_in(client, "ouchrov", EDITOR_PASSWORD)
    draft_url = upload(client, HEADER + OU_CHROV).headers["Location"]
    page = client.get(draft_url).get_data(as_text=True)
    assert 'data-project="OC-W-01"' in page and "2 new, 0 changed, 0 removed" in page
    preview = client.get(draft_url.split("?")[0] + "/preview.json")
    assert preview.mimetype == "application/geo+json"
    assert sorted(f["id"] for f in preview.get_json()["features"]) == ["OC-W-01", "OC-W-02"]
    response = post_action(client, draft_url.split("?")[0] + "/publish?lang=en", draft_url)
    assert (response.status_code, response.headers["Location"]) == (303, draft_url)
    page = client.get(draft_url).get_data(as_text=True)
    assert "Published as version" in page and 'data-status="published"' in page
    public = site.test_client()
    assert public.get("/api/v1/projects/OC-W-01").get_json()["title_en"] == "Laterite road Changha"
    versions = client.get("/admin/versions?lang=en").get_data(as_text=True)
    assert re.findall(r'data-version="(\d+)" data-action="publish"', versions)
    earlier = re.findall(r'data-version="(\d+)" data-action="(?!publish)', versions)
    response = post_action(client, f"/admin/versions/{earlier[0]}/rollback?lang=en", "/admin/versions?lang=en")
    assert response.status_code == 303
    assert public.get("/api/v1/projects/OC-W-01").status_code == 404
    assert "back as they were at version" in client.get("/admin/versions?lang=en").get_data(as_text=True)


def test_an_editor_may_correct_only_the_projects_of_their_areas(site):
    admin = site.test_client()
    sign_in(admin)
    draft_url = upload(admin, HEADER + OU_CHROV + BATTAMBANG).headers["Location"]
    assert post_action(admin, draft_url.split("?")[0] + "/publish?lang=en", draft_url).status_code == 303
    editor = site.test_client()
    sign_in(editor, "ouchrov", EDITOR_PASSWORD)
    response = editor.get("/admin/projects/BB-W-01/edit?lang=en")
    assert response.status_code == 403
    assert "may change the projects of 0105 only; this touches 020101" in response.get_data(as_text=True)
    form = editor.get("/admin/projects/OC-W-01/edit?lang=en").get_data(as_text=True)
    assert 'name="budget" value="41000000"' in form
    fields = dict(re.findall(r'<input type="text" id="field-\w+" name="(\w+)" value="([^"]*)"', form))
    for name, options in re.findall(r'<select id="field-\w+" name="(\w+)">(.*?)</select>', form, re.S):
        fields[name] = (re.findall(r'<option value="(\w*)" selected>', options) or [""])[0]
    assert fields["sector"] == "rural_road"
    fields.update(budget="42000000", csrf_token=csrf_token(form))
    response = editor.post("/admin/projects/OC-W-01/edit?lang=en", data=fields)
    assert response.status_code == 303
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'data-project="OC-W-01" data-field="budget">.*?41,000,000 riel.*?42,000,000 riel', page, re.S)
