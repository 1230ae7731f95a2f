"""The budget infographic of a district or commune and year: the page (Khmer first), its JSON twin, and the same
infographic as a PNG for Facebook (1200x630, 1080x1080) and an A4 PDF for the public forum."""
from flask import Blueprint, abort, g, jsonify, render_template, request, url_for
from flask_babel import gettext

from mapservice.formats import infographic
from mapservice.read import areas, budgets
from mapservice.read.filters import FilterError
from mapservice.store.budget_vocabulary import BUDGET_LEVELS
from mapservice.web import i18n, maps, pages
from mapservice.web.api import years
from mapservice.web.downloads import attachment
from mapservice.web.http_cache import cached_body

blueprint = Blueprint("budget_pages", __name__)
maps.register_page_hooks(blueprint)


@blueprint.app_template_global()
def budget_years(code):
    """The years of an area's stored budget (the area page links to their infographics)."""
    return budgets.budget_years(g.session, code) if "session" in g else []


def _figures(code, year):
    """The area and its infographic figures, or 404 / 400 naming what is wrong."""
    first, last = years()
    if not (year.isdigit() and first <= int(year) <= last):
        raise FilterError("year", year, f"a year from {first} to {last}")
    area = areas.get_area(g.session, code)
    if area is None or area.level not in BUDGET_LEVELS:
        abort(404, gettext('No budgets for "%(code)s": budgets are per district (4 digits) or commune (6 digits).',
                           code=code))
    figures = budgets.infographic(g.session, area, int(year))
    if figures is None:
        abort(404, gettext("No budget of %(area)s for %(year)s is loaded.", area=i18n.localized(area), year=year))
    return area, figures


def _view(figures):
    return infographic.infographic_view(figures, i18n.current_language(), i18n.usd_rate())


@blueprint.get("/areas/<code>/budget/<year>", endpoint="infographic")
def infographic_page(code, year):
    """Where an area's money came from and where it went in a year, planned against actual."""
    area, figures = _figures(code, year)
    scope = {area.level: area.code}
    return render_template(
        "budget.html", figures=figures, view=_view(figures), ancestors=pages._ancestors(area.code),
        years=budgets.budget_years(g.session, area.code), sizes=list(infographic.SIZES),
        map_url=url_for("pages.index", lang=i18n.current_language(), year=figures["fiscal_year"], **scope),
        csv_url=url_for("budgets.list_budgets", format="csv", year=figures["fiscal_year"], level=area.level,
                        lang=i18n.current_language(), **scope))


@blueprint.get("/areas/<code>/budget/<year>.json")
def infographic_json(code, year):
    """The infographic's figures as JSON (the page's twin)."""
    return jsonify(_figures(code, year)[1])


@blueprint.get("/areas/<code>/budget/<year>.png")
def infographic_png(code, year):
    """The infographic as a PNG sized for Facebook: ?size=1200x630 (default) or 1080x1080."""
    text = (request.args.get("size") or "1200x630").strip()
    size = infographic.SIZES.get(text) or _bad_size(text)
    return _file(code, year, "png", size, lambda html: infographic.render_png(html, size))


@blueprint.get("/areas/<code>/budget/<year>.pdf")
def infographic_pdf(code, year):
    """The infographic as an A4 PDF to print for the public forum."""
    return _file(code, year, "pdf", infographic.A4, infographic.render_pdf)


def _bad_size(text):
    raise FilterError("size", text, " or ".join(infographic.SIZES))


def _file(code, year, extension, size, render):
    """Render the infographic file once per data version, language and size; an attachment named for its area."""
    area, figures = _figures(code, year)
    language = i18n.current_language()
    page_url = url_for("budget_pages.infographic", code=code, year=year, lang=language, _external=True)

    def build():
        html = render_template("budget_print.html", figures=figures, view=_view(figures), size=size, page_url=page_url)
        return render(html)

    key = (g.snapshot.version, "budget-file", code, year, language, size.name, page_url)
    body, etag = cached_body(g.snapshot.responses, key, build)
    sample = "_sample" if figures["is_sample"] else ""
    name = f"budget_{code}_{year}_{size.name}{sample}_{language}.{extension}"
    response = attachment(body, "image/png" if extension == "png" else "application/pdf", name)
    response.set_etag(etag)
    return response

