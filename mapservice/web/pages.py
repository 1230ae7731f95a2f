"""HTML pages: the area index (provinces) and each area's sub-areas with their project totals."""
from flask import Blueprint, abort, current_app, render_template

from mapservice import areas

blueprint = Blueprint("pages", __name__)
CHILD_LEVEL = {"province": "district", "district": "commune"}


def _session():
    return current_app.extensions["session_factory"]()


@blueprint.get("/")
def index():
    """Provinces with their project counts, and how many areas of each level are stored."""
    with _session() as session:
        rows = areas.list_areas(session, "province")
        return render_template("areas.html", area=None, rows=rows, child_level="province",
                               counts=areas.level_counts(session), sample=areas.has_sample_data(session))


@blueprint.get("/area/<code>")
def area(code):
    """One province or district with its sub-areas and their project counts."""
    with _session() as session:
        found = areas.get_area(session, code)
        if found is None:
            abort(404, f'area "{code}" does not exist; expected a province, district or commune code')
        child_level = CHILD_LEVEL.get(found.level)
        rows = areas.list_areas(session, child_level, parent_code=code) if child_level else []
        return render_template("areas.html", area=found, rows=rows, child_level=child_level,
                               counts=areas.level_counts(session), sample=areas.has_sample_data(session))
