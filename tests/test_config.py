"""Settings: environment over defaults, and every setting documented."""
from pathlib import Path

import pytest

from mapservice.cli import main
from mapservice.config import SETTINGS, load_config

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_every_setting_is_documented():
    text = DOC.read_text(encoding="utf-8")
    assert [name for name in SETTINGS if f"| `{name}` |" not in text] == []


def test_environment_overrides_defaults_and_test_config_overrides_both(monkeypatch):
    monkeypatch.setenv("MAPSERVICE_LAST_YEAR", "2020")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.sqlite")
    config = load_config({"DATABASE_URL": "sqlite:///y.sqlite"})
    assert (config["MAPSERVICE_LAST_YEAR"], config["DATABASE_URL"], config["MAPSERVICE_FIRST_YEAR"]) == (
        2020, "sqlite:///y.sqlite", 2014)


@pytest.mark.parametrize("name, value, message", [
    ("MAPSERVICE_LAST_YEAR", "twenty", 'MAPSERVICE_LAST_YEAR was "twenty"; expected a whole number'),
    ("MAPSERVICE_USD_RATE", "abc", 'MAPSERVICE_USD_RATE was "abc"; expected riel per US dollar, a number above 0'),
    ("MAPSERVICE_USD_RATE", "-1", 'MAPSERVICE_USD_RATE was "-1"; expected riel per US dollar, a number above 0'),
    ("MAPSERVICE_OC4IDS_PREFIX", "KH-ODC", 'MAPSERVICE_OC4IDS_PREFIX: OC4IDS prefix "KH-ODC" is not valid'),
])
def test_a_bad_setting_stops_serve_with_its_name(monkeypatch, capsys, tmp_path, name, value, message):
    """`mapservice serve` checks the settings before it starts: a message naming the setting, exit status 2."""
    monkeypatch.setenv(name, value)
    status = main(["--database-url", f"sqlite:///{tmp_path / 'm.sqlite'}", "serve", "--port", "1"])
    assert status == 2
    assert capsys.readouterr().err.startswith(f"error: {message}")
