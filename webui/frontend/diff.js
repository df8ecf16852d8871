// Entry for esbuild (make vendor → static/vendor/diff.js): two versions of a process side by side
// (templates/designer_diff.html). Each side is drawn by bpmn-js's NavigatedViewer that knows our spiffworkflow moddle
// extension (a diagram deployed without its drawing is laid out first); what changed (version-changes.js:
// bpmn-js-differ plus our own comparison of the extension properties) is marked on both diagrams and listed in a
// table: element, what changed, the old value beside the new one. The page's words come from the server (Flask-Babel).
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import spiffworkflow from "./spiffworkflow.json";
import { withDrawing } from "./drawing.js";
import { changesBetween, describe } from "./version-changes.js";

const MARKS = { added: "diff-added", removed: "diff-removed", changed: "diff-changed", layout: "diff-layout" };
const SIGNS = { added: "+", removed: "−", changed: "≠", layout: "↔" };

function viewer(holder, words) {
  const translate = (template, replacements) => (words[template] || template)
    .replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : "{" + key + "}"));
  return new NavigatedViewer({ container: holder, moddleExtensions: { spiffworkflow },
    additionalModules: [{ translate: ["value", translate] }] });
}

function cell(tag, content, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content instanceof Node) node.append(content); else node.textContent = content ?? "—";
  return node;
}

function code(text) { return cell("code", text); }

function outermostSubProcess(element) {
  let top = null;
  for (let parent = element.$parent; parent && parent.$type === "bpmn:SubProcess"; parent = parent.$parent) {
    top = parent;
  }
  return top;
}

// The element's mark, and a mark on the collapsed sub-process of the main plane it lies in (its only trace there).
function mark(side, id, kind, words) {
  const canvas = side.get("canvas");
  const registry = side.get("elementRegistry");
  const shape = registry.get(id);
  if (!shape) return;
  canvas.addMarker(id, MARKS[kind]);
  const badge = document.createElement("span");
  badge.className = "diff-sign " + MARKS[kind];
  badge.textContent = SIGNS[kind];
  badge.setAttribute("role", "img");
  badge.setAttribute("aria-label", words.changes[kind]);
  badge.title = words.changes[kind];
  side.get("overlays").add(id, { position: { top: -10, right: 10 }, html: badge });
  const top = outermostSubProcess(shape.businessObject);
  if (top && registry.get(top.id) && canvas.findRoot(shape) !== canvas.findRoot(registry.get(top.id))) {
    canvas.addMarker(top.id, "diff-inside");
  }
}

function typeName(type, words) { return words.types[type.replace(/^bpmn:/, "")] || type.replace(/^bpmn:/, ""); }

