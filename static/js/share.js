// Links that carry the whole state: the address bar, the language links, the share URL, the embed code and
// the picture/HTML downloads.
import { config } from "./config.js";
import { _ } from "./i18n.js";
import { stateParams } from "./state.js";

// Without the resize script the iframe is a 4:3 box (the embed fits itself into it); with it, the height the
// embed posts. The script is ours (static/js/embed-resize.js), served with the map, no third party.
const EMBED_STYLE = "display:block;width:100%;aspect-ratio:4/3;min-height:320px;border:0";

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

export function embedUrl(state, lang) {
  return location.origin + config.urls.embed + pageQuery({ ...state, view: "map" }, lang);
}

export function embedCode(state, lang) {
  const title = `${config.layers[state.layer].title} · ${_("Sub-national infrastructure projects, Cambodia 2014–2019")}`;
  return `<iframe src="${escapeAttribute(embedUrl(state, lang))}" title="${escapeAttribute(title)}" `
    + `style="${EMBED_STYLE}" loading="lazy" allow="geolocation"></iframe>\n`
    + `<script src="${escapeAttribute(location.origin + config.urls.embedScript)}" async></script>`;
}
