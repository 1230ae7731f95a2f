// The embed: one layer with its legend and attribution, no controls. It tells the parent page its height
// (postMessage {type: "mapservice:height"}; iframe-resizer's child script answers parents that use it).
import { apiUrl, getJSON } from "./api.js";
import { config } from "./config.js";
import { el } from "./dom.js";
import { lang } from "./i18n.js";
import { renderLegend } from "./legend.js";
import { projectPopup } from "./popup.js";
import { areaCode, levelOf, readState } from "./state.js";
import { createDataView } from "./view.js";

const map = window.map;
const state = readState(location.search, config);
const legend = document.getElementById("legend");
const status = document.getElementById("map-status");
let fitToData = (state.lat === null || state.zoom === null) && Boolean(levelOf(areaCode(state)));

async function openProject(id, latlng) {
  const popup = L.popup({ maxWidth: 300, maxHeight: 300 }).setLatLng(latlng).setContent(el("p", { text: "…" })).openOn(map);
  try {
    popup.setContent(projectPopup(await getJSON(apiUrl(`/projects/${encodeURIComponent(id)}`))));
  } catch (error) {
    popup.setContent(el("p", { text: error.message }));
  }
}

const view = createDataView(map, config, {
  onArea: (feature, layer) => map.fitBounds(layer.getBounds(), { padding: [12, 12] }),
  onProject: (id, marker) => openProject(id, marker.getLatLng()),
  onCluster: (feature, marker) => map.setView(marker.getLatLng(), map.getZoom() + 2),
  onStatus: (text) => { status.textContent = text; },
  onDrawn: (data) => {
    renderLegend(legend, config.layers[state.layer], data);
    if (fitToData && view.bounds()) {
      fitToData = false;
      map.fitBounds(view.bounds(), { animate: false, padding: [12, 12] });
    }
    postHeight();
  },
});

function postHeight() {
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (window.parent !== window) window.parent.postMessage({ type: "mapservice:height", height }, "*");
}

L.DomEvent.disableClickPropagation(legend);
map.attributionControl.addAttribution(config.attribution);
map.on("moveend", () => view.update(state));
if (state.lat === null || state.zoom === null) map.fitBounds(config.bounds, { animate: false });
view.update(state);
new ResizeObserver(postHeight).observe(document.body);
window.addEventListener("load", postHeight);
document.documentElement.lang = lang;
