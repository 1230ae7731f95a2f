// The details of one project: its whole open-contracting record, every value set as text, money in the short
// form (riel first, ≈ US dollars beside; every raw value in data-value), dates for the locale, and the links to
// its page (in the details' bar, always in view) and its PID record.
import { config } from "./config.js";
import { el, isWebUrl } from "./dom.js";
import { formatCompactMoney, formatDate, formatNumber, rateNote, MISSING } from "./format.js";
import { _, lang } from "./i18n.js";
import { localName } from "./layers.js";

const vocabulary = (name, code) => (code ? (config.vocabulary[name] || {})[code] || code : MISSING);
const yesNo = (value) => (value === true ? _("Yes") : value === false ? _("No") : MISSING);
// values from the records (names, numbers, companies) are not UI text: translate="no" tells the Khmer check too
const DATA_FIELDS = new Set(["fiscal_year", "contract_number", "awarded_tenderer", "number_of_bidders"]);

const FIELDS = [
  ["sector", _("Sector"), (r) => vocabulary("sector", r.sector)],
  ["project_type", _("Type of work"), (r) => vocabulary("project_type", r.project_type)],
  ["status", _("Status"), (r) => vocabulary("status", r.status)],
  ["fiscal_year", _("Fiscal year"), (r) => String(r.fiscal_year ?? MISSING)],
  ["budget", _("Budget"), (r) => formatCompactMoney(r.budget)],
  ["contract_value", _("Contract value"), (r) => formatCompactMoney(r.contract_value)],
  ["expenditure", _("Actual expenditure"), (r) => formatCompactMoney(r.expenditure)],
  ["planned_start", _("Planned start"), (r) => formatDate(r.planned_start)],
  ["planned_end", _("Planned end"), (r) => formatDate(r.planned_end)],
  ["actual_start", _("Actual start"), (r) => formatDate(r.actual_start)],
  ["actual_end", _("Actual end"), (r) => formatDate(r.actual_end)],
  ["contract_number", _("Contract number"), (r) => r.contract_number || MISSING],
  ["awarded_tenderer", _("Awarded tenderer"), (r) => r.awarded_tenderer || MISSING],
  ["number_of_bidders", _("Number of bidders"), (r) => formatNumber(r.number_of_bidders)],
  ["eia_required", _("Environmental impact assessment required"), (r) => yesNo(r.eia_required)],
  ["eia_status", _("Environmental impact assessment"), (r) => vocabulary("eia_status", r.eia_status)],
  ["location_precision", _("Location precision"), (r) => vocabulary("location_precision", r.location_precision)],
];

function place(record) {
  return ["commune", "district", "province"]
    .map((level) => localName({ name_km: record[`${level}_name_km`], name_en: record[`${level}_name_en`] }))
    .filter(Boolean).join(", ");
}

export function projectPageUrl(id) {
  return config.urls.projectPage.replace(/_$/, encodeURIComponent(id)) + `?lang=${lang}`;
}

// {title, body, page} for details.js
export function projectDetails(record) {
  const other = lang === "km" ? "en" : "km";
  const root = el("div", { className: "project-popup", "data-project-id": record.project_id });
  const title = record[`title_${lang}`] || record[`title_${other}`] || record.project_id;
  root.append(el("p", { className: "other-title", lang: other, translate: "no", "data-field": `title_${other}`,
    text: record[`title_${other}`] || "" }));
  root.append(el("p", { className: "popup-place", translate: "no", text: place(record) }));
  if (record.is_sample) root.append(el("p", { className: "sample-badge", text: _("SAMPLE") }));
  const list = el("dl");
  for (const [field, label, show] of FIELDS) {
    const value = el("dd", { "data-field": field, translate: DATA_FIELDS.has(field) ? "no" : null, text: show(record) });
    if (record[field] !== null && record[field] !== undefined) value.dataset.value = String(record[field]);
    list.append(el("div", {}, el("dt", { text: label }), value));
  }
  root.append(list, el("p", { className: "rate-note", text: rateNote() }));
  const links = el("p", { className: "popup-links" });
  if (record.district_code && record.fiscal_year) {
    // the district's budget infographic of the project's year: /areas/<district>/budget/<year>
    const budget = config.urls.areaPage.replace(/_$/, encodeURIComponent(record.district_code))
      + `/budget/${record.fiscal_year}?lang=${lang}`;
    links.append(el("a", { href: budget, "data-field": "budget_page", text: _("District budget") }));
  }
  if (isWebUrl(record.pid_url)) {
    const pid = record.pid_reference ? labelledPid(record.pid_reference) : _("Record in the Project Implementation Database");
    if (links.childNodes.length) links.append(" · ");
    links.append(el("a", { href: record.pid_url, "data-field": "pid_url", rel: "noopener", target: "_blank", text: pid }));
  }
  if (links.childNodes.length) root.append(links);
  const titleAttributes = { translate: "no", "data-field": `title_${lang}` };
  return { title, titleAttributes, body: root, page: { href: projectPageUrl(record.project_id), text: _("Open the project page"),
    field: "project_page" } };
}

function labelledPid(reference) {
  return _("Record %(number)s in the Project Implementation Database", { number: reference });
}
