// "Embed this map": the code to paste (share.js) and a live preview of it, an iframe of the embed sized by
// the height it posts, as the resize script does on the host page.
import { lang } from "./i18n.js";
import { embedCode, embedUrl } from "./share.js";

export function setupEmbedDialog(button, dialog, currentState) {
  const code = dialog.querySelector("#embed-code");
  const preview = dialog.querySelector("#embed-preview");
  window.addEventListener("message", (event) => {
    if (event.origin !== location.origin || event.source !== preview.contentWindow) return;
    if (event.data && event.data.type === "mapservice:height" && Number.isFinite(event.data.height)) {
      preview.style.height = `${event.data.height}px`;
    }
  });
  button.addEventListener("click", () => {
    const state = currentState();
    code.value = embedCode(state, lang);
    const src = embedUrl(state, lang);
    if (preview.src !== src) preview.src = src;
    dialog.showModal();
    code.select();
  });
}
