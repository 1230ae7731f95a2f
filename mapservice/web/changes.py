"""What changed, for citizens: ``/changes`` (the latest projects added, changed or removed, of one area or
everywhere) and its Atom feed ``/changes.atom?district=0105`` (also ``province=``, ``commune=``), so that a commune
council or a journalist can subscribe. The list comes from the version history (read/drafts.py: changes)."""
from datetime import date

from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_babel import gettext

from mapservice.formats import atom, downloads
from mapservice.read import drafts as draft_queries
from mapservice.read.filters import FilterError
from mapservice.store.models import CODE_LENGTH
from mapservice.web import i18n, maps

blueprint = Blueprint("changes", __name__)
maps.register_page_hooks(blueprint)
LISTED = 100  # changes on the page and in the feed


def area_from_request():
    """The one area asked for (``province``, ``district`` or ``commune``: a stored code), or None for everywhere."""
    given = [(level, request.args[level].strip()) for level in CODE_LENGTH if level in request.args]
    if len(given) > 1:
        raise FilterError(given[1][0], given[1][1], "one area only: province, district or commune")
    if not given:
        return None
    level, code = given[0]
    if len(code) != CODE_LENGTH[level] or code not in g.snapshot.area_codes:
        raise FilterError(level, code, f"a stored {level} code of {CODE_LENGTH[level]} digits")
    return code


def field_label(field, language):
    return downloads.header(field, language) if field in downloads.COLUMNS else field


def describe(change, language):
    """The change in words: "Added: <title>", and where and what (for the page's table and the feed)."""
    title = i18n.localized(change, "title") or change["project_id"]
    heading = {"added": gettext("Added: %(title)s", title=title), "changed": gettext("Changed: %(title)s", title=title),
               "removed": gettext("Removed: %(title)s", title=title)}[change["kind"]]
    place = ", ".join(filter(None, (i18n.localized(change, f"{level}_name") for level in ("commune", "district",
                                                                                           "province"))))
    fields = ", ".join(field_label(f, language) for f in change["fields"])
    detail = gettext("Changed: %(fields)s", fields=fields) if change["kind"] == "changed" and fields else ""
    return {**change, "heading": heading, "place": place, "detail": detail, "date": date.fromisoformat(change["at"][:10]),
            "link": url_for("pages.project", project_id=change["project_id"], lang=language, _external=True)
            if change["kind"] != "removed" else url_for("changes.page", lang=language, _external=True)
            + f"#change-{change['id']}"}


def _context():
    area = area_from_request()
    language = i18n.current_language()
    listed = [describe(c, language) for c in draft_queries.changes(g.session, area, LISTED)]
    record = draft_queries.area_name(g.session, area) if area else None
    area_args = {record["level"]: area} if record else {}
    return area, record, area_args, language, listed


@blueprint.get("/changes")
def page():
    """The latest changes of the published projects, newest first, with the area's Atom feed."""
    area, name, area_args, language, listed = _context()
    return render_template("changes.html", changes=listed, area=area, area_record=name, area_args=area_args,
                           districts=draft_queries.districts(g.session),
                           feed_url=url_for("changes.feed", **area_args, lang=language))


@blueprint.get("/changes.atom")
def feed():
    """The same list as an Atom 1.0 feed (in the request's language)."""
    _, name, area_args, language, listed = _context()
    where = i18n.localized(name) if name else gettext("Cambodia")
    entries = [{"id": url_for("changes.page", _external=True) + f"#change-{c['id']}", "title": c["heading"],
                "link": c["link"], "summary": ". ".join(filter(None, (c["place"], c["detail"]))), "at": c["at"]}
               for c in listed]
    body = atom.build_feed(url_for("changes.feed", **area_args, _external=True),
                           gettext("Projects added or changed: %(area)s", area=where),
                           gettext("Sub-national infrastructure projects, Cambodia 2014–2019"),
                           url_for("changes.feed", **area_args, lang=language, _external=True),
                           url_for("changes.page", **area_args, lang=language, _external=True), language,
                           current_app.config["MAPSERVICE_PUBLISHER_NAME"], entries)
    return current_app.response_class(body, mimetype="application/atom+xml")
