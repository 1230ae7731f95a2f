"""Read side: questions asked of the stored data, no Flask.

Filters and the map's URL state (``filters``, ``mapstate``), projects, areas and places (``projects``, ``areas``,
``places``), totals per area (``totals``), ``locate``, the area geometry and the per-data-version ``snapshot``
(with its ``cache``), and the data-quality report (``quality``).

May import: ``store`` and ``config``.
"""
