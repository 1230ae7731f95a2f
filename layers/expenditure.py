"""Actual expenditure (riel) per province, district or commune."""
from layers.base import Layer
from layers.choropleth import build_choropleth


def build(layer, session, areas, filters, level, options):
    return build_choropleth(layer, session, areas, filters, level, lambda totals: totals["expenditure"])


LAYER = Layer(
    name="expenditure",
    title={"km": "ការចំណាយជាក់ស្តែងតាមតំបន់", "en": "Actual expenditure per area"},
    description={"km": "ប្រាក់ដែលបានចំណាយជាក់ស្តែងលើគម្រោង (រៀល) ក្នុងតំបន់នីមួយៗ",
                 "en": "Money actually spent on projects (riel) in each area"},
    legend_title={"km": "ការចំណាយ (រៀល)", "en": "Expenditure (riel)"},
    kind="choropleth",
    build=build,
    popup_fields=("name_km", "name_en", "expenditure", "budget", "project_count"),
    classification="natural_breaks",
)
