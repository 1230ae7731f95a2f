"""Ingest: the sources, read and checked, joined, and written in one transaction.

Readers of every source (project layouts: ``template``, ``oc4ids``, ``pid_report``, registry ``readers``;
``boundaries``; ``gazetteer``; ``points`` for `mapservice locate`; the ``sample`` generator), the validation of
project records (``records``), the join (``join``) and the import pipelines (``pipelines``).

May import: ``store`` and ``config``. Never the read side, the formats or the web.
"""
