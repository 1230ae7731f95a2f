// The table view: the areas (or projects) drawn on the map, with the same numbers.
import { config } from "./config.js";
import { el } from "./dom.js";
import { formatNumber, formatPercent, formatUsd } from "./format.js";
import { _ } from "./i18n.js";
import { localName } from "./layers.js";

// the exact riel (the column says "riel"), the dollars in the short form below; data-value holds the raw figure
function moneyCell(column, value) {
  return el("td", { className: "num money", "data-column": column, "data-value": value ?? "", text: formatNumber(value) },
    el("small", { text: `≈ ${formatUsd(value, true)}` }));
}

function header(...names) {
  return el("tr", {}, ...names.map(([text, numeric]) => el("th", { scope: "col", className: numeric ? "num" : null, text })));
}

// a dense street view holds tens of thousands of projects: the table lists this many (the map and the
// downloads have them all), with a caption that says so
const MAX_PROJECT_ROWS = 500;

export function renderTable(table, data, { onArea }) {
  const head = table.tHead;
  const body = table.tBodies[0];
  const features = [...data.features];
  table.deleteCaption();
  if (data.layer === "project_points" && !data.aggregated) {
    head.replaceChildren(header([_("Project")], [_("Year")], [_("Sector")], [_("Budget (riel)"), true], [_("Spent (riel)"), true]));
    if (features.length > MAX_PROJECT_ROWS) {
      table.createCaption().textContent = _("%(shown)s of %(total)s: zoom in to list the others.",
        { shown: formatNumber(MAX_PROJECT_ROWS), total: formatNumber(features.length) });
    }
    body.replaceChildren(...features.slice(0, MAX_PROJECT_ROWS).map(({ properties: p }) => el("tr", { "data-project-id": p.project_id },
      el("th", { scope: "row" }, el("a", { href: config.urls.projectPage.replace(/_$/, encodeURIComponent(p.project_id)),
        text: localName(p, "title") || p.project_id })),
      el("td", { text: p.fiscal_year }), el("td", { text: config.vocabulary.sector[p.sector] || p.sector }),
      moneyCell("budget", p.budget), moneyCell("spent", p.expenditure))));
    return;
  }
  if (data.layer === "budget_by_area") {
    head.replaceChildren(header([_("Area")], [_("Approved budget (riel)"), true], [_("Actual expenditure (riel)"), true],
      [_("Actual ÷ approved"), true]));
    features.sort((a, b) => localName(a.properties).localeCompare(localName(b.properties), config.lang));
    body.replaceChildren(...features.map(({ properties: p }) => el("tr", { "data-code": p.code },
      el("th", { scope: "row" }, el("button", { type: "button", className: "link", "data-code": p.code, text: localName(p) })),
      moneyCell("approved", p.approved), moneyCell("actual", p.actual),
      el("td", { className: "num", "data-value": p.value ?? "", text: formatPercent(p.value) }))));
    for (const button of body.querySelectorAll("button[data-code]")) {
      button.addEventListener("click", () => onArea(button.dataset.code));
    }
    return;
  }
  const ratio = data.layer === "budget_vs_actual";
  const columns = [[_("Area")], [_("Projects"), true], [_("Budget (riel)"), true], [_("Spent (riel)"), true]];
  head.replaceChildren(header(...columns, ...(ratio ? [[_("Spent ÷ budget"), true]] : [])));
  features.sort((a, b) => localName(a.properties).localeCompare(localName(b.properties), config.lang));
  body.replaceChildren(...features.map(({ properties: p }) => el("tr", { "data-code": p.code },
    el("th", { scope: "row" }, el("button", { type: "button", className: "link", "data-code": p.code, text: localName(p) })),
    el("td", { className: "num", "data-column": "projects", "data-value": p.project_count, text: formatNumber(p.project_count) }),
    moneyCell("budget", p.budget), moneyCell("spent", p.expenditure),
    ...(ratio ? [el("td", { className: "num", "data-value": p.value ?? "", text: formatPercent(p.value) })] : []))));
  for (const button of body.querySelectorAll("button[data-code]")) {
    button.addEventListener("click", () => onArea(button.dataset.code));
  }
}
