// Entry for esbuild (make vendor → static/vendor/designer.js): the process designer's modeller page
// (templates/designer_edit.html). bpmn-js's Modeler with the generic BPMN properties panel, our moddle extension
// for SpiffWorkflow's elements (so that nothing of them is lost on saving) and Russian words. Drafts go to the
// server (POST JSON with the revision the page opened: a stale one is refused, 409, never overwritten).
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import { withDrawing } from "./drawing.js";
import spiffworkflow from "./spiffworkflow.json";
import { translateModule } from "./translations-ru.js";
import lintModule from "bpmn-js-bpmnlint";
import { lintConfig } from "./lint-config.js";
import { ProblemMarkers } from "./problem-markers.js";
import { giaPropertiesModule } from "./spiff-properties.js";
import { correlationPropertiesModule } from "./correlation-properties.js";
import { setupDryRun, tokenSimulationModule } from "./dry-run.js";
import { setWords } from "./words.js";

const AUTOSAVE_MS = 60 * 1000;

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
  setWords(data.words);  // our modules' words (the panel's groups, the timer, the rules) before they render
  const status = document.getElementById("designer-status");
  const problem = document.getElementById("designer-problem");
  const saveButton = document.getElementById("designer-save");
  const downloadButton = document.getElementById("designer-download");
  let revision = data.revision;
  let dirty = false;
  let saving = null;

  const modeler = new Modeler({
    container: holder,
    // Open: the General group (name, id), the task's own (form, role, due), a timer's and a message's correlation:
    // what a designer changes most.
    propertiesPanel: { parent: "#designer-properties",
                       layout: { groups: { general: { open: true }, "gia-task": { open: true },
                                           timer: { open: true }, "gia-correlation": { open: true } } } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, giaPropertiesModule,
      correlationPropertiesModule, translateModule,
      lintModule, tokenSimulationModule],
    moddleExtensions: { spiffworkflow },
    // the modelling rules run on every change; their overlays are ours (problem-markers.js), not bpmnlint's
    linting: { bpmnlint: lintConfig, active: false },
    giaCatalogue: data.catalogue
  });
  const moddle = modeler.get("moddle");
  const markers = new ProblemMarkers(modeler, {
    serverList: document.getElementById("designer-problems"),
    rulesBox: document.getElementById("designer-rules"),
    rulesSummary: document.getElementById("designer-rules-summary"),
    rulesList: document.getElementById("designer-rule-problems"),
    deployButton: document.getElementById("designer-deploy"),
    deployReason: document.getElementById("designer-deploy-reason")
  }, JSON.parse(document.getElementById("designer-marker-texts").textContent));
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
        check();  // the deploy checks run on every save, autosave included
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
    markers.showServer(answer.problems);  // the list under the bar and the markers on the diagram
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
  async function check() {
    show(await post(data.check_url, {}).catch(() => ({ message: data.messages.failed })));
  }
  document.getElementById("designer-check").addEventListener("click", check);
  document.getElementById("designer-deploy").addEventListener("click", async () => {
    const comment = document.getElementById("designer-comment").value;
    const answer = await post(data.deploy_url, { comment, revision }).catch(() => ({ message: data.messages.failed }));
    show(answer);
    if (answer.version) {
      revision = 0;  // the draft the page worked on is superseded by what was deployed (the server deleted it)
      holder.dataset.revision = "0";
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
  setupDryRun(modeler, data.csrf_token);  // the dry run and the token simulation (dry-run.js)

  const ready = withDrawing(data.xml).then((xml) => modeler.importXML(xml)).then(() => {
    fitBesidePalette(modeler.get("canvas"), holder);
    holder.dataset.revision = String(revision);
    holder.setAttribute("data-ready", "true");
  }).catch((error) => {
    complain(data.messages.unreadable + " " + error.message);
    holder.setAttribute("data-ready", "error");
  });
  // For the browser tests (the round trip of every process file) and the curious: the page's modeller.
  window.giaDesigner = { modeler, ready, save, withDrawing, markers };
}

start();
