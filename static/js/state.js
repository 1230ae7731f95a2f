// The map's whole state lives in the URL: reading it, writing it, and what it means for the API requests.
import { config as pageConfig } from "./config.js";

export const LAYERS = ["project_points", "project_count", "expenditure", "budget_vs_actual", "budget_by_area"];
export const LEVELS = ["province", "district", "commune"];
const CHILD = { province: "district", district: "commune", commune: "commune" };
const AREA_LEVEL = { 2: "province", 4: "district", 6: "commune" };
// Filters the API takes that have no control on the map: kept from the URL, applied, and passed on
const URL_ONLY_FILTERS = ["eia_status", "funding_source", "q"];

function parseYears(text, first, last) {
  const match = /^(\d{4})(?:-(\d{4}))?$/.exec(text || "");
  if (!match) return [first, last];
  const from = Number(match[1]);
  const to = Number(match[2] || match[1]);
  return from >= first && to <= last && from <= to ? [from, to] : [first, last];
}

function number(text) {
  if (text === null || text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

export function readState(search, config) {
  const params = new URLSearchParams(search);
  const [first, last] = config.years;
  const [yearFrom, yearTo] = parseYears(params.get("year"), first, last);
  const pick = (name, choices, fallback) => (choices.includes(params.get(name)) ? params.get(name) : fallback);
  return {
    layer: pick("layer", LAYERS, config.defaults.layer),
    level: pick("level", ["auto", ...LEVELS], "auto"),
    yearFrom, yearTo,
    province: params.get("province") || "",
    district: params.get("district") || "",
    commune: params.get("commune") || "",
    sector: params.get("sector") || "",
    status: params.get("status") || "",
    eia: pick("eia_required", ["yes", "no"], ""),
    lat: number(params.get("lat")),
    lon: number(params.get("lon")),
    zoom: number(params.get("zoom")),
    view: params.get("view") === "table" ? "table" : "map",
    more: Object.fromEntries(URL_ONLY_FILTERS.filter((name) => params.get(name)).map((name) => [name, params.get(name)])),
  };
}

export function areaCode(state) {
  return state.commune || state.district || state.province || "";
}

export function levelOf(code) {
  return code.includes(",") ? null : AREA_LEVEL[code.length] || null;
}

export function childLevel(level) {
  return CHILD[level];
}

// The levels and filters a layer takes (the budget layer: districts and communes, no project filters)
export function layerLevels(layer) {
  return ((pageConfig.layers || {})[layer] || {}).levels || LEVELS;
}

export function layerTakes(layer, filter) {
  const filters = ((pageConfig.layers || {})[layer] || {}).filters;
  return !filters || filters.includes(filter);
}

// auto: the deepest of the zoom's level (province < 8, district < 10, commune from 10), the level below the area
// and the layer's coarsest level
export function shownLevel(state, zoom) {
  if (state.level !== "auto") return state.level;
  const byZoom = zoom < 8 ? "province" : zoom < 10 ? "district" : "commune";
  const area = levelOf(areaCode(state));
  const byArea = area ? CHILD[area] : "province";
  const deepest = [byZoom, byArea, layerLevels(state.layer)[0]].map((level) => LEVELS.indexOf(level));
  return LEVELS[Math.max(...deepest)];
}

export function filterParams(state, config, { withArea = true } = {}) {
  const params = {};
  const [first, last] = config.years;
  if (state.yearFrom !== first || state.yearTo !== last) {
    params.year = state.yearFrom === state.yearTo ? String(state.yearFrom) : `${state.yearFrom}-${state.yearTo}`;
  }
  if (withArea) {
    for (const level of LEVELS) if (state[level]) params[level] = state[level];
  }
  if (state.sector) params.sector = state.sector;
  if (state.status) params.status = state.status;
  if (state.eia) params.eia_required = state.eia;
  // a filter the layer does not apply stays in the state (for the next layer) but is neither sent nor written
  return Object.fromEntries(Object.entries({ ...params, ...state.more }).filter(([name]) => layerTakes(state.layer, name)));
}

// Everything, in the order people read it: what, where, when, position, language
export function stateParams(state, config, lang) {
  const params = new URLSearchParams({ layer: state.layer, level: state.level, ...filterParams(state, config) });
  if (state.lat !== null && state.lon !== null && state.zoom !== null) {
    params.set("lat", state.lat.toFixed(4));
    params.set("lon", state.lon.toFixed(4));
    params.set("zoom", String(state.zoom));
  }
  if (state.view !== "map") params.set("view", state.view);
  params.set("lang", lang);
  return params;
}

export function withArea(state, code) {
  const level = code ? levelOf(code) : null;
  const next = { ...state, province: "", district: "", commune: "" };
  if (level) next[level] = code;
  return next;
}

export function parentCode(code) {
  return code.length > 2 ? code.slice(0, code.length - 2) : "";
}
