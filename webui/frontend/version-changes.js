// What changed between two versions of a process (issue 14 §4), from their moddle trees: bpmn-js-differ says which
// elements were added, removed, changed or only moved; it does not say what changed inside an element's nested
// parts (extension elements: our form, role, due, title, instructions and scripts; a flow's condition; a timer's
// expression): it flags the element with no attribute named. So every element present on both sides is also
// compared here, property by property, flattened to "what → text", and the rows name each property that differs.
// Pure functions over moddle elements: the diff page (diff.js) and bench/diff.mjs use them.
import { diff } from "bpmn-js-differ";

// Children that are elements of their own (they get their own rows), and references kept as the other side's id.
const OWN_ELEMENTS = new Set(["flowElements", "laneSets", "lanes", "artifacts", "participants", "messageFlows",
  "rootElements", "diagrams", "childLaneSet"]);
const SKIPPED = new Set(["id", "incoming", "outgoing", "di", "flowNodeRef", "$type"]);

function tracked(element) {
  return element && element.$instanceOf && element.id && element.$instanceOf("bpmn:BaseElement")
    && !element.$instanceOf("bpmn:Definitions") && !element.$instanceOf("bpmndi:BPMNDiagram")
    && !/^bpmndi:|^dc:|^di:/.test(element.$type);
}

// id → element for everything of a definitions tree that has rows of its own.
export function elementsById(definitions) {
  const found = new Map();
  (function walk(element) {
    if (!element || typeof element !== "object") return;
    if (tracked(element)) found.set(element.id, element);
    for (const name of OWN_ELEMENTS) {
      const value = element[name];
      if (Array.isArray(value)) value.forEach(walk); else if (value && value.$type) walk(value);
    }
  }(definitions));
  return found;
}

function text(value) {
  if (value === undefined || value === null) return null;
  if (value.$type) return value.id || value.name || value.$type;  // a reference: the other element's id
  return String(value);
}

// The element's own properties, flattened: "name", "spiffworkflow:form", "timerEventDefinition.timeDate",
// "conditionExpression", "script", "$attr:foo" for attributes of unknown namespaces.
export function describe(element) {
  const flat = new Map([["$type", element.$type]]);
  function put(key, value) {
    if (value === null || value === "") return;
    let unique = key;
    for (let n = 2; flat.has(unique); n++) unique = key + "#" + n;
    flat.set(unique, value);
  }
  function walk(node, path) {
    if (node.$type === "spiffworkflow:Property") { put("spiffworkflow:" + node.name, text(node.value)); return; }
    const descriptor = node.$descriptor;
    const properties = descriptor.isGeneric
      ? Object.keys(node).filter((k) => !k.startsWith("$")).map((name) => ({ name })) : descriptor.properties;
    for (const property of properties) {
      const { name } = property;
      if (SKIPPED.has(name) || OWN_ELEMENTS.has(name) || property.isVirtual) continue;
      if (property.isMany && property.isReference) continue;
      if (!descriptor.isGeneric && !Object.prototype.hasOwnProperty.call(node, name)) continue;  // a default
      const value = node[name];
      // written out at the schema's default (cancelActivity="true"): the same as left out, as the modeller saves it
      if (property.default !== undefined && String(value) === String(property.default)) continue;
      if (value === undefined || value === null || (Array.isArray(value) && !value.length)) continue;
      const here = path ? path + "." + name : name;
      if (property.isReference) { put(here, text(value)); continue; }
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item && item.$type) {
          const local = item.$type.replace(/^[^:]*:(.)/, (_, first) => first.toLowerCase());
          // extensionElements.values, eventDefinitions, spiffworkflow:properties: named by what they hold
          const step = name === "values" || name === "eventDefinitions" || name === "properties" ? local : name;
          const prefix = item.$type.startsWith("spiffworkflow:") ? "spiffworkflow:" + step
            : (path && name !== "extensionElements" ? path + "." + step : step);
          // an event's kind (a terminate end event's definition has nothing else to tell it by)
          if (name === "eventDefinitions") put("eventDefinition", item.$type);
          walk(item, name === "extensionElements" || item.$type === "spiffworkflow:Properties" ? path : prefix);
        } else if (property.isBody || name === "body" || name === "text" || name === "value") {
          put(path || name, text(item));
        } else {
          put(here, text(item));
        }
      }
    }
    for (const [attribute, value] of Object.entries(node.$attrs || {})) {
      if (attribute.startsWith("xmlns") || attribute === "xsi:type") continue;
      put((path ? path + "." : "") + "$attr:" + attribute, String(value));
    }
  }
  walk(element, "");
  return flat;
}

function differences(before, after) {
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  return keys.filter((key) => before.get(key) !== after.get(key))
    .map((key) => ({ property: key, old: before.get(key) ?? null, new: after.get(key) ?? null }));
}

// {added: [{id, element, properties}], removed: [...], changed: [{id, old, new, differences: [{property, old, new}]}],
//  layout: [{id, element}]}: `added` and `properties` on the new side, `removed` on the old one.
export function changesBetween(oldDefinitions, newDefinitions) {
  const found = diff(oldDefinitions, newDefinitions);
  const before = elementsById(oldDefinitions);
  const after = elementsById(newDefinitions);
  const result = { added: [], removed: [], changed: [], layout: [] };
  for (const [id, element] of after) {
    if (!before.has(id)) result.added.push({ id, element, properties: describe(element) });
  }
  for (const [id, element] of before) {
    if (!after.has(id)) { result.removed.push({ id, element, properties: describe(element) }); continue; }
    const changes = differences(describe(element), describe(after.get(id)));
    if (changes.length) result.changed.push({ id, old: element, new: after.get(id), differences: changes });
    // The differ also flags an element whose <incoming>/<outgoing> changed: the flows added or removed say that.
    else if (found._layoutChanged[id]) result.layout.push({ id, element: after.get(id) });
  }
  return result;
}
