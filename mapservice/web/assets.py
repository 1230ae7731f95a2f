"""The pages' ES modules: the modules an entry script imports, directly or not, read once from static/js, so that a
page can ask for all of them at once (<link rel="modulepreload">) instead of one import level per round trip."""
import re
from functools import lru_cache

from flask import Blueprint

from mapservice.config import PROJECT_ROOT

blueprint = Blueprint("assets", __name__)
STATIC = PROJECT_ROOT / "static"
IMPORT = re.compile(r'\bfrom\s+"\./([\w-]+\.js)"')


@blueprint.app_template_global()
@lru_cache(maxsize=None)
def module_preloads(entry):
    """Static paths of every module ``entry`` (e.g. "js/map-page.js") imports, in a stable order, itself excluded."""
    folder = entry.rsplit("/", 1)[0]
    found, todo = [], [entry]
    while todo:
        source = (STATIC / todo.pop()).read_text(encoding="utf-8")
        for name in IMPORT.findall(source):
            path = f"{folder}/{name}"
            if path != entry and path not in found:
                found.append(path)
                todo.append(path)
    return tuple(sorted(found))
