// bpmn-js-token-simulation (0.39.4) writes its words straight into its HTML (the palette's tooltips, the log, the
// notifications, the context pads' buttons) and never calls bpmn-js's translate. Rather than patch the package,
// its nodes (classes bts-*) are watched on the canvas and their text and tooltips passed through translate
// (the words are in translations-ru.js with the others). Only the package's nodes: the diagram is not touched.
const OWN = '[class*="bts-"]';
const ATTRIBUTES = ["title", "aria-label"];
// Its texts built around a value: the speed, a process instance's number, a (sub)process's name.
const PATTERNS = [
  [/^Set animation speed = (\w+)$/, "Set animation speed = {speed}", (m, t) => ({ speed: t(m[1]) })],
  [/^Focus process instance (.+)$/, "Focus process instance {id}", (m) => ({ id: m[1] })],
  [/^(.+) (started|finished|canceled)$/, "{name} $2", (m, t) => ({ name: t(m[1]) })]
];

export function russianText(text, translate) {
  const words = text.trim();
  if (!words) return text;
  let found = translate(words);
  for (const [pattern, template, values] of PATTERNS) {
    const match = found === words && words.match(pattern);
    if (match) found = translate(template.replace("$2", match[2]), values(match, translate));
  }
  return found === words ? text : text.replace(words, found);
}

function russify(node, translate) {
  if (node.nodeType === Node.TEXT_NODE) {
    const text = russianText(node.data, translate);
    if (text !== node.data) node.data = text;
    return;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return;
  for (const element of [node, ...node.querySelectorAll("*")]) {
    for (const name of ATTRIBUTES) {
      const value = element.getAttribute(name);
      const text = value && russianText(value, translate);
      if (text && text !== value) element.setAttribute(name, text);
    }
  }
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) russify(text, translate);
}

function visit(node, translate) {
  const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  if (!element) return;
  if (element.closest(OWN)) return russify(node, translate);
  if (node === element) element.querySelectorAll(OWN).forEach((own) => russify(own, translate));
}

function TokenSimulationRussian(canvas, translate, eventBus) {
  const container = canvas.getContainer();
  const observer = new MutationObserver((records) => {
    for (const record of records) record.addedNodes.forEach((node) => visit(node, translate));
  });
  observer.observe(container, { childList: true, subtree: true });
  // what the package built before the observer started (its palette, its log)
  eventBus.on("diagram.init", 100, () => visit(container, translate));
  eventBus.on("diagram.destroy", () => observer.disconnect());
}
TokenSimulationRussian.$inject = ["canvas", "translate", "eventBus"];

export const tokenSimulationRussianModule = {
  __init__: ["tokenSimulationRussian"],
  tokenSimulationRussian: ["type", TokenSimulationRussian]
};
