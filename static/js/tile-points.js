// The projects at street zooms from the service's own vector tiles (/tiles/projects/{z}/{x}/{y}.mvt with the API's
// filters in the query, as the tile view applies them): the tiles covering the view, at the map's zoom up to the
// TileJSON's maxzoom (14, over-zoomed past it), decoded with the vendored @mapbox/vector-tile + pbf (loaded on first
// use) into the FeatureCollection the API's project layer gives, so that markers, the list of the view and the
// table read it alike. Tiles are cached per URL (api.js): panning fetches only the new ones.
import { getBytes } from "./api.js";
import { config } from "./config.js";

const MAX_TILE_ZOOM = 14;
const LAYER = "projects";
let decoder = null;

function tileX(lon, n) {
  return Math.floor(((lon + 180) / 360) * n);
}

function tileY(lat, n) {
  const rad = (Math.max(Math.min(lat, 85.05), -85.05) * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
}

function tileUrl(z, x, y, query) {
  const path = config.urls.projectTiles.replace("/Z/X/Y.mvt", `/${z}/${x}/${y}.mvt`);
  return path + (query ? `?${query}` : "");
}

// What the view needs: a key (same tiles and filters: nothing to redraw) and how to load them.
export function projectTiles(map, filters) {
  const z = Math.min(Math.floor(map.getZoom()), MAX_TILE_ZOOM);
  const n = 2 ** z;
  const box = map.getBounds().pad(0.25);
  const clamp = (value) => Math.max(0, Math.min(n - 1, value));
  const [x0, x1] = [clamp(tileX(box.getWest(), n)), clamp(tileX(box.getEast(), n))];
  const [y0, y1] = [clamp(tileY(box.getNorth(), n)), clamp(tileY(box.getSouth(), n))];
  const query = new URLSearchParams(filters).toString();
  const addresses = [];
  for (let x = x0; x <= x1; x += 1) for (let y = y0; y <= y1; y += 1) addresses.push({ x, y, url: tileUrl(z, x, y, query) });
  return { key: `tiles|${z}|${x0}-${x1}|${y0}-${y1}|${query}`, load: () => loadPoints(z, addresses, filters) };
}

async function loadPoints(z, addresses, filters) {
  const [{ VectorTile, PbfReader }, ...buffers] = await Promise.all([
    (decoder ||= import("../vendor/vector-tile/vector-tile.mjs")), ...addresses.map(({ url }) => getBytes(url))]);
  const features = [];
  const seen = new Set();
  addresses.forEach(({ x, y }, index) => {
    const layer = new VectorTile(new PbfReader(buffers[index])).layers[LAYER];
    for (let i = 0; layer && i < layer.length; i += 1) {
      const feature = layer.feature(i).toGeoJSON(x, y, z);
      const id = feature.properties.project_id;
      if (seen.has(id)) continue; // a point on a tile's edge is in its neighbour's buffer too
      seen.add(id);
      features.push({ type: "Feature", id, properties: feature.properties, geometry: feature.geometry });
    }
  });
  features.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { type: "FeatureCollection", layer: "project_points", aggregated: null, filters, features };
}
