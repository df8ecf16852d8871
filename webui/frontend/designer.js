// Entry for esbuild (make vendor → static/vendor/designer.js): the process designer's modeller page
// (templates/designer_edit.html). bpmn-js's Modeler with the generic BPMN properties panel, our moddle extension
// for SpiffWorkflow's elements (so that nothing of them is lost on saving) and Russian words. Drafts go to the
// server (POST JSON with the revision the page opened: a stale one is refused, 409, never overwritten).
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import { layoutProcess } from "bpmn-auto-layout";
import spiffworkflow from "./spiffworkflow.json";
import { translateModule } from "./translations-ru.js";

const AUTOSAVE_MS = 60 * 1000;
const BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI";
const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";

// SpiffWorkflow reads loopDataInputRef/loopDataOutputRef as variable names; bpmn-moddle takes them for references
// to data items and drops them on saving when nothing has that id. A detached placeholder with the name as its id
// is written back as the same text.
function keepVariableReferences(event) {
  const moddle = this;
  for (const warning of event.warnings || []) {
    if (/^bpmn:loopData(Input|Output)Ref$/.test(warning.property || "") && warning.element) {
      warning.element.set(warning.property, moddle.create("bpmn:DataInput", { id: warning.value }));
    }
  }
}

// The flow nodes' <incoming>/<outgoing> references, which bpmn-auto-layout follows and hand-written BPMN often leaves
// out (SpiffWorkflow reads the flows' sourceRef/targetRef): without them every node lands in one column, unjoined.
// Only for the layout: the file the designer saves keeps what it had (engine/service/diagrams.py `drawable` does the
// same for the viewer).
function withFlowReferences(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const nodes = new Map();
  for (const element of Array.from(doc.getElementsByTagName("*"))) {
    if (element.getAttribute("id")) nodes.set(element.getAttribute("id"), element);
  }
  for (const flow of Array.from(doc.getElementsByTagNameNS(BPMN, "sequenceFlow"))) {
    for (const [ref, tag] of [["sourceRef", "outgoing"], ["targetRef", "incoming"]]) {
      const node = nodes.get(flow.getAttribute(ref));
      if (!node || Array.from(node.children).some((c) => c.localName === tag && c.textContent === flow.id)) continue;
      const reference = doc.createElementNS(BPMN, "bpmn:" + tag);
      reference.textContent = flow.getAttribute("id");
      node.appendChild(reference);
    }
  }
  return new XMLSerializer().serializeToString(doc);
}

// A diagram deployed without its drawing: bpmn-auto-layout draws it, but through a moddle that knows nothing of
// SpiffWorkflow; only its bpmndi:BPMNDiagram is taken, put into the file as it was.
async function withDrawing(xml) {
  if (/BPMNDiagram\b/.test(xml)) return xml;
  const laidOut = await layoutProcess(withFlowReferences(xml));
  const parser = new DOMParser();
  const original = parser.parseFromString(xml, "application/xml");
  const drawing = parser.parseFromString(laidOut, "application/xml").getElementsByTagNameNS(BPMNDI, "BPMNDiagram");
  for (const diagram of Array.from(drawing)) {
    original.documentElement.appendChild(original.importNode(diagram, true));
  }
  return new XMLSerializer().serializeToString(original);
}

// The whole diagram in view, right of the palette (which floats over the canvas's top left corner and would hide
// the first elements).
function fitBesidePalette(canvas, holder) {
  canvas.zoom("fit-viewport");
  const palette = holder.querySelector(".djs-palette");
  const room = palette ? palette.getBoundingClientRect().width + 16 : 0;
  if (!room || holder.clientWidth <= room * 2) return;
  canvas.zoom(canvas.zoom() * (holder.clientWidth - room) / holder.clientWidth, { x: 0, y: 0 });
  canvas.scroll({ dx: room, dy: 24 });
}

function start() {
  const holder = document.getElementById("designer-canvas");
  const dataNode = document.getElementById("designer-data");
  if (!holder || !dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const status = document.getElementById("designer-status");
  const problem = document.getElementById("designer-problem");
  const saveButton = document.getElementById("designer-save");
  const downloadButton = document.getElementById("designer-download");
  let revision = data.revision;
  let dirty = false;
  let saving = null;

  const modeler = new Modeler({
    container: holder,
    // The General group (name, id) open: it is what a designer changes most.
    propertiesPanel: { parent: "#designer-properties", layout: { groups: { general: { open: true } } } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, translateModule],
    moddleExtensions: { spiffworkflow }
  });
  const moddle = modeler.get("moddle");
  modeler.on("import.parse.complete", (event) => { keepVariableReferences.call(moddle, event); });

  function say(text) { status.textContent = text; }
  function complain(text) { problem.textContent = text; problem.hidden = !text; }

  async function save(auto) {
    if (saving) return saving;
    saving = (async () => {
      const { xml } = await modeler.saveXML({ format: true });
      const response = await fetch(data.save_url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrf_token },
        body: JSON.stringify({ xml, revision })
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        revision = answer.revision;
        dirty = false;
        complain("");
        say(answer.message);
      } else {
        complain(answer.message || data.messages.failed);
      }
      holder.dataset.revision = String(revision);
    })().catch(() => complain(data.messages.failed)).finally(() => { saving = null; });
    return saving;
  }

  async function download() {
    const { xml } = await modeler.saveXML({ format: true });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
    link.download = data.filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  // Check and deploy: the server's deploy checks on the diagram as it is now; its problems listed under the bar.
  const report = document.getElementById("designer-report");
  function show(answer) {
    document.getElementById("designer-report-message").textContent = answer.message || data.messages.failed;
    const list = document.getElementById("designer-problems");
    list.replaceChildren(...(answer.problems || []).map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    report.hidden = false;
    report.className = answer.problems && answer.problems.length ? "flash error" : "flash success";
  }
  async function post(url, body) {
    const { xml } = await modeler.saveXML({ format: true });
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrf_token },
      body: JSON.stringify({ xml, ...body })
    });
    return response.json().catch(() => ({ message: data.messages.failed }));
  }
  document.getElementById("designer-check").addEventListener("click", async () => {
    show(await post(data.check_url, {}).catch(() => ({ message: data.messages.failed })));
  });
  document.getElementById("designer-deploy").addEventListener("click", async () => {
    const comment = document.getElementById("designer-comment").value;
    const answer = await post(data.deploy_url, { comment }).catch(() => ({ message: data.messages.failed }));
    show(answer);
    if (answer.version) {
      const link = document.createElement("a");
      link.href = answer.versions_url;
      link.textContent = data.messages.versions;
      document.getElementById("designer-report-message").append(" ", link);
      dirty = false;
    }
  });

  saveButton.addEventListener("click", () => save(false));
  downloadButton.addEventListener("click", download);
  modeler.on("commandStack.changed", () => { dirty = true; say(data.messages.unsaved); });
  setInterval(() => { if (dirty) save(true); }, AUTOSAVE_MS);

  const ready = withDrawing(data.xml).then((xml) => modeler.importXML(xml)).then(() => {
    fitBesidePalette(modeler.get("canvas"), holder);
    holder.dataset.revision = String(revision);
    holder.setAttribute("data-ready", "true");
  }).catch((error) => {
    complain(data.messages.unreadable + " " + error.message);
    holder.setAttribute("data-ready", "error");
  });
  // For the browser tests (the round trip of every process file) and the curious: the page's modeller.
  window.giaDesigner = { modeler, ready, save, withDrawing };
}

start();
