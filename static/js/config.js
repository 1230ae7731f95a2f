// The page's settings (API URLs, language, rate, labels), rendered by the template as a JSON block.
const block = document.getElementById("app-config");
export const config = block ? JSON.parse(block.textContent) : {};
