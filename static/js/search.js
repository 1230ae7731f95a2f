// Search places (Khmer or Latin names, spelling variants) and project titles; results are buttons.
import { apiUrl, getJSON } from "./api.js";
import { config } from "./config.js";
import { el } from "./dom.js";
import { _ } from "./i18n.js";
import { localName } from "./layers.js";

const LEVEL_NAMES = { province: _("Province"), district: _("District"), commune: _("Commune") };
const WAIT_MS = 250;

export function setupSearch(input, list, { onPlace, onProject }) {
  let timer = null;
  let sequence = 0;

  async function run() {
    const query = input.value.trim();
    const mine = ++sequence;
    if (query.length < 2) {
      list.replaceChildren();
      return;
    }
    const empty = { places: [], projects: [] };
    const [places, projects] = await Promise.all([
      getJSON(apiUrl("/places", { q: query })).catch(() => empty),
      getJSON(apiUrl("/projects", { q: query, limit: 8, sort: "-fiscal_year" })).catch(() => empty),
    ]);
    if (mine !== sequence) return;
    const items = [
      ...places.places.slice(0, 8).map((place) => el("li", {}, el("button", { type: "button", "data-code": place.code },
        el("strong", { text: localName(place) }), ` · ${LEVEL_NAMES[place.level]} ${place.code}`))),
      ...projects.projects.map((project) => el("li", {}, el("button", { type: "button", "data-project-id": project.project_id },
        el("strong", { text: localName(project, "title") || project.project_id }),
        ` · ${config.vocabulary.sector[project.sector] || project.sector}, ${project.fiscal_year}`))),
    ];
    list.replaceChildren(...(items.length ? items : [el("li", { className: "no-results", text: _("Nothing found.") })]));
    const byCode = Object.fromEntries(places.places.map((place) => [place.code, place]));
    const byId = Object.fromEntries(projects.projects.map((project) => [project.project_id, project]));
    for (const button of list.querySelectorAll("button[data-code]")) {
      button.addEventListener("click", () => onPlace(byCode[button.dataset.code]));
    }
    for (const button of list.querySelectorAll("button[data-project-id]")) {
      button.addEventListener("click", () => onProject(byId[button.dataset.projectId]));
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, WAIT_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      run();
    } else if (event.key === "Escape") {
      input.value = "";
      list.replaceChildren();
    }
  });
  return { clear: () => list.replaceChildren() };
}
