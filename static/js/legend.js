// The legend: the layer's title and one .legend-class per class with the API's class bounds in the short
// forms (money: riel in words, ≈ US dollars beside). It folds away behind its button, folded at first on a
// phone, so that it never hides the map's details or its zoom buttons.
import { el } from "./dom.js";
import { formatRange } from "./format.js";
import { _ } from "./i18n.js";
import { NO_DATA_COLOR } from "./layers.js";

export const POINT_COLOR = "#d95f02";
const PHONE = window.matchMedia("(max-width: 600px)");

function item(className, color, text, extra = {}) {
  return el("li", { className, ...extra }, el("span", { className: "swatch", style: `background:${color}` }),
    el("span", { text }));
}

export function setupLegend(root) {
  const button = root.querySelector(".legend-toggle");
  const body = root.querySelector(".legend-body");
  const fold = (open) => {
    button.setAttribute("aria-expanded", String(open));
    body.hidden = !open;
  };
  fold(!PHONE.matches);
  button.addEventListener("click", () => fold(body.hidden));
  L.DomEvent.disableClickPropagation(root);
  L.DomEvent.disableScrollPropagation(root);
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
  const kind = data.aggregated ? "count" : layerInfo.legendKind;
  for (const row of data.legend.classes) {
    list.append(item("legend-class", row.color, formatRange(row.min, row.max, kind),
      { "data-min": row.min ?? "", "data-max": row.max ?? "" }));
  }
  if (!data.aggregated && data.features.some((feature) => feature.properties.value === null)) {
    list.append(item("legend-nodata", NO_DATA_COLOR, _("No data")));
  }
}
