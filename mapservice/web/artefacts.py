"""Answers from the prebuilt files of the current data version (mapservice/artefacts): the coding the client
accepts (br, gzip, identity), the manifest's ETag (SHA-1 of the identity bytes, as the dynamic answer's; suffixed by
the coding), 304 on If-None-Match; the bytes sent by nginx (``X-Accel-Redirect`` to its internal location, when
MAPSERVICE_ACCEL_REDIRECT is set, for attachments) or by the app (``send_file``). ``answer(name)`` is None when the file is not
there for this version, database and address: the view then builds the answer as before."""
from flask import Response, current_app, g, request, send_file
from werkzeug.http import parse_etags

from mapservice.artefacts import names
from mapservice.artefacts.build import database_identity
from mapservice.artefacts.directory import CurrentManifest
from mapservice.web.http_cache import MAX_AGE

SOURCE_HEADER = "X-Artefact"  # which prebuilt file answered (tests and the benchmark read it)
# The client's If-None-Match as the front passes it on: nginx's proxy_cache drops conditional headers from the
# requests it sends (it wants whole answers to keep), and its own 304 cannot see the ETag of an X-Accel-Redirect
FRONT_IF_NONE_MATCH = "X-If-None-Match"


def _current(app):
    """The app's reader of the current manifest, made on first use; and the database the files must come from."""
    if "artefacts" not in app.extensions:
        app.extensions["artefacts"] = (CurrentManifest(app.config["MAPSERVICE_ARTEFACT_DIR"]),
                                       database_identity(app.config))
    return app.extensions["artefacts"]


def _entry(name):
    current, database = _current(current_app)
    found = current.get()
    if found is None:
        return None
    folder, manifest = found
    if manifest["data_version"] != g.snapshot.version or manifest["database"] != database:
        return None
    entry = manifest["artefacts"].get(name)
    if entry is None or (entry["with_links"] and request.url_root.rstrip("/") != manifest["base_url"]):
        return None
    return folder, entry


def answer(name):
    """The response of the prebuilt file ``name`` (artefacts/names.py), or None."""
    found = _entry(name)
    if found is None:
        return None
    folder, entry = found
    encoding = request.accept_encodings.best_match([*entry["encodings"], "identity"]) or "identity"
    variant = entry["encodings"].get(encoding, entry)
    etag = entry["etag"] if variant is entry else f'{entry["etag"]}-{encoding}'
    # Behind the front, attachments (downloads, the OC4IDS package, datasets) go by X-Accel-Redirect: nginx sends
    # them from disk. The rest (layers, tiles, TileJSON) the app sends, because nginx never keeps an
    # X-Accel-Redirect answer in its proxy_cache: sent by the app, the front serves them from its cache (HIT),
    # asking the app at most once a second per URL (a 304).
    prefix = current_app.config["MAPSERVICE_ACCEL_REDIRECT"] if "Content-Disposition" in entry["headers"] else ""
    if prefix:
        response = Response(status=200, content_type=entry["content_type"])
        response.headers["X-Accel-Redirect"] = f"{prefix.rstrip('/')}/{folder.name}/{variant['file']}"
    else:
        response = send_file(folder / variant["file"], conditional=False, etag=False, max_age=None)
        response.headers["Content-Type"] = entry["content_type"]  # as the dynamic answer writes it
        del response.headers["Content-Disposition"]  # send_file's "inline; filename=<the .br file>"
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers.update(entry["headers"])
    response.headers[SOURCE_HEADER] = f"{folder.name}/{entry['file']}"
    if variant is not entry:
        response.headers["Content-Encoding"] = encoding
    response.make_conditional(request)
    if response.status_code == 304 or (prefix and parse_etags(request.headers.get(FRONT_IF_NONE_MATCH)).contains(etag)):
        response.status_code = 304
        response.headers.pop("X-Accel-Redirect", None)
    return response


def layer(layer_spec, level, filters, options):
    """A map layer unfiltered or for one year (its only filter), without options: its prebuilt GeoJSON."""
    params = filters.as_params()
    if (layer_spec.kind not in names.LAYER_KINDS or options or set(params) - {"year"}
            or "-" in params.get("year", "")):
        return None
    return answer(names.layer(layer_spec.name, level, params.get("year")))
