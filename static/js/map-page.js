// The map page: the controls and the URL hold the state; the data view draws it; the summary, legend, table,
// search, "locate me", share and embed follow it. The map itself (window.map) is built by folium's scaffold.
import { apiUrl, getJSON, pageUrl } from "./api.js";
import { config } from "./config.js";
import { el } from "./dom.js";
import { closeDetails, openDetails } from "./details.js";
import { setupEmbedDialog } from "./embed-dialog.js";
import { formatCompactMoney, formatNumber, labelled } from "./format.js";
import { _, lang, ngettext } from "./i18n.js";
import { renderLegend, setupLegend } from "./legend.js";
import { localizeControls, localName } from "./layers.js";
import { setupPanel } from "./panel.js";
import { projectDetails } from "./popup.js";
import { setupSearch } from "./search.js";
import { pageQuery, shareUrl, updateLinks } from "./share.js";
import {
  areaCode, childLevel, filterParams, layerLevels, layerTakes, levelOf, parentCode, readState, shownLevel, withArea,
} from "./state.js";
import { placeName, renderSummary, summarySentence } from "./summary.js";
import { renderTable } from "./table.js";
import { createDataView } from "./view.js";

const map = window.map;
const $ = (selector) => document.querySelector(selector);
const ui = {
  layer: $("#layer"), level: $("#level"), yearFrom: $("#year-from"), yearTo: $("#year-to"), yearLabel: $("#year-label"),
  sector: $("#sector"), status: $("#status"), eia: $("#eia"), reset: $("#reset-filters"), legend: $("#legend"),
  summary: $("#summary"), tableView: $("#table-view"), tableButton: $("#view-table"), sentence: $("#summary-sentence"),
  table: $("#view-table-data"), areaBar: $("#area-bar"), areaName: $("#area-name"),
};
const ZOOM_FOR = { province: 8, district: 10, commune: 12 };
const CLUSTER_ZOOM = { district: 10, commune: 12 };

let state = readState(location.search, config);
let profile = null;
let summarySequence = 0;
let redrawTimer = null;
// an area in the URL without a position: show the whole area once its data are drawn
let fitToData = (state.lat === null || state.zoom === null) && Boolean(levelOf(areaCode(state)));

const view = createDataView(map, config, {
  onArea: selectAreaOnMap,
  onProject: (id, marker, returnTo) => openProject(id, marker.getLatLng(), returnTo),
  onCluster: (feature, marker) => {
    map.setView(marker.getLatLng(), Math.max(map.getZoom() + 1, CLUSTER_ZOOM[feature.properties.level]));
  },
  onDrawn: (data) => {
    renderLegend(ui.legend, config.layers[state.layer], data);
    if (state.view === "table") renderTable(ui.table, data, { onArea: selectArea });
    if (fitToData && view.bounds()) {
      fitToData = false;
      map.fitBounds(view.bounds(), { animate: false, padding: [16, 16] });
    }
  },
});

function writeControls() {
  ui.layer.value = state.layer;
  ui.level.value = state.level;
  ui.yearFrom.value = state.yearFrom;
  ui.yearTo.value = state.yearTo;
  showYears();
  ui.sector.value = state.sector;
  ui.status.value = state.status;
  ui.eia.value = state.eia;
  // the budget layer: no project filters, no province level
  for (const [control, filter] of [[ui.sector, "sector"], [ui.status, "status"], [ui.eia, "eia_required"]]) {
    control.disabled = !layerTakes(state.layer, filter);
  }
  for (const option of ui.level.options) {
    option.disabled = option.value !== "auto" && !layerLevels(state.layer).includes(option.value);
  }
  ui.tableView.hidden = state.view !== "table";
  ui.tableButton.setAttribute("aria-expanded", String(state.view === "table"));
}

function showYears() {
  const from = Number(ui.yearFrom.value);
  const to = Number(ui.yearTo.value);
  ui.yearLabel.textContent = from === to ? String(from) : `${from}–${to}`;
}

function writeUrl(push) {
  const query = pageQuery(state, lang);
  if (query !== location.search) history[push ? "pushState" : "replaceState"](null, "", query);
  updateLinks(state, lang);
}

function summaryKey(s) {
  return `${areaCode(s)}|${new URLSearchParams(filterParams(s, config))}`;
}

// Every change goes through here: URL, controls, map data, and the summary when the filters changed.
function commit(next, { push = true } = {}) {
  const filtersChanged = summaryKey(next) !== summaryKey(state);
  const viewChanged = next.view !== state.view;
  if (next.layer !== state.layer) closeDetails();
  state = next;
  writeControls();
  writeUrl(push);
  scheduleRedraw();
  if (filtersChanged) refreshSummary();
  if (viewChanged) showTable();
  showAreaBar();
}

