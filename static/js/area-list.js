// "Areas in this view": the areas (or projects and clusters) drawn in the map's view as one list, the keyboard's
// and screen readers' way into the map. The list is one Tab stop; the arrow keys (and Home, End) move along it
// and outline the area on the map; Enter or a click selects it as a click on the map would.
import { el } from "./dom.js";
import { _, ngettext } from "./i18n.js";
import { formatNumber } from "./format.js";

const MAX_ITEMS = 150;
const collator = new Intl.Collator();

export function createAreaList(root, map) {
  const list = root.querySelector("ul");
  const note = root.querySelector(".area-list-note");
  let entries = [];
  let highlighted = null;

  // the focused entry's shape outlined (an area, or a project drawn on the canvas), then given its weight back
  function highlight(entry) {
    if (highlighted && highlighted.layer.setStyle) highlighted.layer.setStyle({ weight: highlighted.weight });
    highlighted = entry;
    if (entry && entry.layer.setStyle) {
      entry.weight = entry.layer.options.weight;
      entry.layer.setStyle({ weight: 4 });
      if (entry.layer.bringToFront) entry.layer.bringToFront();
    }
  }

  function move(index) {
    const buttons = [...list.querySelectorAll("button")];
    if (!buttons.length) return;
    const target = buttons[Math.max(0, Math.min(index, buttons.length - 1))];
    for (const button of buttons) button.tabIndex = button === target ? 0 : -1;
    target.focus();
  }

  list.addEventListener("keydown", (event) => {
    const buttons = [...list.querySelectorAll("button")];
    const index = buttons.indexOf(document.activeElement);
    const to = { ArrowDown: index + 1, ArrowRight: index + 1, ArrowUp: index - 1, ArrowLeft: index - 1,
      Home: 0, End: buttons.length - 1 }[event.key];
    if (to === undefined || index === -1) return;
    event.preventDefault();
    move(to);
  });
  list.addEventListener("focusin", (event) => {
    const entry = entries[Number(event.target.dataset.index)];
    if (entry) highlight(entry);
  });
  list.addEventListener("focusout", () => highlight(null));

  // entries: [{label, code?, projectId?, layer, select(button)}] of what is drawn; only those in view are listed
  function update(all) {
    const view = map.getBounds();
    const inView = all.filter((entry) => (entry.layer.getBounds ? view.intersects(entry.layer.getBounds())
      : view.contains(entry.layer.getLatLng())));
    inView.sort((a, b) => collator.compare(a.label, b.label)); // tens of thousands at a dense street zoom
    entries = inView.slice(0, MAX_ITEMS);
    const focusedIndex = list.contains(document.activeElement) ? Number(document.activeElement.dataset.index) : -1;
    list.replaceChildren(...entries.map((entry, index) => el("li", {}, el("button", {
      type: "button", tabindex: index === Math.max(0, Math.min(focusedIndex, entries.length - 1)) ? "0" : "-1",
      "data-index": index, "data-code": entry.code, "data-project-id": entry.projectId, text: entry.label,
      translate: entry.projectId ? "no" : null, // a project's title is data, not UI text
    }))));
    for (const button of list.querySelectorAll("button")) {
      button.addEventListener("click", () => entries[Number(button.dataset.index)].select(button));
    }
    note.textContent = inView.length > MAX_ITEMS
      ? _("%(shown)s of %(total)s: zoom in to list the others.", { shown: formatNumber(MAX_ITEMS), total: formatNumber(inView.length) })
      : ngettext("%(num)s in this view", "%(num)s in this view", inView.length, { num: formatNumber(inView.length) });
    if (focusedIndex !== -1) move(focusedIndex);
  }

  return { update };
}
