// The details of one project or area beside the map (a card; a bottom sheet on a phone, see site.css): the
// close button and the link to its page stay in view while the rest scrolls. Opening it moves the focus to
// its title; Escape or the close button closes it and gives the focus back to where it came from.
import { el } from "./dom.js";

const root = document.getElementById("details");
const PHONE = window.matchMedia("(max-width: 600px)"); // where it is a bottom sheet (site.css)
const content = root.querySelector(".details-content");
const link = root.querySelector(".details-link");
let opener = null;

function close() {
  if (root.hidden) return;
  root.hidden = true;
  content.replaceChildren();
  document.body.classList.remove("details-open");
  // the list of areas is redrawn when the selection changes: its new button for the same area stands in
  const twin = opener && !opener.isConnected && opener.dataset.index !== undefined
    ? document.querySelector(`#areas-in-view button[data-code="${opener.dataset.code}"],`
      + ` #areas-in-view button[data-project-id="${opener.dataset.projectId}"]`) : null;
  const back = (opener && opener.isConnected ? opener : twin) || document.getElementById("map");
  opener = null;
  back.focus({ preventScroll: true });
}

// Called again while open (the record has arrived) it keeps where the focus came from.
// title: text of the heading (titleAttributes: its data-field, lang...); body: the node below it; page: {href, text, field} of the link in the bar
export function openDetails({ title, titleAttributes = {}, body, page, returnTo }) {
  if (root.hidden) opener = returnTo || (document.activeElement !== document.body ? document.activeElement : null);
  const heading = el("h2", { ...titleAttributes, id: "details-title", tabindex: "-1", text: title });
  content.replaceChildren(heading, body);
  link.hidden = !page;
  if (page) {
    link.href = page.href;
    link.textContent = page.text;
    link.dataset.field = page.field;
  }
  // a bottom sheet covers the lower part of the screen: bring the map's top (its zoom buttons) into view above it
  if (root.hidden && PHONE.matches) root.parentElement.scrollIntoView({ block: "start" });
  root.hidden = false;
  content.scrollTop = 0;
  document.body.classList.add("details-open");
  heading.focus({ preventScroll: true });
}

export function detailsOpen() {
  return !root.hidden;
}

root.querySelector(".details-close").addEventListener("click", close);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !root.hidden) {
    event.preventDefault();
    close();
  }
});
// clicks on the card must not reach the map under it
if (window.L) {
  L.DomEvent.disableClickPropagation(root);
  L.DomEvent.disableScrollPropagation(root);
}

export { close as closeDetails };
