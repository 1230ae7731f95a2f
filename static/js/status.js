// The map's own loading and failure line: a moving bar while a layer loads, a message with a "Try again"
// button when a request failed or the connection is lost (and a retry once it is back).
// #map-status[data-state] is "idle", "loading", "empty" or "error".
import { _ } from "./i18n.js";

export function createStatus(root, retry) {
  const text = root.querySelector(".map-status-text");
  const button = root.querySelector(".map-retry");
  button.addEventListener("click", retry);
  if (window.L) L.DomEvent.disableClickPropagation(root);

  function show(state, message = "") {
    root.dataset.state = state;
    text.textContent = message;
    button.hidden = state !== "error";
  }

  window.addEventListener("offline", () => show("error", _("You are offline: the map will load when the connection is back.")));
  window.addEventListener("online", () => retry());

  return {
    loading: () => show("loading", _("Loading the map…")),
    done: (empty) => show(empty ? "empty" : "idle", empty ? _("No projects match these filters.") : ""),
    failed: (reason) => show("error", navigator.onLine === false
      ? _("You are offline: the map will load when the connection is back.")
      : _("The map could not be loaded: %(reason)s", { reason })),
  };
}
