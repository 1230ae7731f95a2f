// Links that carry the whole state: the address bar, the language links, the share URL, the embed code and
// the picture/HTML downloads.
import { config } from "./config.js";
import { _ } from "./i18n.js";
import { stateParams } from "./state.js";

const EMBED_HEIGHT = 480;

function escapeAttribute(text) {
  return text.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

export function pageQuery(state, lang) {
  return `?${stateParams(state, config, lang)}`;
}

export function updateLinks(state, lang) {
  for (const link of document.querySelectorAll("a[hreflang]")) {
    link.href = location.pathname + pageQuery(state, link.hreflang);
  }
  const query = pageQuery({ ...state, view: "map" }, lang);
  document.getElementById("download-png").href = config.urls.png + query;
  document.getElementById("download-html").href = config.urls.html + query;
}

export function shareUrl(state, lang) {
  return location.origin + location.pathname + pageQuery(state, lang);
}

export function embedCode(state, lang) {
  const src = location.origin + config.urls.embed + pageQuery({ ...state, view: "map" }, lang);
  const title = `${config.layers[state.layer].title} · ${_("Sub-national infrastructure projects, Cambodia 2014–2019")}`;
  return `<iframe src="${escapeAttribute(src)}" title="${escapeAttribute(title)}" width="100%" height="${EMBED_HEIGHT}" `
    + `style="border:0;max-width:100%" loading="lazy" allow="geolocation"></iframe>`;
}
