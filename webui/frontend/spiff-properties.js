// The properties panel's groups for what our engine reads from a diagram beyond plain BPMN (issue 14 §1): a human
// task's `spiffworkflow:property` entries (form, role, unit, due, title, inbox columns, checks, sample), its
// instructions, the scripts before and after a task, a script task's script, a flow's condition, a message's
// payload and variable, and the next firing of a timer in words. Forms and roles come from the server
// (config.giaCatalogue: forms/definitions and processes/roles.json), so a designer chooses, not types, them; so do
// the panel's words (words.js: webui/designer_words.py, through Flask-Babel).
// Every change is one command on the modeller's stack (undo works) and writes exactly the elements our
// moddle extension (spiffworkflow.json) reads back.
import { h } from "@bpmn-io/properties-panel/preact";
import { useState } from "@bpmn-io/properties-panel/preact/hooks";
import {
  SelectEntry, TextAreaEntry, isSelectEntryEdited, isTextAreaEntryEdited
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is, isAny } from "bpmn-js/lib/util/ModelUtil";
import { timerWords } from "./timer-words.js";
import { word } from "./words.js";

const HUMAN = ["bpmn:UserTask", "bpmn:ManualTask", "bpmn:StartEvent"];
// The task properties a designer writes as code (expressions over the process data); their label and help are
// properties.expressions.<name> of the page's words.
const EXPRESSIONS = ["role_expression", "unit", "due", "title", "columns", "checks", "sample"];

function extension(bo, type) {
  return (bo.get("extensionElements")?.get("values") || []).find((value) => is(value, type));
}

function propertyOf(element, name) {
  const holder = extension(getBusinessObject(element), "spiffworkflow:Properties");
  return (holder?.get("properties") || []).find((property) => property.name === name);
}

// The commands that give `bo` an extension element of `type` (creating extensionElements too): [element, cmds].
function ensureExtension(element, bo, type, attrs, bpmnFactory) {
  const commands = [];
  let extensions = bo.get("extensionElements");
  if (!extensions) {
    extensions = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    extensions.$parent = bo;
    commands.push(update(element, bo, { extensionElements: extensions }));
  }
  let found = extension(bo, type);
  if (!found) {
    found = bpmnFactory.create(type, attrs);
    found.$parent = extensions;
    commands.push(update(element, extensions, { values: [...extensions.get("values"), found] }));
  }
  return [found, commands];
}

export function update(element, moddleElement, properties) {
  return { cmd: "element.updateModdleProperties", context: { element, moddleElement, properties } };
}

export function run(commandStack, commands) {
  if (commands.length) commandStack.execute("properties-panel.multi-command-executor", commands);
}

function setProperty(element, name, value, { bpmnFactory, commandStack }) {
  const bo = getBusinessObject(element);
  const existing = propertyOf(element, name);
  if (!value) {
    if (existing) {
      const holder = existing.$parent;
      const kept = holder.get("properties").filter((property) => property !== existing);
      run(commandStack, [update(element, holder, { properties: kept })]);
    }
    return;
  }
  if (existing) return run(commandStack, [update(element, existing, { value })]);
  const [holder, commands] = ensureExtension(element, bo, "spiffworkflow:Properties", { properties: [] }, bpmnFactory);
  const property = bpmnFactory.create("spiffworkflow:Property", { name, value });
  property.$parent = holder;
  run(commandStack, [...commands, update(element, holder, { properties: [...holder.get("properties"), property] })]);
}

// Body elements (instructions, pre/post scripts, message payload and variable): removed when emptied.
function setBody(element, type, value, { bpmnFactory, commandStack }) {
  const bo = getBusinessObject(element);
  const existing = extension(bo, type);
  if (!value) {
    if (existing) {
      const extensions = existing.$parent;
      const kept = extensions.get("values").filter((value) => value !== existing);
      run(commandStack, [update(element, extensions, { values: kept })]);
    }
    return;
  }
  if (existing) return run(commandStack, [update(element, existing, { value })]);
  const [, commands] = ensureExtension(element, bo, type, { value }, bpmnFactory);
  run(commandStack, commands);
}

function services() {
  return { bpmnFactory: useService("bpmnFactory"), commandStack: useService("commandStack"),
           debounce: useService("debounceInput") };
}

function PropertyField({ element, id, name, label, description }) {
  const tools = services();
  return h(TextAreaEntry, { element, id, label, description, debounce: tools.debounce, rows: 1, autoResize: true,
                            getValue: () => propertyOf(element, name)?.value || "",
                            setValue: (value) => setProperty(element, name, value, tools) });
}

