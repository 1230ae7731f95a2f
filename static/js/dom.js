// Building DOM nodes with text only (never innerHTML), so names and titles from the data cannot inject markup.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// A link from the data (PID record, EIA document) is shown only for http(s), whatever the database holds.
export function isWebUrl(text) {
  try {
    return ["http:", "https:"].includes(new URL(String(text)).protocol);
  } catch {
    return false;
  }
}

const SVG = "http://www.w3.org/2000/svg";

export function svgEl(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== null) node.textContent = text;
  return node;
}
