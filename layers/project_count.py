"""Number of projects per province, district or commune."""
from layers.base import Layer
from layers.choropleth import build_choropleth


def build(layer, session, areas, filters, level, options):
    return build_choropleth(layer, session, areas, filters, level, lambda totals: totals["project_count"])


LAYER = Layer(
    name="project_count",
    title={"km": "ចំនួនគម្រោងតាមតំបន់", "en": "Number of projects per area"},
    description={"km": "ចំនួនគម្រោងហេដ្ឋារចនាសម្ព័ន្ធក្នុងខេត្ត ស្រុក ឬឃុំនីមួយៗ",
                 "en": "How many infrastructure projects each province, district or commune holds"},
    legend_title={"km": "ចំនួនគម្រោង", "en": "Projects"},
    kind="choropleth",
    build=build,
    popup_fields=("name_km", "name_en", "project_count", "budget", "expenditure"),
    classification="quantiles",
)
