// The data layer of a map (page or embed): which API request the state and the map's position call for, and
// redrawing only when that request changes. Province outlines with their names sit underneath, so the map
// reads well without a basemap; the drawn areas get their names where they fit (labels.js) and are listed in
// "areas in this view" (area-list.js). Loading and failures show on the map (status.js).
// Each redraw bumps body[data-drawn]; the first sets body[data-ready].
import { apiUrl, getJSON } from "./api.js";
import { el } from "./dom.js";
import { formatCompactMoney, formatNumber, formatPercent, labelled } from "./format.js";
import { _, ngettext } from "./i18n.js";
import { createAreaList } from "./area-list.js";
import { drawLabels } from "./labels.js";
import { drawAreas, drawPoints, localName } from "./layers.js";
import { areaCode, filterParams, levelOf, shownLevel } from "./state.js";
import { createStatus } from "./status.js";
import { projectTiles } from "./tile-points.js";

const PROVINCE_LABEL_ZOOM = 7;

export function describeArea(layer, props) {
  const name = localName(props);
  const count = ngettext("%(num)s project", "%(num)s projects", props.project_count, { num: formatNumber(props.project_count) });
  if (layer === "budget_by_area") {
    const share = props.value === null ? _("no budget recorded")
      : _("spent %(share)s of the approved budget", { share: formatPercent(props.value) });
    return labelled(name, share);
  }
  if (layer === "budget_vs_actual") {
    const share = props.value === null ? _("no budget recorded")
      : _("spent %(share)s of the budget", { share: formatPercent(props.value) });
    return labelled(name, share);
  }
  if (layer === "expenditure") return labelled(name, `${formatCompactMoney(props.expenditure)} · ${count}`);
  return labelled(name, count);
}

export function describeProject(props) {
  return `${localName(props, "title") || props.project_id} (${props.fiscal_year})`;
}

function loadOutlines(map) {
  map.createPane("outlines").style.zIndex = 350;
  return getJSON(apiUrl("/layers/admin_outlines", { level: "province" })).then((data) => {
    const boxes = {};
    const layer = L.geoJSON(data, {
      pane: "outlines", interactive: false,
      style: { className: "province-outline", color: "#6b6b6b", weight: 1.2, fillColor: "#fbfaf6", fillOpacity: 1 },
      onEachFeature: (feature, shape) => { boxes[feature.properties.code] = shape.getBounds(); },
    }).addTo(map);
    const labels = L.layerGroup(data.features.map((feature) => L.tooltip({
      permanent: true, direction: "center", className: "area-label province-label", interactive: false, pane: "outlines",
    }).setLatLng([feature.properties.label[1], feature.properties.label[0]])
      .setContent(el("span", { text: localName(feature.properties) })))).addTo(map);
    return { layer, labels, boxes };
  }).catch(() => ({ boxes: {} }));
}

