"""Settings: environment over defaults, and every setting documented."""
from pathlib import Path

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
