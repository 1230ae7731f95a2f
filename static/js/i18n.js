// Every string of the JS modules goes through _() or ngettext(): pybabel extracts them from these files, and
// the template renders their translations (from the km/en catalogues) into the #messages JSON block.
const block = document.getElementById("messages");
const catalogue = block ? JSON.parse(block.textContent) : { messages: {}, plurals: {} };

export const lang = document.documentElement.lang || "km";

function fill(text, params) {
  if (!params) return text;
  return text.replace(/%\((\w+)\)s/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

export function _(msgid, params) {
  return fill(catalogue.messages[msgid] || msgid, params);
}

export function ngettext(singular, plural, count, params) {
  const forms = catalogue.plurals[singular] || [singular, plural];
  return fill(count === 1 ? forms[0] : forms[1], params);
}
