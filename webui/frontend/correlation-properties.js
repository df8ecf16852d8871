// The Correlation group of the properties panel (issue 14 §1): for a message event, send or receive task, the
// correlation properties whose retrieval expression names the element's message. Our engine
// (engine/bpmn/messages.py) reads exactly `bpmn:correlationProperty` (id, name) among the definitions' root
// elements, each with a `bpmn:correlationPropertyRetrievalExpression messageRef=…` holding a `bpmn:formalExpression`
// (bpmn-moddle's messagePath, written under that tag) evaluated on the message's payload. The property's id is the
// name its values go by between diagrams and on the command line, so a new property asks for it. The words are the
// server's (words.js: webui/designer_words.py, through Flask-Babel).
// Every change is one command (undo takes it back whole) and touches nothing but these elements.
import { h } from "@bpmn-io/properties-panel/preact";
import { useState } from "@bpmn-io/properties-panel/preact/hooks";
import { SelectEntry, TextAreaEntry, TextFieldEntry, isTextAreaEntryEdited } from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is, isAny } from "bpmn-js/lib/util/ModelUtil";
import { run, update } from "./spiff-properties.js";
import { word } from "./words.js";

const CODE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function definitionsOf(bo) {
  let node = bo;
  while (node && !is(node, "bpmn:Definitions")) node = node.$parent;
  return node;
}

export function messageOf(element) {
  const bo = getBusinessObject(element);
  if (isAny(bo, ["bpmn:SendTask", "bpmn:ReceiveTask"])) return bo.get("messageRef");
  const definition = (bo.get("eventDefinitions") || []).find((d) => is(d, "bpmn:MessageEventDefinition"));
  return definition?.get("messageRef");
}

function correlationProperties(definitions) {
  return (definitions?.get("rootElements") || []).filter((root) => is(root, "bpmn:CorrelationProperty"));
}

function retrievalOf(property, message) {
  return property.get("correlationPropertyRetrievalExpression").find((r) => r.get("messageRef") === message);
}

function expressionOf(retrieval) {
  return retrieval?.get("messagePath")?.get("body") || "";
}

function newRetrieval(bpmnFactory, property, message, body) {
  const retrieval = bpmnFactory.create("bpmn:CorrelationPropertyRetrievalExpression", { messageRef: message });
  const path = bpmnFactory.create("bpmn:FormalExpression", { body });
  path.$parent = retrieval;
  retrieval.set("messagePath", path);
  retrieval.$parent = property;
  return retrieval;
}

function setExpression(element, retrieval, body, { bpmnFactory, commandStack }) {
  const path = retrieval.get("messagePath");
  if (path) return run(commandStack, [update(element, path, { body })]);
  const made = bpmnFactory.create("bpmn:FormalExpression", { body });
  made.$parent = retrieval;
  run(commandStack, [update(element, retrieval, { messagePath: made })]);
}

function addMessage(element, property, message, body, { bpmnFactory, commandStack }) {
  const retrieval = newRetrieval(bpmnFactory, property, message, body);
  const list = property.get("correlationPropertyRetrievalExpression");
  run(commandStack, [update(element, property, { correlationPropertyRetrievalExpression: [...list, retrieval] })]);
}

// A property without a retrieval expression is refused by SpiffWorkflow's parser: the last one takes it along.
function removeMessage(element, property, retrieval, { commandStack }) {
  const kept = property.get("correlationPropertyRetrievalExpression").filter((r) => r !== retrieval);
  if (kept.length) {
    return run(commandStack, [update(element, property, { correlationPropertyRetrievalExpression: kept })]);
  }
  const definitions = definitionsOf(property);
  const roots = definitions.get("rootElements").filter((root) => root !== property);
  run(commandStack, [update(element, definitions, { rootElements: roots })]);
}

