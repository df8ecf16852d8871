// The dry run and the token simulation on the modeller page (issue 14 §3; templates/designer_edit.html).
// The Dry run button posts the diagram as it is now to the server (webui/designer_dryrun.py), which runs it several
// times in memory; the elements the runs reached are coloured (marker gia-reached), those never reached marked
// (gia-unreached), and the report is listed under the bar: each finding a button that selects its element.
// The Token simulation button switches bpmn-js-token-simulation's mode (its own toggle is hidden by designer.css);
// its words are translated through token-simulation-ru.js.
import TokenSimulationModule from "bpmn-js-token-simulation";
import { tokenSimulationRussianModule } from "./token-simulation-ru.js";

export const tokenSimulationModule = { __depends__: [TokenSimulationModule, tokenSimulationRussianModule] };

const REACHED = "gia-reached";
const UNREACHED = "gia-unreached";

export function setupDryRun(modeler, csrfToken) {
  const node = document.getElementById("dry-run-data");
  const button = document.getElementById("designer-dry-run");
  const panel = document.getElementById("dry-run-report");
  if (!node || !button || !panel) return;
  const config = JSON.parse(node.textContent);
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  let marked = [];

  function clearMarks() {
    for (const [id, marker] of marked) {
      if (registry.get(id)) canvas.removeMarker(id, marker);
    }
    marked = [];
  }
  function mark(id, marker) {
    if (!registry.get(id)) return;
    canvas.addMarker(id, marker);
    marked.push([id, marker]);
  }
  function select(id) {
    const element = registry.get(id);
    if (!element) return;
    modeler.get("selection").select(element);
    if (canvas.scrollToElement) canvas.scrollToElement(element);
  }
  function element(tag, text, className) {
    const made = document.createElement(tag);
    if (text !== undefined) made.textContent = text;
    if (className) made.className = className;
    return made;
  }
  // The element's id set in <code>: an identifier is shown as code, never as the page's words.
  function withCode(holder, text, id) {
    const at = id ? text.indexOf(id) : -1;
    if (at < 0) {
      holder.textContent = text;
      return holder;
    }
    holder.append(text.slice(0, at), element("code", id), text.slice(at + id.length));
    return holder;
  }
  function itemFor(text, id, shown = id) {
    const item = element("li");
    if (id && registry.get(id)) {
      const link = withCode(element("button", undefined, "dry-run-link"), text, shown);
      link.type = "button";
      link.dataset.element = id;
      link.addEventListener("click", () => select(id));
      item.append(link);
    } else {
      withCode(item, text, shown);
    }
    return item;
  }

  function render(answer) {
    clearMarks();
    const reached = answer.reached || {};
    for (const id of Object.keys(reached)) mark(id, REACHED);
    for (const id of answer.unreached || []) mark(id, UNREACHED);
    const parts = [element("p", answer.message || config.messages.failed, "dry-run-message")];
    if (answer.assumed) parts.push(element("p", answer.assumed, "dry-run-assumed"));
    if ((answer.problems || []).length) {
      const list = element("ul", undefined, "dry-run-list");
      list.append(...answer.problems.map((text) => itemFor(text)));
      parts.push(list);
    }
    const kinds = answer.kinds || {};
    for (const kind of Object.keys(kinds)) {
      const found = (answer.issues || []).filter((issue) => issue.kind === kind);
      if (!found.length) continue;
      const section = element("section", undefined, "dry-run-kind");
      section.dataset.kind = kind;
      section.append(element("h2", `${kinds[kind]}: ${found.length}`));
      const list = element("ul", undefined, "dry-run-list");
      list.append(...found.map((issue) => itemFor(issue.message, issue.element)));
      section.append(list);
      parts.push(section);
    }
    const runs = (answer.runs || []).length;
    const ids = Object.keys(reached).filter((id) => registry.get(id) && !registry.get(id).waypoints);
    if (ids.length) {
      const details = element("details", undefined, "dry-run-reached");
      details.append(element("summary", `${config.messages.reached}: ${ids.length}`));
      const list = element("ul", undefined, "dry-run-list");
      list.append(...ids.map((id) => {
        const name = registry.get(id).businessObject.name;
        const text = config.messages.reached_item.replace("{name}", name || id).replace("{count}", reached[id])
          .replace("{runs}", runs);
        return itemFor(text, id, name ? "" : id);
      }));
      details.append(list);
      parts.push(details);
    }
    panel.replaceChildren(...parts);
    panel.hidden = false;
    panel.className = (answer.problems || []).length || (answer.issues || []).length ? "flash error" : "flash success";
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    panel.hidden = false;
    panel.className = "flash";
    panel.replaceChildren(element("p", config.messages.running));
    try {
      const { xml } = await modeler.saveXML({ format: true });
      const response = await fetch(config.url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify({ xml })
      });
      render(await response.json().catch(() => ({ message: config.messages.failed })));
    } catch (error) {
      render({ message: config.messages.failed });
    } finally {
      button.disabled = false;
    }
  });

  const simulation = document.getElementById("designer-token-simulation");
  if (simulation) {
    modeler.on("tokenSimulation.toggleMode", (event) => {
      simulation.setAttribute("aria-pressed", event.active ? "true" : "false");
    });
    simulation.addEventListener("click", () => modeler.get("toggleMode").toggleMode());
  }
}
