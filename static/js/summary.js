// The summary of the current area and filters: projects, budget, spent (raw numbers in data-value), the top
// sectors, two small charts, and one plain sentence for the table view.
import { barChart } from "./charts.js";
import { config } from "./config.js";
import { el } from "./dom.js";
import { formatCompactMoney, formatCompactNumber, formatNumber, labelled } from "./format.js";
import { _, ngettext } from "./i18n.js";
import { localName } from "./layers.js";

const TOP_SECTORS = 3;

function setFigure(root, name, value, text) {
  const node = root.querySelector(`[data-summary="${name}"]`);
  node.dataset.value = String(value);
  node.textContent = text;
}

export function placeName(profile) {
  return profile.level === "country" ? _("Cambodia") : localName(profile);
}

export function renderSummary(root, profile) {
  const totals = profile.totals;
  root.querySelector("#summary-place").textContent = placeName(profile);
  setFigure(root, "projects", totals.project_count, formatNumber(totals.project_count));
  setFigure(root, "budget", totals.budget, formatCompactMoney(totals.budget));
  setFigure(root, "spent", totals.expenditure, formatCompactMoney(totals.expenditure));
  const sectors = [...profile.by_sector].sort((a, b) => b.project_count - a.project_count || a.sector.localeCompare(b.sector));
  root.querySelector('[data-summary="top-sectors"]').replaceChildren(...sectors.slice(0, TOP_SECTORS).map((row) =>
    el("li", { "data-sector": row.sector, "data-value": row.project_count,
      text: labelled(config.vocabulary.sector[row.sector] || row.sector,
        ngettext("%(num)s project", "%(num)s projects", row.project_count, { num: formatNumber(row.project_count) })) })));
  barChart(root.querySelector("#chart-years"), profile.by_year.map((row) => ({
    key: row.fiscal_year, label: String(row.fiscal_year), value: row.expenditure, text: formatCompactNumber(row.expenditure),
  })), _("Spending per year"));
  barChart(root.querySelector("#chart-sectors"), [...profile.by_sector].sort((a, b) => b.expenditure - a.expenditure).map((row) => ({
    key: row.sector, label: config.vocabulary.sector[row.sector] || row.sector, value: row.expenditure,
    text: formatCompactNumber(row.expenditure),
  })), _("Spending by sector"));
}

export function summarySentence(profile, state) {
  const count = profile.totals.project_count;
  const place = placeName(profile);
  if (!count) return _("No projects in %(place)s match these filters.", { place });
  const values = {
    projects: ngettext("%(num)s project", "%(num)s projects", count, { num: formatNumber(count) }),
    place, money: formatCompactMoney(profile.totals.expenditure), year: state.yearFrom, first: state.yearFrom, last: state.yearTo,
  };
  return state.yearFrom === state.yearTo
    ? _("In %(year)s, %(projects)s in %(place)s cost %(money)s.", values)
    : _("From %(first)s to %(last)s, %(projects)s in %(place)s cost %(money)s.", values);
}
