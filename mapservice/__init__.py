"""Map service for Cambodia's sub-national infrastructure projects.

The package's folders follow the one-way data flow (docs/architecture.md):

    ingest/  -> store/  -> read/  -> formats/ (and layers/, beside it)  -> web/

``ingest`` reads and checks the source files and joins them; ``store`` holds the model and writes it; ``read``
answers questions about what is stored; ``formats`` turns those answers into documents and files; ``web`` is
Flask. An import only goes down that flow (tests/test_layout.py). ``config``, ``cli`` and ``server`` stand at
the top: the settings every wing reads, and the two entry points. This file imports nothing, so that
``import layers`` (or any wing below ``web``) never loads Flask; the app factory is ``mapservice.web.create_app``.
"""
