"""Map layers: one module per layer, listed in one registry. No Flask in this package.

Adding a layer = one module defining ``LAYER`` + one line below + its test.
"""
from layers import admin_outlines, budget_by_area, budget_vs_actual, expenditure, project_count, project_points

REGISTRY = {module.LAYER.name: module.LAYER for module in (
    project_points,
    project_count,
    expenditure,
    budget_vs_actual,
    budget_by_area,
    admin_outlines,
)}
