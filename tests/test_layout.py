"""The folders are the architecture (docs/architecture.md): every import goes down the data flow
ingest -> store <- read <- formats/layers <- web, and nothing below ``web`` loads Flask."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVERY_WING = {"config", "store", "ingest", "read", "layers", "formats", "artefacts", "web"}
# what each wing may import besides itself
ALLOWED = {
    "config": set(),
    "store": {"config"},
    "ingest": {"store", "config"},
    "read": {"store", "config"},
    "layers": {"read", "store", "config"},
    "formats": {"layers", "read", "store", "config"},
    "artefacts": {"formats", "layers", "read", "store", "config"},  # the files built once per data version
    "web": EVERY_WING - {"web"},
    "entry": EVERY_WING,  # cli.py and server.py: the commands that run the rest
}
TOP_LEVEL = {"mapservice.config": "config", "mapservice.cli": "entry", "mapservice.server": "entry",
             "mapservice": "package"}
FLASK = {"flask", "flask_babel", "flask_wtf", "werkzeug"}
BELOW_WEB = ["layers", "mapservice.store", "mapservice.ingest", "mapservice.read", "mapservice.formats",
             "mapservice.artefacts"]


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def wing_of(module):
    """The wing a module of ours belongs to (None for a third-party module)."""
    parts = module.split(".")
    for top, wing in TOP_LEVEL.items():
        if module == top or (top != "mapservice" and ".".join(parts[:2]) == top):
            return wing
    if parts[0] == "layers":
        return "layers"
    if parts[0] == "mapservice" and len(parts) > 1:
        return parts[1]
    return None


def imported_modules(source):
    """Every module an import statement names, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            ours = node.module.split(".")[0] in ("mapservice", "layers")
            found.update(f"{node.module}.{alias.name}" for alias in node.names) if ours else found.add(node.module)
    return found


def violations(module, source):
    """The imports of ``module`` that go against the flow, or load Flask below the web."""
    wing = wing_of(module)
    wrong = []
    for name in sorted(imported_modules(source)):
        target = wing_of(name)
        if name.split(".")[0] in FLASK and wing != "web":
            wrong.append(f"{module} imports {name}: Flask belongs in mapservice/web only")
        elif target == "package" and wing != "package":
            continue  # ``from mapservice import web``: judged by the names it takes (added above)
        elif target is not None and target != wing and target not in ALLOWED.get(wing, set()):
            wrong.append(f"{module} ({wing}) imports {name} ({target}), against the flow")
    return wrong


SOURCES = sorted([*(ROOT / "mapservice").rglob("*.py"), *(ROOT / "layers").rglob("*.py")])


def test_every_module_sits_in_a_wing():
    loose = [module_name(p) for p in SOURCES if wing_of(module_name(p)) not in ALLOWED and module_name(p) != "mapservice"]
    assert loose == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_down_the_flow(path):
    assert violations(module_name(path), path.read_text()) == []


@pytest.mark.parametrize("module, source, expected", [
    ("mapservice.store.tables", "from mapservice.read import filters",
     ["mapservice.store.tables (store) imports mapservice.read.filters (read), against the flow"]),
    ("mapservice.read.areas", "def f():\n    from mapservice.formats.downloads import FORMATS",
     ["mapservice.read.areas (read) imports mapservice.formats.downloads.FORMATS (formats), against the flow"]),
    ("mapservice.ingest.records", "from mapservice import web",
     ["mapservice.ingest.records (ingest) imports mapservice.web (web), against the flow"]),
    ("layers.base", "from mapservice.formats import ogc",
     ["layers.base (layers) imports mapservice.formats.ogc (formats), against the flow"]),
    ("mapservice.formats.ogc", "from flask import request",
     ["mapservice.formats.ogc imports flask: Flask belongs in mapservice/web only"]),
    ("mapservice.cli", "import werkzeug.exceptions",
     ["mapservice.cli imports werkzeug.exceptions: Flask belongs in mapservice/web only"]),
    ("mapservice.web.api", "from flask import g\nfrom mapservice.formats import downloads\nimport layers", []),
    ("mapservice.formats.tiles", "from layers.base import feature_collection\nfrom mapservice.read.totals import x", []),
])
def test_the_check_catches_an_import_against_the_flow(module, source, expected):
    assert violations(module, source) == expected


def test_no_flask_below_the_web():
    """In a fresh interpreter, ``import layers`` and every module of the wings below the web leave Flask unloaded."""
    script = (
        "import importlib, pkgutil, sys\n"
        "import layers\n"
        "assert not {'flask', 'flask_babel', 'werkzeug'} & set(sys.modules), 'import layers loaded Flask'\n"
        f"for package in {BELOW_WEB!r}:\n"
        "    root = importlib.import_module(package)\n"
        "    for info in pkgutil.walk_packages(root.__path__, package + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'flask_babel', 'werkzeug'})\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
