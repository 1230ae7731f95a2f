// The legend: the layer's title and one .legend-class per class with the exact bounds from the API's legend.
import { el } from "./dom.js";
import { formatNumber } from "./format.js";
import { _ } from "./i18n.js";
import { NO_DATA_COLOR } from "./layers.js";

export const POINT_COLOR = "#d95f02";

function boundsText(row) {
  const low = row.min === null || row.min === undefined ? null : formatNumber(row.min, 2);
  const high = row.max === null || row.max === undefined ? null : formatNumber(row.max, 2);
  if (low === null) return `≤ ${high}`;
  if (high === null) return `> ${low}`;
  return `${low} – ${high}`;
}

function item(className, color, text, extra = {}) {
  return el("li", { className, ...extra }, el("span", { className: "swatch", style: `background:${color}` }),
    el("span", { text }));
}

export function renderLegend(root, layerInfo, data) {
  const title = root.querySelector(".legend-title");
  const list = root.querySelector(".legend-classes");
  list.replaceChildren();
  if (data.aggregated) {
    title.textContent = `${layerInfo.legendTitle} · ${data.aggregated === "district" ? _("per district") : _("per commune")}`;
  } else {
    title.textContent = layerInfo.legendTitle;
  }
  if (!data.legend) {
    list.append(item("legend-item", POINT_COLOR, _("one project")));
    return;
  }
  for (const row of data.legend.classes) {
    list.append(item("legend-class", row.color, boundsText(row), { "data-min": row.min ?? "", "data-max": row.max ?? "" }));
  }
  if (!data.aggregated && data.features.some((feature) => feature.properties.value === null)) {
    list.append(item("legend-nodata", NO_DATA_COLOR, _("No data")));
  }
}
