// The small map of a project or area page: the outline of the area (and its sub-areas) fetched from the API.
import { getJSON } from "./api.js";
import { localizeControls } from "./layers.js";

const map = window.map;
const settings = JSON.parse(document.getElementById("mini-map").textContent);

// outlines go below the overlay pane, so that the project's marker stays on top
map.createPane("outlines").style.zIndex = 350;
localizeControls(map);

async function outline(url, style) {
  const data = await getJSON(url);
  return L.geoJSON(data, { interactive: false, style, pane: "outlines" }).addTo(map);
}

async function start() {
  if (settings.inner) await outline(settings.inner, { color: "#6b6b6b", weight: 1, fillColor: "#fbfaf6", fillOpacity: 1 });
  if (!settings.outline) return;
  const area = await outline(settings.outline,
    { color: "#0b4f6c", weight: 2.5, fill: !settings.inner, fillColor: "#fbfaf6", fillOpacity: 1 });
  if (settings.fit) map.fitBounds(area.getBounds(), { padding: [8, 8] });
  document.body.dataset.ready = "true";
}

start().catch(() => {});