// Next to the other correlation properties, else after the messages: where a reader of the file looks for it.
function createProperty(element, definitions, message, { id, name, body }, { bpmnFactory, commandStack }) {
  const property = bpmnFactory.create("bpmn:CorrelationProperty", { id, ...(name ? { name } : {}) });
  property.$parent = definitions;
  property.set("correlationPropertyRetrievalExpression", [newRetrieval(bpmnFactory, property, message, body)]);
  const roots = definitions.get("rootElements");
  const after = [...roots].reverse().find((root) => is(root, "bpmn:CorrelationProperty"))
    || [...roots].reverse().find((root) => is(root, "bpmn:Message"));
  const at = after ? roots.indexOf(after) + 1 : 0;
  run(commandStack, [update(element, definitions, { rootElements: [...roots.slice(0, at), property,
                                                                   ...roots.slice(at)] })]);
}

function tools() {
  return { bpmnFactory: useService("bpmnFactory"), commandStack: useService("commandStack"),
           debounce: useService("debounceInput") };
}

function Help({ text }) {
  return h("div", { class: "bio-properties-panel-entry gia-correlation-help" },
           h("p", { class: "bio-properties-panel-description" }, text));
}

function ExpressionField({ element, id, property, message }) {
  const services = tools();
  const label = word("correlation.expression", { name: property.get("name") || property.id });
  return h(TextAreaEntry, { element, id, label, rows: 1, monospace: true, autoResize: true,
    debounce: services.debounce, description: word("correlation.code_of", { code: property.id }),
    validate: (value) => (value.trim() ? null : word("correlation.expression_required")),
    getValue: () => expressionOf(retrievalOf(property, message)),
    setValue: (value, error) => {
      const retrieval = retrievalOf(property, message);
      if (!error && retrieval) setExpression(element, retrieval, value, services);
    } });
}

function NameField({ element, id, property }) {
  const services = tools();
  return h(TextFieldEntry, { element, id, label: word("correlation.name_of", { code: property.id }),
    debounce: services.debounce, description: word("correlation.name_help"),
    getValue: () => property.get("name") || "",
    setValue: (value) => run(services.commandStack, [update(element, property, { name: value || undefined })]) });
}

function RemoveButton({ element, id, property, message }) {
  const services = tools();
  const last = property.get("correlationPropertyRetrievalExpression").length === 1;
  return h("div", { class: "bio-properties-panel-entry", "data-entry-id": id },
    h("button", { type: "button", class: "gia-correlation-remove",
                  onClick: () => removeMessage(element, property, retrievalOf(property, message), services) },
      word("correlation.remove", { name: property.get("name") || property.id })),
    last ? h("p", { class: "bio-properties-panel-description" }, word("correlation.remove_last")) : null);
}

function AddExisting({ element, id, others, message }) {
  const services = tools();
  const options = [{ value: "", label: word("correlation.choose") },
    ...others.map((property) => ({ value: property.id,
                                   label: `${property.get("name") || property.id} (${property.id})` }))];
  return h(SelectEntry, { element, id, label: word("correlation.add"), getOptions: () => options,
    getValue: () => "",
    description: word("correlation.add_help"),
    setValue: (value) => {
      const property = others.find((p) => p.id === value);
      if (!property) return;
      const known = property.get("correlationPropertyRetrievalExpression").map(expressionOf).find(Boolean);
      addMessage(element, property, message, known || property.id, services);
    } });
}

// bpmn-js claims every id of the document (and those it made since): a property taken out by undo leaves its own.
function taken(id, definitions, ids) {
  const holder = ids?.assigned(id);
  const undone = is(holder, "bpmn:CorrelationProperty") && !definitions.get("rootElements").includes(holder);
  return Boolean(holder) && !undone;
}

function Input({ id, label, value, onInput, hint }) {
  return h("div", { class: "bio-properties-panel-entry" },
    h("label", { for: id, class: "bio-properties-panel-label" }, label),
    h("input", { id, class: "bio-properties-panel-input", type: "text", value, spellcheck: false,
                 "aria-describedby": hint ? `${id}-hint` : undefined,
                 onInput: (event) => onInput(event.target.value) }),
    hint ? h("p", { id: `${id}-hint`, class: "bio-properties-panel-description" }, hint) : null);
}

