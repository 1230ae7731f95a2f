// The embed: one layer with its legend, the data credit, the SAMPLE badge and "Open the full map", no controls.
// It tells the host page the height it wants (postMessage {type: "mapservice:height"}, read by our
// embed-resize.js and by iframe-resizer): a 4:3 map for its width plus the footer, worked out from the width
// alone, so that the host's new height never feeds back. In a box of another height the map takes what the
// footer leaves (site.css), so the footer is always in view.
import { apiUrl, getJSON } from "./api.js";
import { config } from "./config.js";
import { openDetails } from "./details.js";
import { el } from "./dom.js";
import { _, lang } from "./i18n.js";
import { localizeControls } from "./layers.js";
import { renderLegend, setupLegend } from "./legend.js";
import { projectDetails } from "./popup.js";
import { areaCode, levelOf, readState } from "./state.js";
import { createDataView } from "./view.js";

const map = window.map;
const state = readState(location.search, config);
const legend = document.getElementById("legend");
const footer = document.querySelector(".embed-footer");
const MAP_RATIO = 3 / 4;
const MAP_HEIGHT = [220, 900];
let fitToData = (state.lat === null || state.zoom === null) && Boolean(levelOf(areaCode(state)));

async function openProject(id, returnTo) {
  openDetails({ title: _("Loading…"), body: el("p", { className: "project-popup" }), returnTo });
  try {
    openDetails(projectDetails(await getJSON(apiUrl(`/projects/${encodeURIComponent(id)}`))));
  } catch (error) {
    openDetails({ title: _("The project could not be loaded"), body: el("p", { text: error.message }) });
  }
}

const view = createDataView(map, config, {
  onArea: (feature, layer) => map.fitBounds(layer.getBounds(), { padding: [12, 12] }),
  onProject: (id, marker, returnTo) => openProject(id, returnTo),
  onCluster: (feature, marker) => map.setView(marker.getLatLng(), map.getZoom() + 2),
  onDrawn: (data) => {
    renderLegend(legend, config.layers[state.layer], data);
    if (fitToData && view.bounds()) {
      fitToData = false;
      map.fitBounds(view.bounds(), { animate: false, padding: [12, 12] });
    }
    postHeight();
  },
});

export function wantedHeight() {
  const width = document.documentElement.clientWidth;
  const mapHeight = Math.min(MAP_HEIGHT[1], Math.max(MAP_HEIGHT[0], Math.round(width * MAP_RATIO)));
  return mapHeight + Math.ceil(footer.getBoundingClientRect().height);
}

let posted = null;
function postHeight() {
  const height = wantedHeight();
  document.body.dataset.wantedHeight = String(height);
  if (window.parent === window || height === posted) return;
  posted = height;
  window.parent.postMessage({ type: "mapservice:height", height }, "*");
}

// the resize script, when it loads after us, asks for the height again
window.addEventListener("message", (event) => {
  if (event.data && event.data.type === "mapservice:send-height") {
    posted = null;
    postHeight();
  }
});

// iframe-resizer's child script reads this when its parent starts it: the same height as ours
window.iFrameResizer = { heightCalculationMethod: wantedHeight };

setupLegend(legend);
localizeControls(map);
map.on("moveend", () => view.update(state));
if (state.lat === null || state.zoom === null) map.fitBounds(config.bounds, { animate: false });
view.update(state);
new ResizeObserver(() => {
  map.invalidateSize();
  postHeight();
}).observe(document.documentElement);
window.addEventListener("load", postHeight);
document.documentElement.lang = lang;
postHeight();
