// Problems on the diagram (issue 14 §2): the server's deploy checks (POST …/check and …/deploy answer `problems`)
// and the modelling rules (bpmnlint, run by bpmn-js-bpmnlint on every change, its own overlays kept off) shown the
// same way: a marker on each element concerned (its outline coloured), a badge with the count whose title holds
// the messages, and lists under the bar whose items select the element and bring it into view. The Deploy button
// is disabled, with the reason beside it, while the last check found errors or a rule is broken at "error" level
// (the server refuses such a diagram anyway); a draft can always be saved. A problem inside a collapsed sub-process
// (drawn on a plane of its own) marks the sub-process too when it is an error, so that it is seen from outside.
import { lintFallback } from "./lint-messages.js";

const ERROR = "error";
const WARNING = "warning";
const OVERLAY = "gia-problems";
const PLANE_SUFFIX = "_plane";  // bpmn-js's plane of a collapsed sub-process: its id and this (util/DrilldownUtil)

// A server problem: a string (the check before it located problems) or Problem.as_dict() (engine/bpmn/problems.py).
function serverProblem(problem) {
  if (typeof problem === "string") return { severity: ERROR, message: problem, element: null, source: "server" };
  return {
    severity: ERROR,
    message: problem.message || problem.text || "",
    element: problem.element || null,
    codeLine: problem.code_line || null,
    source: "server"
  };
}