function CatalogueSelect({ element, id, name, label, choices, describe }) {
  const tools = services();
  const current = propertyOf(element, name)?.value || "";
  const known = choices.some((choice) => choice.value === current);
  const options = [{ value: "", label: word("properties.not_set") }, ...choices,
                   ...(current && !known ? [{ value: current,
                                              label: word("properties.unknown_choice", { value: current }) }]
                                         : [])];
  return h(SelectEntry, { element, id, label, description: describe(current, known),
                          getOptions: () => options, getValue: () => current,
                          setValue: (value) => setProperty(element, name, value, tools) });
}

function BodyField({ element, id, type, label, description, rows = 3 }) {
  const tools = services();
  return h(TextAreaEntry, { element, id, label, description, rows, monospace: true, debounce: tools.debounce,
                            getValue: () => extension(getBusinessObject(element), type)?.value || "",
                            setValue: (value) => setBody(element, type, value, tools) });
}

// A moddle attribute of the element itself (a script task's script) or of a child (a flow's condition).
function AttributeField({ element, id, label, description, read, write }) {
  const tools = services();
  const modeling = useService("modeling");
  return h(TextAreaEntry, { element, id, label, description, rows: 4, monospace: true, debounce: tools.debounce,
                            getValue: () => read(getBusinessObject(element)) || "",
                            setValue: (value) => write(element, value || undefined, modeling, tools) });
}

function TimerWords({ element }) {
  const bo = getBusinessObject(element);
  const definition = (bo.get("eventDefinitions") || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
  const kind = ["timeDate", "timeDuration", "timeCycle"].find((k) => definition?.get(k));
  const config = useService("config.giaCatalogue", false) || {};
  const words = kind ? timerWords(kind, definition.get(kind).get("body") || "", new Date(config.now || Date.now()))
                     : { text: word("properties.timer_unset"), ok: false };
  return h("div", { class: "bio-properties-panel-entry gia-timer-words" + (words.ok ? "" : " gia-warning"),
                    "data-entry-id": "gia-timer-words" },
           h("p", { role: "status" }, words.text));
}

// The form editor from the task (a new tab: the diagram stays as it is): a link for the task's form; for a
// user task with no form yet, a new form's key, chosen for the task at once so that the diagram names it.
function FormDesign({ element, id, editPage }) {
  const current = propertyOf(element, "form")?.value || "";
  if (current) {
    return h("div", { class: "bio-properties-panel-entry", "data-entry-id": id },
      h("a", { href: editPage(current), target: "_blank", rel: "noopener" }, word("properties.edit_form")));
  }
  return is(element, "bpmn:UserTask") ? h(NewForm, { element, id, editPage }) : null;
}

function NewForm({ element, id, editPage }) {
  const tools = services();
  const [key, setKey] = useState("");
  const [problem, setProblem] = useState("");
  const create = () => {
    const wanted = key.trim();
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(wanted)) {
      setProblem(word("properties.bad_form_key"));
      return;
    }
    setProblem("");
    setProperty(element, "form", wanted, tools);
    window.open(editPage(wanted), "_blank", "noopener");
  };
  return h("div", { class: "bio-properties-panel-entry", "data-entry-id": id },
    h("label", { class: "bio-properties-panel-label", for: `bio-properties-panel-${id}` },
      word("properties.new_form_key")),
    h("input", { id: `bio-properties-panel-${id}`, class: "bio-properties-panel-input", type: "text", value: key,
                 spellcheck: false, "aria-invalid": problem ? "true" : "false",
                 onInput: (event) => setKey(event.target.value),
                 onKeyDown: (event) => { if (event.key === "Enter") { event.preventDefault(); create(); } } }),
    h("button", { type: "button", class: "gia-new-form", onClick: create }, word("properties.create_form")),
    problem ? h("p", { class: "bio-properties-panel-error", role: "alert" }, problem)
      : h("p", { class: "bio-properties-panel-description" }, word("properties.new_form_help")));
}

function entry(id, component, props, isEdited) {
  return { id, component: (p) => h(component, { ...p, ...props, id }), isEdited };
}

