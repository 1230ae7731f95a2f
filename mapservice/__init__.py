"""Map service for Cambodia's sub-national infrastructure projects: Flask app factory."""
import logging

from flask import Flask

from mapservice.config import PROJECT_ROOT, load_config
from mapservice.db import create_db_engine, init_schema, make_session_factory

logger = logging.getLogger(__name__)


def create_app(test_config=None):
    """Build the app: settings (defaults, environment, ``test_config``), database, blueprints, error handler."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"), static_folder=str(PROJECT_ROOT / "static"))
    app.config.update(load_config(test_config))
    engine = create_db_engine(app.config)
    init_schema(engine)
    app.extensions["session_factory"] = make_session_factory(engine)

    from flask import request

    from mapservice import errors, http_cache, i18n, openapi, web
    from mapservice.snapshot import DataState

    app.extensions["data_state"] = DataState(app.config["MAPSERVICE_DATA_DIR"])
    errors.register(app)
    for blueprint in web.blueprints():
        app.register_blueprint(blueprint)

    @app.before_request
    def check_query_parameters():
        """Every request: a lang other than km or en, or a parameter a documented view does not take, is a 400."""
        i18n.check_language(request.args)
        openapi.check_query(app.view_functions.get(request.endpoint), request.args)

    app.after_request(http_cache.finish_response)
    logger.info("mapservice ready on %s", engine.url.render_as_string(hide_password=True))
    return app