function scheduleRedraw() {
  clearTimeout(redrawTimer);
  redrawTimer = setTimeout(() => view.update(state), 30);
}

async function refreshSummary() {
  const code = areaCode(state);
  const url = levelOf(code)
    ? apiUrl(`/areas/${code}`, filterParams(state, config, { withArea: false }))
    : pageUrl(config.urls.country, filterParams(state, config));
  const mine = ++summarySequence;
  // body[data-summary-pending] while the summary for the current filters is on its way
  document.body.dataset.summaryPending = "true";
  try {
    const body = await getJSON(url);
    if (mine !== summarySequence) return;
    profile = body;
    renderSummary(ui.summary, profile);
    ui.sentence.textContent = summarySentence(profile, state);
    showAreaBar();
  } catch (error) {
    if (mine === summarySequence) ui.sentence.textContent = error.message;
  } finally {
    if (mine === summarySequence) delete document.body.dataset.summaryPending;
  }
}

function showAreaBar() {
  const code = areaCode(state);
  if (ui.areaBar.hidden !== !code) {
    ui.areaBar.hidden = !code;
    map.invalidateSize({ pan: false }); // the bar takes its height from the map: a view fitted next sees the new size
  }
  if (code && profile && profile.code === code) ui.areaName.textContent = placeName(profile);
}

function showTable() {
  const data = view.data();
  if (state.view === "table" && data) renderTable(ui.table, data, { onArea: selectArea });
}

function selectArea(code, { fit = true } = {}) {
  const next = withArea(state, code);
  const level = levelOf(code);
  if (level && state.level !== "auto") next.level = childLevel(level);
  commit(next);
  if (fit && view.data()) {
    const feature = view.data().features.find((f) => f.properties.code === code);
    if (feature) map.fitBounds(L.geoJSON(feature).getBounds(), { animate: false, padding: [16, 16] });
  }
}

function selectAreaOnMap(feature, layer, event) {
  const props = feature.properties;
  if (props.level === "commune") {
    if (areaCode(state) !== props.code) commit(withArea(state, props.code));
    openDetails({ ...areaDetails(props), returnTo: event.returnTo });
    return;
  }
  const next = withArea(state, props.code);
  if (state.level !== "auto") next.level = childLevel(props.level);
  commit(next);
  map.fitBounds(layer.getBounds(), { animate: false, padding: [16, 16] });
}

function areaDetails(props) {
  const href = config.urls.areaPage.replace(/_$/, props.code) + `?lang=${lang}`;
  const body = el("div", { className: "area-popup", "data-code": props.code },
    el("p", { text: ngettext("%(num)s project", "%(num)s projects", props.project_count,
      { num: formatNumber(props.project_count) }) }),
    el("p", { text: labelled(_("Budget"), formatCompactMoney(props.budget)) }),
    el("p", { text: labelled(_("Spent"), formatCompactMoney(props.expenditure)) }));
  return { title: localName(props), titleAttributes: { translate: "no" }, body,
    page: { href, text: _("Open the area page"), field: "area_page" } };
}

async function openProject(id, latlng, returnTo) {
  openDetails({ title: _("Loading…"), body: el("p", { className: "project-popup" }), returnTo });
  try {
    const record = await getJSON(apiUrl(`/projects/${encodeURIComponent(id)}`));
    if (!latlng && record.lat !== null) map.setView([record.lat, record.lon], Math.max(map.getZoom(), 14));
    openDetails(projectDetails(record));
  } catch (error) {
    openDetails({ title: _("The project could not be loaded"), body: el("p", { text: error.message }) });
  }
}