function propertyName(key, words) {
  const base = key.replace(/#\d+$/, "");
  if (words.properties[base]) return document.createTextNode(words.properties[base]);
  if (base.startsWith("spiffworkflow:")) {  // a property our engine does not name: the name as written
    const span = document.createElement("span");
    span.append(words.property + " ", code(base.slice("spiffworkflow:".length)));
    return span;
  }
  return code(base);
}

// Attributes of the BPMN schema that are yes or no (moddle reads them as booleans).
const YES_OR_NO = new RegExp("(^|\\.)(cancelActivity|isInterrupting|isExecutable|isSequential|parallelMultiple"
  + "|isForCompensation|triggeredByEvent|isImmediate)$");

function value(text, key, words) {
  if (text === null || text === undefined) return cell("span", "—", "muted");
  if (YES_OR_NO.test(key) && (text === "true" || text === "false")) {
    return cell("span", text === "true" ? words.yes : words.no);
  }
  if (key === "$type" || key.startsWith("eventDefinition")) return cell("span", typeName(text, words));
  return cell("pre", code(text), "diff-value");  // expressions, scripts, names: as written, in <code>
}

function elementCell(element, words) {
  const holder = document.createElement("div");
  holder.append(cell("span", typeName(element.$type, words), "diff-type"), " ");
  if (element.name) holder.append(cell("strong", element.name), " ");
  holder.append(code(element.id));
  return holder;
}

function row(change, id, element, property, before, after, words) {
  const tr = document.createElement("tr");
  tr.dataset.element = id;
  tr.dataset.change = change;
  if (property) tr.dataset.property = property;
  tr.append(cell("td", elementCell(element, words)), cell("td", words.changes[change], "diff-kind " + MARKS[change]),
    cell("td", property ? propertyName(property, words) : "—"), cell("td", before), cell("td", after));
  return tr;
}

function propertyList(properties, words) {
  const list = document.createElement("ul");
  list.className = "diff-properties";
  for (const [key, text] of properties) {
    if (key === "$type") continue;
    const item = document.createElement("li");
    item.append(propertyName(key, words), ": ", value(text, key, words));
    list.append(item);
  }
  return list.children.length ? list : cell("span", "—", "muted");
}

function byName(a, b) {
  return ((a.element || a.new).name || a.id).localeCompare((b.element || b.new).name || b.id, "ru");
}

function table(changes, words) {
  const body = document.querySelector("#diff-changes tbody");
  const rows = [];
  for (const c of changes.removed.sort(byName)) {
    rows.push(row("removed", c.id, c.element, null, propertyList(c.properties, words), null, words));
  }
  for (const c of changes.added.sort(byName)) {
    rows.push(row("added", c.id, c.element, null, null, propertyList(c.properties, words), words));
  }
  for (const c of changes.changed.sort(byName)) {
    for (const d of c.differences) {
      const before = value(d.old, d.property, words), after = value(d.new, d.property, words);
      rows.push(row("changed", c.id, c.new, d.property, before, after, words));
    }
  }
  for (const c of changes.layout.sort(byName)) rows.push(row("layout", c.id, c.element, null, null, null, words));
  body.replaceChildren(...rows);
  return rows.length;
}

// Opening a sub-process (or going back) on one side opens the same on the other, each fitted to its pane.
function follow(from, to) {
  from.on("root.set", ({ element }) => {
    const canvas = to.get("canvas");
    const twin = to.get("elementRegistry").get(element.id);
    if (twin && canvas.getRootElement() !== twin) canvas.setRootElement(twin);
    fitBelowBreadcrumbs(from.get("canvas"));
  });
}

// A sub-process's plane has the breadcrumbs over its top edge: fitted a little smaller and lower, nothing of it is
// hidden under them.
function fitBelowBreadcrumbs(canvas) {
  canvas.zoom("fit-viewport");
  canvas.zoom(canvas.zoom() * 0.8, { x: 0, y: 0 });
  canvas.scroll({ dx: 8, dy: 64 });
}

async function start() {
  const dataNode = document.getElementById("diff-data");
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const page = document.getElementById("diff");
  const sides = { old: viewer(document.getElementById("diff-old"), data.words.viewer),
    new: viewer(document.getElementById("diff-new"), data.words.viewer) };
  try {
    const moddle = sides.old.get("moddle");
    // The diff reads the files as deployed (the drawing added for the viewers would count as layout changes).
    const [before, after] = await Promise.all([moddle.fromXML(data.old.xml), moddle.fromXML(data.new.xml)]);
    await sides.old.importXML(await withDrawing(data.old.xml));
    await sides.new.importXML(await withDrawing(data.new.xml));
    for (const side of Object.values(sides)) side.get("canvas").zoom("fit-viewport");
    follow(sides.old, sides.new);
    follow(sides.new, sides.old);
    const changes = changesBetween(before.rootElement, after.rootElement);
    changes.removed.forEach((c) => mark(sides.old, c.id, "removed", data.words));
    changes.added.forEach((c) => mark(sides.new, c.id, "added", data.words));
    for (const kind of ["changed", "layout"]) {
      changes[kind].forEach((c) => {
        mark(sides.old, c.id, kind, data.words);
        mark(sides.new, c.id, kind, data.words);
      });
    }
    const count = table(changes, data.words);
    document.getElementById("diff-table").hidden = !count;
    document.getElementById("diff-same").hidden = Boolean(count);
    page.dataset.ready = "true";
  } catch (error) {
    const problem = document.getElementById("diff-problem");
    problem.textContent = data.words.failed + " " + (error && error.message ? error.message : String(error));
    problem.hidden = false;
    page.dataset.ready = "error";
  }
  window.giaDiff = { sides, describe };  // for the browser tests and the curious
}

start();
