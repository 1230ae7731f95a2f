// Reading the JSON API and the vector tiles: URLs from the page's config, responses kept per URL for the life of the page; a
// request that never reached the server fails with a message in the page's language.
import { config } from "./config.js";
import { _ } from "./i18n.js";

const responses = new Map();
const KEEP = 120; // JSON bodies and tiles

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export function apiUrl(path, params = {}) {
  const query = new URLSearchParams(params).toString();
  return config.urls.api.replace(/\/$/, "") + path + (query ? `?${query}` : "");
}

export function pageUrl(base, params = {}) {
  const query = new URLSearchParams(params).toString();
  return base + (query ? `?${query}` : "");
}

async function request(url, accept) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: accept } });
  } catch (error) {
    throw new ApiError(_("the service could not be reached (check the connection)"), 0);
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new ApiError(body.error || response.statusText, response.status);
  }
  return response;
}

async function kept(url, read) {
  if (responses.has(url)) return responses.get(url);
  const body = await read();
  responses.set(url, body);
  if (responses.size > KEEP) responses.delete(responses.keys().next().value);
  return body;
}

export function getJSON(url) {
  return kept(url, async () => (await request(url, "application/json")).json());
}

// a vector tile (or any binary body) as an ArrayBuffer; an empty tile is an empty buffer
export function getBytes(url) {
  return kept(url, async () => (await request(url, "application/vnd.mapbox-vector-tile")).arrayBuffer());
}
