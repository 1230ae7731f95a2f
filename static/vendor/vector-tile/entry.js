// The entry of static/vendor/vector-tile/vector-tile.mjs (npm run vendor bundles it with esbuild).
export { VectorTile } from "@mapbox/vector-tile";
export { PbfReader } from "pbf";
