"""Flask only: the app factory and one blueprint per part of the web surface. Every module here that defines
``blueprint`` is registered by ``create_app`` (so a new part of the site is one new module).

May import every wing below (formats, layers, read, store); nothing below imports this package."""
import importlib
import logging
import pkgutil

from flask import Flask, request

from mapservice.config import PROJECT_ROOT, load_config
from mapservice.read.snapshot import DataState
from mapservice.store.db import create_db_engine, create_read_engine, make_read_session_factory, make_session_factory

logger = logging.getLogger(__name__)


def create_app(test_config=None):
    """Build the app: settings (defaults, environment, ``test_config``), database, blueprints, error handler."""
    from mapservice.web import errors, health, http_cache, i18n, limits, openapi, security

    app = Flask("mapservice", template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "static"))
    app.config.update(load_config(test_config))
    engine = create_read_engine(app.config)  # a read-only replica when MAPSERVICE_READ_DATABASE_URL is set
    schema_engine = create_db_engine(app.config) if app.config["MAPSERVICE_READ_DATABASE_URL"] else engine
    app.extensions["session_factory"] = make_session_factory(engine)
    app.extensions["read_session_factory"] = make_read_session_factory(engine)  # the requests' g.session
    app.extensions["data_state"] = DataState()
    errors.register(app)
    health.init_app(app, engine, schema_engine)  # the schema now, or 503 until a retry makes it (serve)
    security.init_app(app)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)

    @app.before_request
    def check_query_parameters():
        """Every request: a lang other than km or en, or a parameter a documented view does not take, is a 400."""
        i18n.check_language(request.args)
        openapi.check_query(app.view_functions.get(request.endpoint), request.args)

    limits.init_app(app)  # after the parameter check: a bad request is a 400, not a wait for a slot
    app.after_request(http_cache.finish_response)
    logger.info("mapservice ready on %s", engine.url.render_as_string(hide_password=True))
    return app


def blueprints():
    """The blueprints of this package's modules, in module-name order."""
    found = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "blueprint"):
            found.append(module.blueprint)
    return found
