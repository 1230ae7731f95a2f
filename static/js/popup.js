// The popup of one project: its whole open-contracting record, every value set as text, money in riel and
// US dollars (every raw value in data-value), dates for the locale, links to its page and its PID record.
import { config } from "./config.js";
import { el, isWebUrl } from "./dom.js";
import { formatDate, formatMoney, formatNumber, rateNote, MISSING } from "./format.js";
import { _, lang } from "./i18n.js";
import { localName } from "./layers.js";

const vocabulary = (name, code) => (code ? (config.vocabulary[name] || {})[code] || code : MISSING);
const yesNo = (value) => (value === true ? _("Yes") : value === false ? _("No") : MISSING);

const FIELDS = [
  ["sector", _("Sector"), (r) => vocabulary("sector", r.sector)],
  ["project_type", _("Type of work"), (r) => vocabulary("project_type", r.project_type)],
  ["status", _("Status"), (r) => vocabulary("status", r.status)],
  ["fiscal_year", _("Fiscal year"), (r) => String(r.fiscal_year ?? MISSING)],
  ["budget", _("Budget"), (r) => formatMoney(r.budget)],
  ["contract_value", _("Contract value"), (r) => formatMoney(r.contract_value)],
  ["expenditure", _("Actual expenditure"), (r) => formatMoney(r.expenditure)],
  ["planned_start", _("Planned start"), (r) => formatDate(r.planned_start)],
  ["planned_end", _("Planned end"), (r) => formatDate(r.planned_end)],
  ["actual_start", _("Actual start"), (r) => formatDate(r.actual_start)],
  ["actual_end", _("Actual end"), (r) => formatDate(r.actual_end)],
  ["contract_number", _("Contract number"), (r) => r.contract_number || MISSING],
  ["awarded_tenderer", _("Awarded tenderer"), (r) => r.awarded_tenderer || MISSING],
  ["number_of_bidders", _("Number of bidders"), (r) => formatNumber(r.number_of_bidders)],
  ["eia_required", _("EIA required"), (r) => yesNo(r.eia_required)],
  ["eia_status", _("EIA status"), (r) => vocabulary("eia_status", r.eia_status)],
  ["location_precision", _("Location precision"), (r) => vocabulary("location_precision", r.location_precision)],
];

function place(record) {
  return ["commune", "district", "province"]
    .map((level) => localName({ name_km: record[`${level}_name_km`], name_en: record[`${level}_name_en`] }))
    .filter(Boolean).join(", ");
}

export function projectPopup(record) {
  const other = lang === "km" ? "en" : "km";
  const root = el("div", { className: "project-popup", "data-project-id": record.project_id });
  const title = record[`title_${lang}`] || record[`title_${other}`] || record.project_id;
  root.append(el("h3", { "data-field": `title_${lang}`, text: title }));
  root.append(el("p", { className: "other-title", lang: other, "data-field": `title_${other}`,
    text: record[`title_${other}`] || "" }));
  root.append(el("p", { className: "popup-place", text: place(record) }));
  const list = el("dl");
  for (const [field, label, show] of FIELDS) {
    const value = el("dd", { "data-field": field, text: show(record) });
    if (record[field] !== null && record[field] !== undefined) value.dataset.value = String(record[field]);
    list.append(el("div", {}, el("dt", { text: label }), value));
  }
  root.append(list, el("p", { className: "rate-note", text: rateNote() }));
  const links = el("p", { className: "popup-links" });
  const page = config.urls.projectPage.replace(/_$/, encodeURIComponent(record.project_id)) + `?lang=${lang}`;
  links.append(el("a", { href: page, "data-field": "project_page", text: _("Project page") }));
  if (isWebUrl(record.pid_url)) {
    links.append(" · ", el("a", { href: record.pid_url, "data-field": "pid_url", rel: "noopener", target: "_blank",
      text: _("PID record") }));
  }
  root.append(links);
  if (record.is_sample) root.append(el("p", { className: "sample-badge", text: _("SAMPLE") }));
  return root;
}
