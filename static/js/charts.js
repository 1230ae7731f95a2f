// Small SVG bar charts (one rect per bar with its raw value in data-value); a label line above each bar so
// that long Khmer sector names fit on a phone.
import { svgEl } from "./dom.js";
import { labelled } from "./format.js";

const ROW = 40;
const BAR = 200;

export function barChart(svg, rows, title) {
  // rows: {key, label, value, text}
  const top = Math.max(0, ...rows.map((row) => row.value));
  svg.replaceChildren(svgEl("title", {}, title));
  svg.setAttribute("viewBox", `0 0 320 ${rows.length * ROW + 4}`);
  rows.forEach((row, index) => {
    const y = index * ROW;
    const width = top ? Math.round((row.value / top) * BAR * 10) / 10 : 0;
    svg.append(svgEl("text", { x: 0, y: y + 14, class: "chart-label" }, row.label));
    const rect = svgEl("rect", { x: 0, y: y + 20, width, height: 14, "data-key": row.key, "data-value": row.value });
    rect.append(svgEl("title", {}, labelled(row.label, row.text)));
    svg.append(rect, svgEl("text", { x: width + 4, y: y + 32, class: "chart-value" }, row.text));
  });
}
