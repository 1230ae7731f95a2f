// Reading the JSON API: URLs from the page's config, responses kept per URL for the life of the page; a
// request that never reached the server fails with a message in the page's language.
import { config } from "./config.js";
import { _ } from "./i18n.js";

const responses = new Map();
const KEEP = 60;

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

export async function getJSON(url) {
  if (responses.has(url)) return responses.get(url);
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (error) {
    throw new ApiError(_("the service could not be reached (check the connection)"), 0);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(body.error || response.statusText, response.status);
  responses.set(url, body);
  if (responses.size > KEEP) responses.delete(responses.keys().next().value);
  return body;
}
