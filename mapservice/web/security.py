"""The security headers of every response, set in one place (an after_request hook of ``create_app``).

Scripts come only from this origin (``script-src 'self'``, no 'unsafe-inline', no hashes): pages carry no inline
script or handler. Every page script is a file in ``static/js``, and folium's generated map scaffold
(``var map = L.map(...)``, which depends on the map's position) is served from ``/maps/scaffold.js``
(``web/maps.py``). The pages' JSON data blocks (``<script type="application/json">``) are data, never run. Pages may
be framed only by this site, except the routes made to be embedded or read by other sites (``/embed``, the tiles,
the API), which any site may frame."""
from flask import request

from mapservice.ingest.records import is_web_url

# Leaflet positions tiles and markers with inline style attributes: styles may be inline, scripts may not.
BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob: https: http:",  # the configured basemap's tiles come from another host
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
}
EMBEDDABLE_PREFIXES = ("/embed", "/tiles/", "/api/")
# "Locate me" needs the position; everything else a page never uses is switched off
PERMISSIONS_POLICY = ("geolocation=(self), camera=(), microphone=(), payment=(), usb=(), "
                      "interest-cohort=(), browsing-topics=()")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def is_embeddable(path, mimetype="application/json"):
    """What other sites may put in an iframe or read: the embed, and the tiles and API documents (not the API's
    HTML documentation page)."""
    return path == "/embed" or (path.startswith(EMBEDDABLE_PREFIXES) and mimetype != "text/html")


def content_security_policy(path, mimetype="text/html"):
    """The policy text for a response to ``path`` of this type."""
    policy = dict(BASE_POLICY)
    policy["frame-ancestors"] = "*" if is_embeddable(path, mimetype) else "'self'"
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def add_security_headers(response):
    """after_request: CSP, nosniff, referrer and permissions policies (and the old X-Frame-Options for pages)."""
    response.headers["Content-Security-Policy"] = content_security_policy(request.path, response.mimetype)
    response.headers.update(HEADERS)
    if not is_embeddable(request.path, response.mimetype):
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def front_headers():
    """The same headers for what the nginx front answers itself (static files, its 404, 429 and 503), filled into
    ``deploy/nginx.conf.template`` by ``server.render_front_config``."""
    return {"Content-Security-Policy": content_security_policy("/static/"), **HEADERS, "X-Frame-Options": "SAMEORIGIN"}


def init_app(app):
    """Register the ``web_url`` filter for the templates and the headers hook."""
    app.add_template_filter(is_web_url, "web_url")
    app.after_request(add_security_headers)
