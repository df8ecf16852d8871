// Entry for esbuild (make vendor): bpmn-auto-layout for the browser, so that a diagram deployed without its
// drawing (no bpmndi:BPMNDiagram, as most hand-written or generated BPMN) is laid out before bpmn-js draws it.
import { layoutProcess } from "bpmn-auto-layout";

window.GiaAutoLayout = { layoutProcess };
