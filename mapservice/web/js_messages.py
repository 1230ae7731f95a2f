"""The JS modules' messages, translated for a request: the msgids are read once from static/js (as pybabel
extracts them), and the page renders them into its ``#messages`` JSON block."""
from functools import lru_cache

from babel.messages.extract import extract_from_file
from flask_babel import get_translations

from mapservice.config import PROJECT_ROOT

JS_DIR = PROJECT_ROOT / "static" / "js"
# The JS modules call _("...") and ngettext("...", "...", n); pybabel extracts them with these keywords (babel.cfg).
JS_KEYWORDS = {"_": None, "ngettext": (1, 2)}
JS_OPTIONS = {"parse_template_string": True}  # as in babel.cfg: _() inside `${...}` counts too


@lru_cache(maxsize=1)
def js_message_ids():
    """The msgids the JS modules use: (singular messages, plural pairs), read once from static/js."""
    singles, plurals = set(), set()
    for path in sorted(JS_DIR.glob("*.js")):
        for _line, message, _comments, _context in extract_from_file("javascript", path, keywords=JS_KEYWORDS,
                                                                     options=JS_OPTIONS):
            (plurals.add(message) if isinstance(message, tuple) else singles.add(message))
    return sorted(singles), sorted(plurals)


def js_messages():
    """The JS modules' messages translated for this request (rendered into the page as a JSON block)."""
    singles, plurals = js_message_ids()
    catalogue = get_translations()  # raw msgstrs: flask_babel's ngettext would fill in %(num)s already
    return {"messages": {msgid: catalogue.ugettext(msgid) for msgid in singles},
            "plurals": {one: [catalogue.ungettext(one, other, n) for n in (1, 2)] for one, other in plurals}}