function humanTaskEntries(element, catalogue) {
  const forms = (catalogue.forms || []).map((form) => ({ value: form.key, label: `${form.title} (${form.key})` }));
  const roles = (catalogue.roles || []).map((role) => ({ value: role.code, label: role.title }));
  const formPage = (key) => (catalogue.form_url || "").replace("__KEY__", encodeURIComponent(key));
  const editPage = (key) => (catalogue.form_edit_url || "").replace("__KEY__", encodeURIComponent(key));
  return [
    entry("gia-form", CatalogueSelect, { name: "form", label: word("properties.form"), choices: forms,
      describe: (current, known) => (!current ? word("properties.no_form") : !known
        ? word("properties.unknown_form")
        : h("a", { href: formPage(current), target: "_blank", rel: "noopener" }, word("properties.open_form"))) },
      isSelectEntryEdited),
    ...(catalogue.form_edit_url ? [entry("gia-form-design", FormDesign, { editPage }, () => false)] : []),
    entry("gia-role", CatalogueSelect, { name: "role", label: word("properties.role"), choices: roles,
      describe: (current) => (current ? "" : word("properties.no_role")) },
      isSelectEntryEdited),
    ...EXPRESSIONS.map((name) => entry(`gia-${name}`, PropertyField, {
      name, label: word(`properties.expressions.${name}.label`),
      description: word(`properties.expressions.${name}.help`) }, isTextAreaEntryEdited)),
    entry("gia-instructions", BodyField, { type: "spiffworkflow:InstructionsForEndUser",
      label: word("properties.instructions"), description: word("properties.instructions_help"), rows: 4 },
      isTextAreaEntryEdited)
  ];
}

function scriptEntries() {
  return [
    entry("gia-pre-script", BodyField, { type: "spiffworkflow:PreScript", label: word("properties.pre_script"),
      description: word("properties.pre_script_help") }, isTextAreaEntryEdited),
    entry("gia-post-script", BodyField, { type: "spiffworkflow:PostScript", label: word("properties.post_script"),
      description: word("properties.post_script_help") }, isTextAreaEntryEdited)
  ];
}

function scriptTaskEntry() {
  return entry("gia-script", AttributeField, { label: word("properties.script"),
    description: word("properties.script_help"),
    read: (bo) => bo.get("script"),
    write: (element, value, modeling) => modeling.updateModdleProperties(element, getBusinessObject(element),
      { script: value, scriptFormat: value ? "python" : undefined }) }, isTextAreaEntryEdited);
}

function conditionEntry() {
  return entry("gia-condition", AttributeField, { label: word("properties.condition"),
    description: word("properties.condition_help"),
    read: (bo) => bo.get("conditionExpression")?.get("body"),
    write: (element, value, modeling, { bpmnFactory }) => modeling.updateModdleProperties(
      element, getBusinessObject(element),
      { conditionExpression: value ? bpmnFactory.create("bpmn:FormalExpression", { body: value }) : undefined }) },
    isTextAreaEntryEdited);
}

function messageEntries(element) {
  const bo = getBusinessObject(element);
  const throwing = isAny(bo, ["bpmn:SendTask", "bpmn:IntermediateThrowEvent", "bpmn:EndEvent"]);
  return throwing
    ? [entry("gia-payload", BodyField, { type: "spiffworkflow:MessagePayload", label: word("properties.payload"),
        description: word("properties.payload_help"), rows: 2 }, isTextAreaEntryEdited)]
    : [entry("gia-message-variable", BodyField, { type: "spiffworkflow:MessageVariable",
        label: word("properties.message_variable"), description: word("properties.message_variable_help"),
        rows: 1 }, isTextAreaEntryEdited)];
}

function hasDefinition(element, type) {
  return (getBusinessObject(element).get("eventDefinitions") || []).some((d) => is(d, type));
}

function fromGateway(element) {
  return is(element, "bpmn:SequenceFlow") && isAny(getBusinessObject(element).sourceRef,
    ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway", "bpmn:Activity"]);
}

class GiaPropertiesProvider {
  constructor(propertiesPanel, injector) {
    this.catalogue = injector.get("config.giaCatalogue", false) || {};
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      const add = (id, label, entries) => entries.length && groups.push({ id, label, entries });
      const title = (name) => word(`properties.groups.${name}`);
      if (isAny(element, HUMAN)) add("gia-task", title("task"), humanTaskEntries(element, this.catalogue));
      if (is(element, "bpmn:ScriptTask")) add("gia-script-task", title("script_task"), [scriptTaskEntry()]);
      if (fromGateway(element)) add("gia-condition-group", title("condition"), [conditionEntry()]);
      const messaging = isAny(element, ["bpmn:SendTask", "bpmn:ReceiveTask"]);
      if (messaging || hasDefinition(element, "bpmn:MessageEventDefinition")) {
        add("gia-message", title("message"), messageEntries(element));
      }
      const timer = groups.find((group) => group.id === "timer");
      if (timer && hasDefinition(element, "bpmn:TimerEventDefinition")) {
        timer.entries.push(entry("gia-timer-words", TimerWords, {}, () => false));
      }
      if (is(element, "bpmn:Activity")) add("gia-scripts", title("scripts"), scriptEntries());
      return groups;
    };
  }
}
GiaPropertiesProvider.$inject = ["propertiesPanel", "injector"];

export const giaPropertiesModule = {
  __init__: ["giaPropertiesProvider"],
  giaPropertiesProvider: ["type", GiaPropertiesProvider]
};
