"""`mapservice users add/list/disable/token`, `versions` and `rollback` end to end on both databases."""
import io
import re

import pytest

from mapservice.cli import main
from mapservice.store import accounts
from tests.conftest import DATA_DIR


@pytest.fixture
def run(monkeypatch, capsys):
    monkeypatch.setenv("MAPSERVICE_DATA_DIR", DATA_DIR)

    def run(database, *args, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--database-url", database.config["DATABASE_URL"], *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_users_add_list_disable_token(db, run):
    code, out, _ = run(db, "users", "add", "ouchrov", "--role", "editor", "--area", "0105", "--area", "0109",
                       stdin="a long enough password\n")
    assert code == 0 and out == "added editor ouchrov for 0105, 0109\n"
    with db.sessions.begin() as session:
        assert accounts.authenticate(session, "ouchrov", "a long enough password", "test").areas == ["0105", "0109"]
    code, out, _ = run(db, "users", "add", "odc", "--role", "admin")  # nothing on stdin: a generated password
    password = re.fullmatch(r"added admin odc\npassword \(shown once\): (\S+)\n", out).group(1)
    with db.sessions.begin() as session:
        assert accounts.authenticate(session, "odc", password, "test").role == "admin"
    code, out, _ = run(db, "users", "token", "ouchrov")
    token = out.splitlines()[-1]
    assert code == 0 and token.startswith("msv_") and token not in str(db.rows("SELECT * FROM api_token"))
    with db.sessions.begin() as session:
        assert accounts.user_by_token(session, token).name == "ouchrov"
    code, out, _ = run(db, "users", "disable", "ouchrov")
    assert (code, out) == (0, "disabled ouchrov\n")
    code, out, _ = run(db, "users", "list")
    lines = [line.split("\t")[:4] for line in out.splitlines()]
    assert lines == [["odc", "admin", "-", "active"], ["ouchrov", "editor", "0105,0109", "disabled"]]
    with db.sessions.begin() as session:
        assert accounts.user_by_token(session, token) is None
    actions = [r[0] for r in db.rows("SELECT action FROM audit_event WHERE user_name = 'cli' ORDER BY id")]
    assert actions == ["user_added", "user_added", "token_issued", "user_disabled"]


@pytest.mark.parametrize("args, message", [
    (("users", "add", "x1", "--role", "editor"), "an editor needs at least one area"),
    (("users", "add", "x1", "--role", "editor", "--area", "9999"), "area 9999 is not a stored province or district"),
    (("users", "disable", "nobody"), 'there is no user "nobody"'),
    (("users", "token", "nobody"), 'there is no user "nobody"'),
    (("rollback", "999"), "there is no version 999"),
])
def test_user_errors_name_what_is_wrong(db, run, args, message):
    code, out, err = run(db, *args)
    assert code == 2 and message in err and out == ""
    assert db.scalar("SELECT count(*) FROM app_user") == 0


def test_versions_and_rollback(db, run, tmp_path):
    path = tmp_path / "projects.csv"
    path.write_text("project_id,title_en,sector,fiscal_year,commune_code\nA1,Road,rural_road,2016,010501\n",
                    encoding="utf-8")
    assert run(db, "import-projects", str(path))[0] == 0
    path.write_text("project_id,title_en,sector,fiscal_year,commune_code\nA1,Road (paved),rural_road,2016,010501\n",
                    encoding="utf-8")
    assert run(db, "import-projects", str(path))[0] == 0
    code, out, _ = run(db, "versions")
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[2:4] for r in rows] == [["cli", "import"], ["cli", "import"], ["cli", "boundaries"]]
    assert rows[0][4].endswith("projects.csv") and len(rows[0][5]) == 64 and "changed 1" in rows[0][6]
    code, out, _ = run(db, "rollback", rows[1][0])
    assert code == 0 and out.startswith(f"rolled back to version {rows[1][0]} as version ")
    assert db.scalar("SELECT title_en FROM project") == "Road"
