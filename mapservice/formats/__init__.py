"""Formats: every document or file built from the read side, no Flask.

Project downloads, the 12 datasets, the catalogue (Data Package, DCAT), the OC4IDS export, OGC API documents,
vector tiles, PNG maps, the `mapservice locate` CSV; the OpenAPI parameter objects they share; and the
language-dependent wording (``locale``: numbers, money, dates; ``captions``: the filters in words).

May import: ``layers`` (beside this wing), ``read``, ``store`` and ``config``.
"""