export function createDataView(map, config, handlers) {
  const outlines = loadOutlines(map);
  const status = createStatus(document.getElementById("map-status"), () => lastState && update(lastState));
  const listRoot = document.getElementById("areas-in-view");
  const list = listRoot ? createAreaList(listRoot, map) : null;
  const labels = L.layerGroup().addTo(map);
  let lastState = null;
  let shown = null;
  let shownKey = null;
  let shownData = null;
  let pointsBox = null;
  let sequence = 0;
  let draws = 0;

  async function requestFor(state) {
    const zoom = map.getZoom();
    const filters = filterParams(state, config);
    if (state.layer === "project_points") return pointsRequest(filters, zoom);
    const level = shownLevel(state, zoom);
    if (level === "commune" && !levelOf(areaCode(state))) {
      // the whole country's 1,633 communes are a megabyte: ask only for the provinces in view
      const { boxes } = await outlines;
      const bounds = map.getBounds();
      const inView = Object.keys(boxes).filter((code) => boxes[code].intersects(bounds)).sort();
      if (inView.length && inView.length < Object.keys(boxes).length) filters.province = inView.join(",");
    }
    const url = apiUrl(`/layers/${state.layer}`, { level, ...filters });
    return { url, key: url };
  }

  function pointsRequest(filters, zoom) {
    const tier = zoom < 9 ? "district" : zoom < 12 ? "commune" : "project";
    if (tier === "district") {
      const url = apiUrl("/layers/project_points", { zoom, ...filters });
      return { url, key: `district|${new URLSearchParams(filters)}` };
    }
    // street zooms: every project, from the vector tiles (a bbox of GeoJSON does not scale to 1M projects)
    if (tier === "project") return projectTiles(map, filters);
    const view = map.getBounds();
    const filterKey = new URLSearchParams(filters).toString();
    if (!(pointsBox && pointsBox.tier === tier && pointsBox.filters === filterKey && pointsBox.bounds.contains(view))) {
      const padded = view.pad(0.5);
      const snap = (value, down) => (down ? Math.floor(value * 10) : Math.ceil(value * 10)) / 10;
      const bbox = [snap(padded.getWest(), true), snap(padded.getSouth(), true),
        snap(padded.getEast(), false), snap(padded.getNorth(), false)];
      pointsBox = { tier, filters: filterKey, bounds: L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]),
        url: apiUrl("/layers/project_points", { zoom, bbox: bbox.map((v) => v.toFixed(1)).join(","), ...filters }) };
    }
    return { url: pointsBox.url, key: pointsBox.url };
  }

  function draw(state, data) {
    if (shown) map.removeLayer(shown);
    shown = data.layer === "project_points"
      ? drawPoints(map, data, { describe: describeProject, onProject: handlers.onProject, onCluster: handlers.onCluster })
      : drawAreas(map, data, { describe: (props) => describeArea(state.layer, props), onClick: handlers.onArea });
    updateLabels();
  }

  // what the list of the view offers: each area, cluster or project drawn, and what choosing it does
  function listEntries() {
    if (!shown) return [];
    if (shown.areas) {
      return shown.areas.getLayers().map((layer) => ({
        label: describeArea(lastState.layer, layer.feature.properties), code: layer.feature.properties.code, layer,
        select: (button) => handlers.onArea(layer.feature, layer, { latlng: layer.getCenter(), returnTo: button }),
      }));
    }
    return shown.getLayers().map((marker) => {
      const feature = marker.feature;
      return feature.properties.cluster
        ? { label: marker.options.title, code: feature.properties.code, layer: marker,
          select: () => handlers.onCluster(feature, marker) }
        : { label: marker.options.title, projectId: feature.properties.project_id, layer: marker,
          select: (button) => handlers.onProject(feature.properties.project_id, marker, button) };
    });
  }

  function updateLabels() {
    if (!(shown && shown.areas)) labels.clearLayers();
    const own = shown && shown.areas ? drawLabels(map, labels, shown.areas) : 0;
    map.getContainer().classList.toggle("province-labels-off", Boolean(shown && shown.areas)
      || map.getZoom() < PROVINCE_LABEL_ZOOM);
    map.getContainer().dataset.labels = String(own);
    if (list) list.update(listEntries());
  }
  map.on("moveend", updateLabels);

  // the selected area's outline on top, so that it stays visible whatever the layer
  let selection = null;
  let selectionCode = "";
  async function showSelection(code) {
    if (code === selectionCode) return;
    selectionCode = code;
    if (selection) map.removeLayer(selection);
    selection = null;
    const level = levelOf(code);
    if (!level) return;
    const data = await getJSON(apiUrl("/layers/admin_outlines", { level, [level]: code })).catch(() => null);
    if (!data || code !== selectionCode) return;
    const style = { className: "selected-area", color: "#0b4f6c", weight: 3, fill: false };
    selection = L.geoJSON(data, { interactive: false, style })
      .addTo(map);
  }

  async function update(state) {
    lastState = state;
    showSelection(areaCode(state));
    const mine = ++sequence;
    const request = await requestFor(state);
    if (mine !== sequence) return;
    if (request.key === shownKey) {
      status.done(!shownData.features.length); // a retry of what is drawn already (back online): nothing to fetch
      return;
    }
    status.loading();
    try {
      const data = await (request.load ? request.load() : getJSON(request.url));
      if (mine !== sequence) return;
      shownKey = request.key;
      shownData = data;
      draw(state, data);
      draws += 1;
      document.body.dataset.drawn = String(draws);
      document.body.dataset.ready = "true";
      status.done(!data.features.length);
      handlers.onDrawn(data);
    } catch (error) {
      if (mine === sequence) status.failed(error.message);
    }
  }

  return { update, data: () => shownData, bounds: () => (shown ? shown.bounds() : null) };
}