// bpmn-js-bpmnlint's `linting.completed` issues, grouped by element id (an issue of an element it cannot show is
// moved to the root and keeps its own id in actualElementId).
function lintProblems(issues) {
  const found = [];
  for (const reports of Object.values(issues || {})) {
    for (const report of reports) {
      found.push({
        severity: report.category === "error" ? ERROR : WARNING,
        // a rule that failed reports its exception's (English) text: said as a broken rule instead
        message: report.category === "rule-error" ? lintFallback() : report.message,
        element: report.actualElementId || report.id,
        source: "lint"
      });
    }
  }
  return found;
}

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export class ProblemMarkers {
  // nodes: {serverList, rulesBox, rulesSummary, rulesList, deployButton, deployReason}; texts: the page's Russian.
  constructor(modeler, nodes, texts) {
    this.modeler = modeler;
    this.canvas = modeler.get("canvas");
    this.overlays = modeler.get("overlays");
    this.registry = modeler.get("elementRegistry");
    this.translate = modeler.get("translate");
    this.nodes = nodes;
    this.texts = texts;
    this.server = [];
    this.lint = [];
    this.marked = [];
    this.lintRan = false;
    modeler.on("linting.completed", (event) => {
      this.lint = lintProblems(event.issues);
      this.lintRan = true;
      this.render();
    });
    // a diagram opened anew (the round-trip test imports every file into the page) has none of the old problems
    modeler.on("import.done", () => { this.server = []; this.render(); });
  }

  // The answer of a check or a deploy: its problems replace the last ones (markers cleared when re-checked).
  showServer(problems) {
    this.server = (problems || []).map(serverProblem);
    this.render();
  }

  counts() {
    const errors = { server: 0, lint: 0 };
    let warnings = 0;
    for (const problem of [...this.server, ...this.lint]) {
      if (problem.severity === ERROR) errors[problem.source] += 1;
      else warnings += 1;
    }
    return { server: errors.server, lintErrors: errors.lint, lintWarnings: warnings };
  }

  render() {
    this.clearMarkers();
    const byShape = new Map();
    for (const problem of [...this.server, ...this.lint]) {
      const element = this.shown(problem.element);
      if (!element) continue;
      // a warning stays on its own plane: the plan patterns' unnamed inner events would badge every sub-process
      const shapes = problem.severity === ERROR ? this.carriers(element) : [element];
      for (const shape of shapes) {
        if (!byShape.has(shape)) byShape.set(shape, []);
        byShape.get(shape).push({ ...problem, inside: shape === element ? null : element });
      }
    }
    for (const [shape, problems] of byShape) this.mark(shape, problems);
    this.nodes.serverList.replaceChildren(...this.server.map((problem) => this.item(problem)));
    this.renderRules();
    this.renderDeploy();
  }

  // The element a problem names, when the canvas draws it (not the process itself: its problems stay listed).
  shown(id) {
    const element = id && this.registry.get(id);
    return element && element.parent ? element : null;
  }

  // The shapes that show a problem of `element`: itself and every collapsed sub-process around it.
  carriers(element) {
    const shapes = [element];
    for (let parent = element.businessObject && element.businessObject.$parent; parent; parent = parent.$parent) {
      const outside = parent.id && this.registry.get(parent.id + PLANE_SUFFIX) && this.registry.get(parent.id);
      if (outside) shapes.push(outside);
    }
    return shapes;
  }

  mark(element, problems) {
    const severity = problems.some((problem) => problem.severity === ERROR) ? ERROR : WARNING;
    const marker = "gia-problem-" + severity;
    this.canvas.addMarker(element, marker);
    this.marked.push([element, marker]);
    const badge = document.createElement("span");
    badge.className = "gia-problem-badge gia-problem-badge-" + severity;
    badge.textContent = String(problems.length);
    badge.title = problems.map((problem) => (problem.inside ? this.label(problem.inside) + " ("
      + problem.inside.id + "): " : "") + this.sentence(problem)).join("\n");
    badge.setAttribute("role", "img");
    badge.setAttribute("aria-label", badge.title);
    badge.dataset.problemElement = element.id;
    this.overlays.add(element, OVERLAY, { position: { top: -10, right: 10 }, html: badge });
  }

  clearMarkers() {
    for (const [element, marker] of this.marked) this.canvas.removeMarker(element, marker);
    this.marked = [];
    this.overlays.remove({ type: OVERLAY });
  }

  sentence(problem) {
    const line = problem.codeLine ? " " + format(this.texts.code_line, { line: problem.codeLine }) : "";
    return problem.message + line;
  }

  // What a designer reads of an element: its name, else its type in Russian, and its id.
  label(element) {
    const name = element.businessObject && (element.businessObject.name || "").trim();
    const type = element.type.replace(/^bpmn:/, "").replace(/([a-z])([A-Z])/g, "$1 $2");
    return name || this.translate(type);
  }

  // A list item: a button that selects the element and scrolls to it, or the text alone.
  item(problem) {
    const li = document.createElement("li");
    li.className = "gia-problem-" + problem.severity;
    const element = this.shown(problem.element);
    if (!element) {
      // not drawn (in another file of the process's version, or hidden by bpmn-js): its id, unless it is the
      // process on view itself
      const root = problem.element && this.registry.get(problem.element);
      if (problem.element && !(root && !root.parent)) {
        const code = document.createElement("code");
        code.textContent = problem.element;
        li.append(code, ": ");
      }
      li.append(this.sentence(problem));
      return li;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "designer-problem-link";
    button.dataset.problemElement = element.id;
    const code = document.createElement("code");
    code.textContent = element.id;
    button.append(this.label(element) + " (", code, "): " + this.sentence(problem));
    button.addEventListener("click", () => this.reveal(element));
    li.append(button);
    return li;
  }

  reveal(element) {
    const plane = this.canvas.findRoot(element);
    if (plane && plane !== this.canvas.getRootElement()) this.canvas.setRootElement(plane);
    this.modeler.get("selection").select(element);
    this.canvas.scrollToElement(element, { top: 80, bottom: 80, left: 120, right: 120 });
    this.canvas.getContainer().focus({ preventScroll: true });
  }

  renderRules() {
    const { lintErrors, lintWarnings } = this.counts();
    const { rulesBox, rulesSummary, rulesList } = this.nodes;
    rulesBox.hidden = !this.lintRan;
    rulesSummary.textContent = lintErrors || lintWarnings
      ? format(this.texts.rules_summary, { errors: lintErrors, warnings: lintWarnings })
      : this.texts.rules_none;
    rulesBox.classList.toggle("has-errors", lintErrors > 0);
    // opened by itself when a rule is broken at "error" level; otherwise as the designer left it
    if (lintErrors && !this.lintErrorsBefore) rulesBox.open = true;
    this.lintErrorsBefore = lintErrors;
    const sorted = [...this.lint].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === ERROR ? -1 : 1));
    rulesList.replaceChildren(...sorted.map((problem) => this.item(problem)));
  }

  renderDeploy() {
    const { server, lintErrors } = this.counts();
    const reasons = [];
    if (server) reasons.push(format(this.texts.deploy_server, { count: server }));
    if (lintErrors) reasons.push(format(this.texts.deploy_rules, { count: lintErrors }));
    const { deployButton, deployReason } = this.nodes;
    deployButton.disabled = reasons.length > 0;
    deployReason.textContent = reasons.length ? this.texts.deploy_blocked + " " + reasons.join("; ") + "." : "";
    deployReason.hidden = !reasons.length;
  }
}
