// Drawing the API's GeoJSON with Leaflet: choropleth areas (class "area", data-code), project markers
// (class "project-marker", data-project-id) and per-area clusters (class "cluster-marker", data-code); none of
// them a Tab stop (the keyboard goes through the list of areas in view, area-list.js).
import { el } from "./dom.js";
import { formatNumber, labelled } from "./format.js";
import { _, lang } from "./i18n.js";

export const NO_DATA_COLOR = "#dddddd";

// Leaflet's own controls in the page's language: the zoom buttons' names, and its credit without the English
// tooltip ("A JavaScript library...": a name needs no translation)
export function localizeControls(map) {
  map.attributionControl?.setPrefix('<a href="https://leafletjs.com" lang="en">Leaflet</a>');
  const container = map.getContainer();
  for (const [selector, name] of [[".leaflet-control-zoom-in", _("Zoom in")], [".leaflet-control-zoom-out", _("Zoom out")]]) {
    const button = container.querySelector(selector);
    if (button) {
      button.title = name;
      button.setAttribute("aria-label", name);
    }
  }
}

export function localName(properties, field = "name") {
  const first = properties[`${field}_${lang}`];
  return first || properties[`${field}_${lang === "km" ? "en" : "km"}`] || "";
}

function classColors(data) {
  return Object.fromEntries(((data.legend && data.legend.classes) || []).map((row) => [row.class, row.color]));
}

export function drawAreas(map, data, { describe, onClick }) {
  const colors = classColors(data);
  const group = L.layerGroup();
  const areas = L.geoJSON(data, {
    style: (feature) => ({
      className: "area", color: "#3d3d3d", weight: 1, opacity: 0.9, fillOpacity: 0.78,
      fillColor: colors[feature.properties.class] ?? NO_DATA_COLOR,
    }),
    onEachFeature: (feature, layer) => {
      layer.bindTooltip(() => describe(feature.properties), { sticky: true, direction: "top" });
      layer.on("click", (event) => onClick(feature, layer, event));
      layer.on("mouseover", () => layer.setStyle({ weight: 3 }));
      layer.on("mouseout", () => layer.setStyle({ weight: 1 }));
    },
  });
  group.addLayer(areas).addTo(map);
  areas.eachLayer((layer) => {
    const element = layer.getElement();
    if (!element) return;
    element.setAttribute("data-code", layer.feature.properties.code);
    // Leaflet makes every shape with a tooltip a Tab stop: the map is one, and the list of areas the way in
    element.removeAttribute("tabindex");
  });
  group.areas = areas;
  group.bounds = () => areas.getBounds();
  return group;
}

// Up to DOM_MARKERS projects each get a marker element (a 44 px touch target, styled by the CSS); a denser view (a
// street zoom of a city at 1M projects holds tens of thousands) is drawn as circles on one canvas per map, so the
// page's DOM stays bounded. Both are clicked alike (the popup), and listed alike in "areas in this view".
export const DOM_MARKERS = 300;
const canvases = new WeakMap();

function canvasOf(map) {
  if (!canvases.has(map)) canvases.set(map, L.canvas({ padding: 0.2, tolerance: 6 })); // a click 6 px around a point
  return canvases.get(map);
}

export function drawPoints(map, data, { describe, onProject, onCluster }) {
  const group = L.featureGroup();
  const breaks = (data.legend && data.legend.breaks) || [];
  const colors = classColors(data);
  const projects = data.features.reduce((count, feature) => count + (feature.properties.cluster ? 0 : 1), 0);
  const renderer = projects > DOM_MARKERS ? canvasOf(map) : null;
  for (const feature of data.features) {
    const [lon, lat] = feature.geometry.coordinates;
    const props = feature.properties;
    const marker = props.cluster ? clusterMarker(props, breaks, colors)
      : renderer ? projectCircle(props, describe, renderer) : projectMarker(props, describe);
    marker.setLatLng([lat, lon]);
    marker.feature = feature;
    marker.on("click", () => (props.cluster ? onCluster(feature, marker) : onProject(props.project_id, marker)));
    group.addLayer(marker);
  }
  group.addTo(map);
  group.eachLayer((marker) => {
    const element = marker.getElement();
    if (!element) return;
    if (marker.options.projectId) {
      element.dataset.projectId = marker.options.projectId;
      element.setAttribute("translate", "no"); // its title is the project's: data, not UI text
    }
    if (marker.options.code) element.dataset.code = marker.options.code;
  });
  group.canvas = renderer; // the tests and the benchmark read which drawing a view got
  map.getContainer().dataset.points = renderer ? "canvas" : "markers";
  map.getContainer().dataset.pointCount = String(projects);
  group.bounds = () => group.getBounds();
  return group;
}

function classOf(value, breaks) {
  const index = breaks.findIndex((upper) => upper === null || value <= upper);
  return index === -1 ? breaks.length - 1 : index;
}

function clusterMarker(props, breaks, colors) {
  const klass = classOf(props.project_count, breaks);
  const size = 30 + klass * 5;
  const icon = L.divIcon({
    className: `cluster-marker cluster-class-${klass}`,
    html: el("span", { style: `background:${colors[klass] || "#74a9cf"}`, text: formatNumber(props.project_count) }),
    iconSize: [Math.max(size, 44), Math.max(size, 44)],
  });
  return L.marker([0, 0], { icon, keyboard: false, title: labelled(localName(props), formatNumber(props.project_count)),
    code: props.code, riseOnHover: true });
}

function projectMarker(props, describe) {
  const icon = L.divIcon({ className: "project-marker", html: el("span"), iconSize: [44, 44] });
  return L.marker([0, 0], { icon, keyboard: false, title: describe(props), projectId: props.project_id });
}

// a project on the shared canvas: the marker's colours; its name shows on hover (a tooltip, made when shown)
function projectCircle(props, describe, renderer) {
  const title = describe(props);
  const circle = L.circleMarker([0, 0], { renderer, radius: 6, color: "#7a3300", weight: 1, fillColor: "#d95f02",
    fillOpacity: 0.9, title, projectId: props.project_id });
  circle.bindTooltip(() => el("span", { text: title, translate: "no" }), { direction: "top", offset: [0, -6] });
  return circle;
}
