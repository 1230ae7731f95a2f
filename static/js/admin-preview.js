// The preview map of a draft (/admin/uploads/<id>): its projects fetched from the draft's preview URL (the
// page's data-preview-url), coloured by how their point and commune code agree, conflicts drawn on top.
// The table of the page lists the same projects for the keyboard and screen readers; the markers are no Tab stops.
import { el } from "./dom.js";
import { _ } from "./i18n.js";
import { localizeControls } from "./layers.js";

const map = window.map;
const container = document.querySelector("[data-preview-url]");
const COLORS = { conflict: "#d7301f", code_only: "#fdae61", ok: "#1b7837" };

function kind(properties) {
  if (properties.conflict) return "conflict";
  return properties.join_status === "code_only" ? "code_only" : "ok";
}

function popup(properties) {
  const what = { conflict: _("The point is not in the commune the row names: check both."),
    code_only: _("No point: placed at the commune's centre."), ok: _("The point and the commune agree.") };
  return el("div", { className: "project-popup" },
    el("h3", { text: properties.title || properties.project_id, translate: "no" }),
    el("p", { text: properties.project_id, className: "code", translate: "no" }),
    el("p", { text: what[kind(properties)] }));
}

function draw(data) {
  const features = [...data.features].sort((a, b) => Number(!!a.properties.conflict) - Number(!!b.properties.conflict));
  const layer = L.geoJSON({ type: "FeatureCollection", features }, {
    pointToLayer: (feature, latlng) => {
      const which = kind(feature.properties);
      return L.circleMarker(latlng, { radius: which === "conflict" ? 9 : 7, color: "#fff", weight: 2,
        fillColor: COLORS[which], fillOpacity: 0.95, className: `preview-marker preview-${which}`, keyboard: false })
        .bindPopup(() => popup(feature.properties));
    },
  }).addTo(map);
  if (features.length) map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 14 });
  document.body.dataset.previewCount = String(features.length);
  document.body.dataset.previewConflicts = String(features.filter((f) => f.properties.conflict).length);
}

// the communes of the draft's districts, for orientation (below the markers)
async function drawOutlines() {
  map.createPane("outlines").style.zIndex = 350;
  for (const url of JSON.parse(container.dataset.outlines || "[]")) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (response.ok) L.geoJSON(await response.json(), { interactive: false, pane: "outlines",
      style: { color: "#6b6b6b", weight: 1, fillColor: "#fbfaf6", fillOpacity: 1 } }).addTo(map);
  }
}

async function start() {
  localizeControls(map);
  await drawOutlines().catch(() => {});
  const status = document.getElementById("preview-status");
  try {
    const response = await fetch(container.dataset.previewUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    draw(await response.json());
    status.textContent = "";
  } catch {
    status.textContent = _("The preview map could not be loaded. Reload the page to try again.");
  }
  document.body.dataset.ready = "true";
}

start();
