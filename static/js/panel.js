// The "Layer, years and filters" button on the map: on a phone, where the panel sits below the map, it opens
// the panel over the map (focus on its first control); its close button or Escape puts it back and returns
// the focus to the button. On a wide screen the panel is always beside the map and the button is hidden.
export function setupPanel(toggle, panel, first) {
  const close = panel.querySelector(".panel-close");
  const show = (open) => {
    panel.classList.toggle("open", open);
    document.body.classList.toggle("panel-open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) first.focus();
    else toggle.focus({ preventScroll: true });
  };
  toggle.addEventListener("click", () => show(!panel.classList.contains("open")));
  close.addEventListener("click", () => show(false));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panel.classList.contains("open")) {
      event.preventDefault();
      event.stopPropagation();
      show(false);
    }
  });
  if (window.L) L.DomEvent.disableClickPropagation(toggle);
}
