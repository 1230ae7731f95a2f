// Numbers, money (riel, and US dollars at the configured rate) and dates as Babel writes them on the server:
// the page's config carries the locale's symbols, compact patterns, date pattern and month names, because
// browsers' Intl often has no Khmer data (it would write "45G" where Babel writes "45.2 ប៊ីលាន").
import { config } from "./config.js";
import { _ } from "./i18n.js";

export const MISSING = "—";
const locale = config.locale || {
  group: ",", decimal: ".", usd: "$", compact: { other: {} },
  datePattern: "d MMM y", months: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
};
const missing = (value) => value === null || value === undefined || Number.isNaN(value);

function groupDigits(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, locale.group);
}

// Babel rounds half to even (Python's Decimal): 48.05 million is "48 million", not "48.1"
function roundHalfEven(value, digits) {
  const scaled = value * 10 ** digits;
  const floor = Math.floor(scaled);
  const tie = Math.abs(scaled - floor - 0.5) < 1e-9;
  return (tie ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(scaled)) / 10 ** digits;
}

// up to `digits` decimals, trailing zeros dropped, grouped unless told not to
function decimal(value, digits, grouped = true) {
  const [whole, fraction] = Math.abs(roundHalfEven(value, digits)).toFixed(digits).split(".");
  const trimmed = (fraction || "").replace(/0+$/, "");
  const text = (grouped ? groupDigits(whole) : whole) + (trimmed ? locale.decimal + trimmed : "");
  return (value < 0 && Number(text.replace(/\D/g, "")) !== 0 ? "-" : "") + text;
}

// Babel's format_compact_decimal: the largest magnitude not above the value picks the pattern ("00 ប៊ីលាន")
function compactWith(table, value) {
  const magnitudes = Object.keys(table.other || {}).map(Number).sort((a, b) => b - a);
  for (const magnitude of magnitudes) {
    if (Math.abs(value) < magnitude) continue;
    const pattern = table.other[String(magnitude)];
    const zeros = (pattern.match(/0/g) || []).length;
    if (pattern === "0") break;
    const scaled = roundHalfEven(value / (magnitude / 10 ** (zeros - 1)), 1);
    const form = scaled === 1 && table.one ? "one" : "other";
    return table[form][String(magnitude)].replace(/0+/, decimal(scaled, 1, false));
  }
  return null;
}

export function formatNumber(value, digits = 0) {
  return missing(value) ? MISSING : decimal(value, digits);
}

// as locale.py: from a million on, the words readers use ("988 លាន", "1.5 ប៊ីលាន", "45.2 billion")
const SHORT_FROM = 1e6;

export function formatCompactNumber(value) {
  if (missing(value)) return MISSING;
  return Math.abs(value) < SHORT_FROM ? decimal(value, 0) : compactWith(locale.compact, value) || decimal(value, 0);
}

export function formatRiel(value) {
  return missing(value) ? MISSING : _("%(amount)s riel", { amount: decimal(value, 0) });
}

// "$976"; the short form: "$241,000", "$11 million" ("$11 លាន")
export function formatUsd(riel, shortForm = false) {
  if (missing(riel)) return MISSING;
  const usd = riel / config.usdRate;
  if (shortForm && Math.abs(usd) >= SHORT_FROM) return locale.usd + formatCompactNumber(usd);
  if (shortForm && Math.abs(usd) >= 10000) return locale.usd + decimal(roundHalfEven(usd / 1000, 0) * 1000, 0);
  return locale.usd + decimal(usd, 0);
}

export function formatMoney(riel) {
  if (missing(riel)) return MISSING;
  return _("%(riel)s (≈ %(usd)s)", { riel: formatRiel(riel), usd: formatUsd(riel) });
}

// riel first in words, dollars beside: "45.2 ប៊ីលាន រៀល (≈ $11 លាន)"
export function formatCompactMoney(riel) {
  if (missing(riel)) return MISSING;
  const amount = _("%(amount)s riel", { amount: formatCompactNumber(riel) });
  return _("%(riel)s (≈ %(usd)s)", { riel: amount, usd: formatUsd(riel, true) });
}

function span(low, high, show) {
  const [a, b] = [low, high].map((value) => (missing(value) ? null : show(value)));
  if (a === null) return `≤ ${b}`;
  if (b === null) return `> ${a}`;
  return `${a} – ${b}`;
}

// A legend class as locale.py's format_range writes it; kind: "money", "share" or "count"
export function formatRange(low, high, kind) {
  if (kind === "share") return span(low, high, formatPercent);
  if (kind !== "money") return span(low, high, (value) => formatNumber(value, 2));
  const riel = _("%(amount)s riel", { amount: span(low, high, formatCompactNumber) });
  return _("%(riel)s (≈ %(usd)s)", { riel, usd: span(low, high, (value) => formatUsd(value, true)) });
}

export function formatPercent(ratio) {
  return missing(ratio) ? MISSING : `${decimal(ratio * 100, 0)}%`;
}

// The locale's medium date pattern ("d MMM y" in Khmer, "MMM d, y" in English)
export function formatDate(iso) {
  if (!iso) return MISSING;
  const [year, month, day] = iso.split("-").map(Number);
  return locale.datePattern.replace(/'([^']*)'|d+|M+|y+/g, (token, quoted) => {
    if (quoted !== undefined) return quoted;
    if (token[0] === "d") return String(day).padStart(token.length, "0");
    if (token[0] === "y") return token.length === 2 ? String(year).slice(-2) : String(year);
    return token.length >= 3 ? locale.months[month - 1] : String(month).padStart(token.length, "0");
  });
}

// "label: value" with the language's colon (Khmer writes ៖)
export function labelled(label, value) {
  return _("%(label)s: %(value)s", { label, value });
}

export function rateNote() {
  return _("1 US dollar = %(rate)s riel", { rate: decimal(config.usdRate, 0) });
}
