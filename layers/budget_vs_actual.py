"""Budget against actual expenditure per area: the ratio (spent / budget) and the difference, so that
over- and under-spending stand out. Classes are fixed around 1.0 so that colours mean the same on every map."""
from layers.base import Layer
from layers.choropleth import build_choropleth

# spent/budget: far under, under, on budget (within 5%), over, far over
BREAKS = [0.8, 0.95, 1.05, 1.2, float("inf")]
DIVERGING = ["#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b"]


def spent_ratio(totals):
    return round(totals["expenditure"] / totals["budget"], 4) if totals["budget"] else None


def difference(totals):
    """Riel spent beyond the budget (negative: left unspent)."""
    return {"difference": totals["expenditure"] - totals["budget"]}


def build(layer, session, areas, filters, level, options):
    text = build_choropleth(layer, session, areas, filters, level, spent_ratio, colors=DIVERGING,
                            fixed_breaks=BREAKS, extra=difference)
    return text.replace("Infinity", "null")  # JSON has no infinity: the last class is open-ended


LAYER = Layer(
    name="budget_vs_actual",
    title={"km": "ថវិកា ធៀបនឹងការចំណាយជាក់ស្តែង", "en": "Budget vs actual expenditure"},
    description={"km": "សមាមាត្រនៃការចំណាយជាក់ស្តែងធៀបនឹងថវិកា៖ តិចជាង ឬលើសថវិកា",
                 "en": "Actual expenditure as a share of the budget: under- or over-spending per area"},
    legend_title={"km": "ចំណាយ ÷ ថវិកា", "en": "Spent ÷ budget"},
    kind="choropleth",
    build=build,
    popup_fields=("name_km", "name_en", "budget", "expenditure", "value", "difference"),
    classification="fixed",
)
