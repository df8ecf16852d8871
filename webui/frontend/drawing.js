// A diagram deployed without its drawing (no bpmndi:BPMNDiagram, as most hand-written or generated BPMN) laid out by
// bpmn-auto-layout before bpmn-js draws it. The layout runs through a moddle that knows nothing of SpiffWorkflow, so
// only its bpmndi:BPMNDiagram is taken and put into the file as it was: the extension elements stay as written.
// Used by the modeller (designer.js) and the versions' diff (diff.js).
import { layoutProcess } from "bpmn-auto-layout";

const BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI";
const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";

// The flow nodes' <incoming>/<outgoing> references, which bpmn-auto-layout follows and hand-written BPMN often leaves
// out (SpiffWorkflow reads the flows' sourceRef/targetRef): without them every node lands in one column, unjoined.
// Only for the layout (engine/service/diagrams.py `drawable` does the same on the server).
export function withFlowReferences(xml) {
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

export async function withDrawing(xml) {
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