function bindControls() {
  const set = (changes) => commit({ ...state, ...changes });
  ui.layer.addEventListener("change", () => {
    const layer = ui.layer.value;
    set({ layer, ...(state.level !== "auto" && !layerLevels(layer).includes(state.level) ? { level: "auto" } : {}) });
  });
  ui.level.addEventListener("change", () => set({ level: ui.level.value }));
  for (const input of [ui.yearFrom, ui.yearTo]) {
    input.addEventListener("input", () => {
      if (Number(ui.yearFrom.value) > Number(ui.yearTo.value)) {
        (input === ui.yearFrom ? ui.yearTo : ui.yearFrom).value = input.value;
      }
      showYears();
    });
    input.addEventListener("change", () => set({ yearFrom: Number(ui.yearFrom.value), yearTo: Number(ui.yearTo.value) }));
  }
  ui.sector.addEventListener("change", () => set({ sector: ui.sector.value }));
  ui.status.addEventListener("change", () => set({ status: ui.status.value }));
  ui.eia.addEventListener("change", () => set({ eia: ui.eia.value }));
  ui.reset.addEventListener("click", () => set({
    yearFrom: config.years[0], yearTo: config.years[1], sector: "", status: "", eia: "",
    province: "", district: "", commune: "",
  }));
  ui.tableButton.addEventListener("click", () => set({ view: state.view === "table" ? "map" : "table" }));
  $("#area-up").addEventListener("click", () => selectArea(parentCode(areaCode(state)), { fit: false }));
  $("#area-country").addEventListener("click", () => {
    commit(withArea(state, ""));
    map.fitBounds(config.bounds, { animate: false });
  });
  $("#share").addEventListener("click", () => {
    const input = $("#share-url");
    input.value = shareUrl(state, lang);
    input.select();
    navigator.clipboard?.writeText(input.value).catch(() => {});
  });
  setupEmbedDialog($("#embed"), $("#embed-dialog"), () => state);
}

function bindSearchAndLocate() {
  const search = setupSearch($("#search"), $("#search-results"), {
    onPlace: (place) => {
      search.clear();
      commit(withArea(state, place.code));
      map.setView([place.label[1], place.label[0]], ZOOM_FOR[place.level]);
    },
    onProject: (project) => {
      search.clear();
      if (project.lat !== null) map.setView([project.lat, project.lon], Math.max(map.getZoom(), 14));
      openProject(project.project_id, project.lat !== null ? L.latLng(project.lat, project.lon) : null, $("#search"));
    },
  });
  const result = $("#locate-result");
  let here = null;
  $("#locate-me").addEventListener("click", () => {
    if (!navigator.geolocation) {
      result.textContent = _("This browser cannot tell where you are.");
      return;
    }
    result.textContent = _("Finding where you are…");
    navigator.geolocation.getCurrentPosition(async (position) => {
      const { latitude: lat, longitude: lon } = position.coords;
      try {
        const found = await getJSON(apiUrl("/locate", { lon: lon.toFixed(6), lat: lat.toFixed(6) }));
        if (here) map.removeLayer(here);
        here = L.circleMarker([lat, lon], { radius: 8, className: "you-are-here", color: "#0b4f6c", fillOpacity: 0.9 })
          .addTo(map);
        if (!found.commune) {
          result.textContent = _("You are outside Cambodia's communes.");
          return;
        }
        result.textContent = _("You are in %(commune)s commune, %(district)s, %(province)s.", {
          commune: localName(found.commune), district: localName(found.district), province: localName(found.province),
        });
        result.dataset.code = found.commune.code;
        commit(withArea(state, found.commune.code));
        map.setView([lat, lon], ZOOM_FOR.commune);
      } catch (error) {
        result.textContent = error.message;
      }
    }, (error) => {
      result.textContent = _("Your location is not available: %(reason)s", { reason: error.message });
    }, { timeout: 15000, maximumAge: 60000 });
  });
}

function onMove() {
  const center = map.getCenter();
  state = { ...state, lat: center.lat, lon: center.lng, zoom: map.getZoom() };
  writeUrl(false);
  const shown = ui.level.querySelector(`option[value="${shownLevel(state, map.getZoom())}"]`);
  ui.level.title = _("Shown now: %(level)s", { level: shown.textContent });
  scheduleRedraw();
}

function start() {
  writeControls();
  bindControls();
  bindSearchAndLocate();
  setupLegend(ui.legend);
  setupPanel($("#panel-toggle"), $("#panel"), ui.layer);
  map.attributionControl.addAttribution(config.attribution);
  localizeControls(map);
  map.on("moveend", onMove);
  // Leaflet measures its box only when the window resizes; the box also changes when the area bar, a location
  // message or the table shows or goes: told so, it centres and fits views on the map as it is
  new ResizeObserver(() => map.invalidateSize({ pan: false })).observe(map.getContainer());
  window.addEventListener("popstate", () => {
    state = readState(location.search, config);
    writeControls();
    if (state.lat !== null && state.zoom !== null) map.setView([state.lat, state.lon], state.zoom, { animate: false });
    scheduleRedraw();
    refreshSummary();
    showAreaBar();
    showTable();
    updateLinks(state, lang);
  });
  if (state.lat === null || state.zoom === null) map.fitBounds(config.bounds, { animate: false });
  onMove();
  refreshSummary();
  showAreaBar();
}

start();
