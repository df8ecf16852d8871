// min-dom for the designer's bundle (esbuild --alias:min-dom=./webui/frontend/min-dom-csp.js): the same functions,
// but domify() takes a style="…" off the markup's root element and sets it through element.style instead. The
// app's Content-Security-Policy (style-src 'self') refuses style attributes in parsed markup, and the properties
// panel builds its two containers that way (`<div style="height: 100%" …>`); set through the CSSOM the same style is
// allowed, so the panel keeps its layout and the console no refusal.
import { domify as parse } from "../../node_modules/min-dom/dist/index.js";

export * from "../../node_modules/min-dom/dist/index.js";

const ROOT_STYLE = /^(\s*<[a-zA-Z][\w-]*\b[^>]*?)\sstyle="([^"]*)"/;

export function domify(html, doc) {
  const found = ROOT_STYLE.exec(html);
  if (!found) return parse(html, doc);
  const element = parse(html.replace(ROOT_STYLE, "$1"), doc);
  element.style.cssText = found[2];
  return element;
}