function CreateProperty({ element, id, message }) {
  const services = tools();
  const ids = useService("moddle").ids;
  const [code, setCode] = useState("");
  const [name, setName] = useState("");
  const [body, setBody] = useState("");
  const [error, setError] = useState("");
  const definitions = definitionsOf(getBusinessObject(element));
  function create() {
    const clean = code.trim();
    const problem = !CODE.test(clean) ? word("correlation.bad_code")
      : taken(clean, definitions, ids) ? word("correlation.code_taken", { code: clean }) : "";
    setError(problem);
    if (problem) return;
    createProperty(element, definitions, message, { id: clean, name: name.trim(), body: body.trim() || clean },
                   services);
    setCode(""); setName(""); setBody("");
  }
  return h("fieldset", { class: "gia-correlation-new", "data-entry-id": id },
    h("legend", null, word("correlation.new")),
    h(Input, { id: `${id}-code`, label: word("correlation.code"), value: code, onInput: setCode,
               hint: word("correlation.code_help") }),
    h(Input, { id: `${id}-name`, label: word("correlation.new_name"), value: name, onInput: setName }),
    h(Input, { id: `${id}-expression`, label: word("correlation.new_expression"), value: body, onInput: setBody,
               hint: word("correlation.new_expression_help") }),
    error ? h("p", { class: "bio-properties-panel-error", role: "alert" }, error) : null,
    h("button", { type: "button", onClick: create }, word("correlation.create")));
}

function entry(id, component, props, isEdited) {
  return { id, component: (p) => h(component, { ...p, ...props, id }), isEdited };
}

function correlationEntries(element) {
  const message = messageOf(element);
  if (!message) return [entry("gia-correlation-help", Help, { text: word("correlation.no_message") })];
  const all = correlationProperties(definitionsOf(getBusinessObject(element)));
  const linked = all.filter((property) => retrievalOf(property, message));
  const others = all.filter((property) => !linked.includes(property));
  const entries = [entry("gia-correlation-help", Help, { text: word("correlation.help") })];
  for (const property of linked) {
    const prefix = `gia-correlation-${property.id}`;
    entries.push(entry(`${prefix}-name`, NameField, { property }),
                 entry(`${prefix}-expression`, ExpressionField, { property, message }, isTextAreaEntryEdited),
                 entry(`${prefix}-remove`, RemoveButton, { property, message }));
  }
  if (others.length) entries.push(entry("gia-correlation-add", AddExisting, { others, message }));
  entries.push(entry("gia-correlation-new", CreateProperty, { message }));
  return entries;
}

function hasMessage(element) {
  return isAny(element, ["bpmn:SendTask", "bpmn:ReceiveTask"])
    || (getBusinessObject(element).get("eventDefinitions") || []).some((d) => is(d, "bpmn:MessageEventDefinition"));
}

// After our other groups (a lower priority runs later): right below the message's own data.
class CorrelationPropertiesProvider {
  constructor(propertiesPanel) {
    propertiesPanel.registerProvider(400, this);
  }

  getGroups(element) {
    return (groups) => {
      if (!hasMessage(element)) return groups;
      const group = { id: "gia-correlation", label: word("correlation.group"), entries: correlationEntries(element) };
      const after = groups.findIndex((g) => g.id === "gia-message");
      groups.splice(after < 0 ? groups.length : after + 1, 0, group);
      return groups;
    };
  }
}
CorrelationPropertiesProvider.$inject = ["propertiesPanel"];

export const correlationPropertiesModule = {
  __init__: ["correlationPropertiesProvider"],
  correlationPropertiesProvider: ["type", CorrelationPropertiesProvider]
};
