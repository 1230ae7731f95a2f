// Names of the areas on the map, in the page's language, only where they fit: a name is drawn when its box
// fits inside its area's box on screen and overlaps no name already placed (larger areas first), so that
// commune names appear as soon as the zoom leaves them room, and never on top of each other.
import { el } from "./dom.js";
import { localName } from "./layers.js";

const FONT = "600 12px 'Noto Sans Khmer', 'Khmer OS', system-ui, sans-serif"; // as .area-label in site.css
const PADDING = 4;
const MAX_CANDIDATES = 600;
const measure = document.createElement("canvas").getContext("2d");

function textBox(text) {
  measure.font = FONT;
  return { width: measure.measureText(text).width + PADDING, height: 18 };
}

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

// [{name, point (container px), width, height}] of the names that fit, for the area layers in view
export function fittingLabels(map, areas) {
  const view = map.getBounds();
  const candidates = [];
  areas.eachLayer((layer) => {
    const bounds = layer.getBounds();
    if (!view.intersects(bounds)) return;
    const corner = map.latLngToContainerPoint(bounds.getNorthWest());
    const opposite = map.latLngToContainerPoint(bounds.getSouthEast());
    const size = { x: opposite.x - corner.x, y: opposite.y - corner.y };
    const props = layer.feature.properties;
    const at = props.label ? L.latLng(props.label[1], props.label[0]) : layer.getCenter();
    candidates.push({ name: localName(props), at, size, code: props.code });
  });
  candidates.sort((a, b) => b.size.x * b.size.y - a.size.x * a.size.y || a.code.localeCompare(b.code));
  const placed = [];
  const mapSize = map.getSize();
  for (const candidate of candidates.slice(0, MAX_CANDIDATES)) {
    const { width, height } = textBox(candidate.name);
    if (width > candidate.size.x * 0.9 || height > candidate.size.y * 0.6) continue;
    const point = map.latLngToContainerPoint(candidate.at);
    const box = { left: point.x - width / 2, right: point.x + width / 2, top: point.y - height / 2, bottom: point.y + height / 2 };
    if (box.left < 0 || box.top < 0 || box.right > mapSize.x || box.bottom > mapSize.y) continue;
    if (placed.some((other) => overlaps(box, other.box))) continue;
    placed.push({ ...candidate, box });
  }
  return placed;
}

export function drawLabels(map, group, areas) {
  group.clearLayers();
  for (const label of fittingLabels(map, areas)) {
    group.addLayer(L.tooltip({ permanent: true, direction: "center", className: "area-label", interactive: false })
      .setLatLng(label.at).setContent(el("span", { "data-code": label.code, translate: "no", text: label.name })));
  }
  return group.getLayers().length;
}
