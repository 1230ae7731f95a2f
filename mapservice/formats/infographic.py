"""The budget infographic: its figures formatted for a language (short amounts in riel and ≈ US dollars, bar
lengths, changes from the previous year), and the rendered page as an A4 PDF or a PNG of an exact size for
Facebook. WeasyPrint lays out the HTML with Pango and HarfBuzz, so Khmer is shaped as in a browser; the PNG is that
PDF rasterised by PDFium. No Flask: the HTML comes in as text."""
import io
import logging
from collections import namedtuple

from mapservice.config import PROJECT_ROOT
from mapservice.formats import locale
from mapservice.store.budget_vocabulary import KINDS

Size = namedtuple("Size", "name width height css_class")
# PNG sizes in CSS pixels (1 CSS px = 1 image px): Facebook's link preview and its square post
SIZES = {
    "1200x630": Size("1200x630", 1200, 630, "size-wide"),
    "1080x1080": Size("1080x1080", 1080, 1080, "size-square"),
}
A4 = Size("a4", None, None, "size-a4")
STYLESHEETS = [PROJECT_ROOT / "static" / "css" / name for name in ("budget.css", "budget-print.css")]
logger = logging.getLogger(__name__)
POINTS_PER_CSS_PIXEL = 0.75  # PDF points are 1/72 in, CSS pixels 1/96 in


def _short_riel(value, language):
    """"3.6 billion riel" / "3.6 ប៊ីលាន រៀល" (a dash for no value)."""
    if value is None:
        return locale.MISSING
    return locale.catalogue(language).gettext("%(amount)s riel") % {
        "amount": locale.format_compact_number(value, language)}


def _signed_percent(change, language):
    if change is None:
        return None
    text = locale.format_percent(abs(change), language)
    return ("+" if change > 0 else "−" if change < 0 else "±") + text


def amount(value, language, rate):
    """An amount as the infographic shows it: its raw value, short riel and ≈ dollars."""
    return {"value": value, "riel": _short_riel(value, language),
            "usd": "≈ " + locale.format_usd(value, language, rate, compact=True) if value is not None else ""}


def _rows(kind_figures, language, rate):
    """The kind's lines, largest first, with bar lengths (0-100) relative to the largest amount."""
    lines = sorted(kind_figures["lines"], key=lambda row: -max(row["approved"] or 0, row["actual"] or 0))
    top = max([max(row["approved"] or 0, row["actual"] or 0) for row in lines] or [0])
    return [{"line": row["line"], "name": locale.localized(row, language),
             "approved": amount(row["approved"], language, rate), "actual": amount(row["actual"], language, rate),
             "approved_width": round(100 * (row["approved"] or 0) / top, 1) if top else 0,
             "actual_width": round(100 * (row["actual"] or 0) / top, 1) if top else 0,
             "change": _signed_percent(row["change"], language)} for row in lines]


def infographic_view(figures, language, rate):
    """What the infographic templates show, formatted for ``language`` at ``rate`` riel per dollar."""
    view = {"name": locale.localized(figures, language), "other_name": figures["name_en" if language == "km" else "name_km"],
            "year": figures["fiscal_year"], "previous_year": figures["previous_year"]}
    for kind in KINDS:
        totals = figures[kind]["totals"]
        view[kind] = {"rows": _rows(figures[kind], language, rate),
                      "approved": amount(totals["approved"], language, rate),
                      "actual": amount(totals["actual"], language, rate),
                      "previous_actual": amount(totals["previous_actual"], language, rate),
                      "change": _signed_percent(totals["change"], language)}
    development = figures["development"] or {}
    view["development"] = {key: amount(development.get(key), language, rate) for key in ("approved", "actual")}
    view["projects"] = {"count": locale.format_number(figures["projects"]["count"], language),
                        "spent": amount(figures["projects"]["expenditure"], language, rate)}
    share = figures["projects_share"]
    view["projects_share"] = {"value": share, "text": locale.format_percent(share, language) if share is not None
                              else locale.MISSING, "width": round(min(share, 1) * 100, 1) if share else 0}
    view["rate_note"] = locale.rate_note(language, rate)
    return view


def _refuse_fetch(url, *args, **kwargs):
    # the HTML is ours and self-contained; user data in it must not make the renderer read files or the network
    raise ValueError(f"the infographic does not load {url}")


def _page_css(size):
    import weasyprint

    rule = "size: A4; margin: 12mm" if size.width is None else f"size: {size.width}px {size.height}px; margin: 0"
    return weasyprint.CSS(string=f"@page {{ {rule} }}")


def render_pdf(html, size=A4):
    """The infographic HTML as PDF bytes (A4, or one page of ``size``), Khmer shaped by HarfBuzz."""
    import weasyprint  # imported on first use: Pango is loaded only by the processes that print

    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch)
    stylesheets = [*(weasyprint.CSS(filename=str(path)) for path in STYLESHEETS), _page_css(size)]
    return document.write_pdf(stylesheets=stylesheets)


def render_png(html, size):
    """The infographic HTML as a PNG of exactly ``size`` (a Size of SIZES): rendered to a one-page PDF of that
    size, then rasterised at 1 image pixel per CSS pixel."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(render_pdf(html, size))
    try:
        if len(pdf) > 1:  # budget-print.css lays each size out for one page; this one did not fit
            logger.warning("infographic %s: %d pages, the PNG shows the first", size.name, len(pdf))
        page = pdf[0]
        bitmap = page.render(scale=1 / POINTS_PER_CSS_PIXEL)
        image = bitmap.to_pil()
        if image.size != (size.width, size.height):  # a rounding pixel at most
            image = image.resize((size.width, size.height))
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        pdf.close()
