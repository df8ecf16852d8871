// The modelling rules the designer page checks as a designer draws (bpmnlint through bpmn-js-bpmnlint), packed by
// hand: bpmnlint's CLI or a bundler plugin normally packs a .bpmnlintrc, and we bundle with plain esbuild. The
// object given to bpmn-js-bpmnlint is what it hands to `new Linter(...)`: {config, resolver, transformRule}.
//
// Levels, as checked against every file of processes/ (all of them deploy and run): "error" keeps a diagram from
// being deployed, "warn" only shows. Warnings, as they flag correct plan diagrams: label-required (84 places in 19
// files: start events, boundary timers and their escalation ends are unnamed on purpose), fake-join (7 tasks in 6
// files where branches that exclude each other meet again, which SpiffWorkflow runs once) and no-gateway-join-fork
// (oral_interview); superfluous-gateway (no file) is a matter of taste. Left out: no-bpmndi (our files have no
// drawing; the page lays them out), no-inclusive-gateway (SpiffWorkflow runs them), no-overlapping-elements and
// standard-size (looks, not meaning), global and link-event (nothing of ours uses them).
import adHocSubProcess from "bpmnlint/rules/ad-hoc-sub-process";
import conditionalFlows from "bpmnlint/rules/conditional-flows";
import endEventRequired from "bpmnlint/rules/end-event-required";
import eventBasedGateway from "bpmnlint/rules/event-based-gateway";
import fakeJoin from "bpmnlint/rules/fake-join";
import labelRequired from "bpmnlint/rules/label-required";
import noComplexGateway from "bpmnlint/rules/no-complex-gateway";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import noGatewayJoinFork from "bpmnlint/rules/no-gateway-join-fork";
import noImplicitEnd from "bpmnlint/rules/no-implicit-end";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split";
import noImplicitStart from "bpmnlint/rules/no-implicit-start";
import singleBlankStartEvent from "bpmnlint/rules/single-blank-start-event";
import singleEventDefinition from "bpmnlint/rules/single-event-definition";
import startEventRequired from "bpmnlint/rules/start-event-required";
import subProcessBlankStartEvent from "bpmnlint/rules/sub-process-blank-start-event";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway";
import { lintMessage } from "./lint-messages.js";

const RULES = {
  "no-implicit-split": noImplicitSplit,
  "no-disconnected": noDisconnected,
  "label-required": labelRequired,
  "start-event-required": startEventRequired,
  "end-event-required": endEventRequired,
  "fake-join": fakeJoin,
  "no-complex-gateway": noComplexGateway,
  "no-duplicate-sequence-flows": noDuplicateSequenceFlows,
  "single-blank-start-event": singleBlankStartEvent,
  "conditional-flows": conditionalFlows,
  "event-based-gateway": eventBasedGateway,
  "single-event-definition": singleEventDefinition,
  "sub-process-blank-start-event": subProcessBlankStartEvent,
  "no-gateway-join-fork": noGatewayJoinFork,
  "ad-hoc-sub-process": adHocSubProcess,
  "no-implicit-start": noImplicitStart,
  "no-implicit-end": noImplicitEnd,
  "superfluous-gateway": superfluousGateway
};

export const LINT_LEVELS = {
  "no-implicit-split": "error",
  "no-disconnected": "error",
  "label-required": "warn",
  "start-event-required": "error",
  "end-event-required": "error",
  "fake-join": "warn",
  "no-complex-gateway": "error",
  "no-duplicate-sequence-flows": "error",
  "single-blank-start-event": "error",
  "conditional-flows": "error",
  "event-based-gateway": "error",
  "single-event-definition": "error",
  "sub-process-blank-start-event": "error",
  "no-gateway-join-fork": "warn",
  "ad-hoc-sub-process": "error",
  "no-implicit-start": "error",
  "no-implicit-end": "error",
  "superfluous-gateway": "warn"
};

// An element with no flow at all is told so once (no-disconnected), not three times.
const QUIET_WHEN_DISCONNECTED = new Set(["no-implicit-start", "no-implicit-end"]);

// bpmnlint's rules read a node's `incoming`/`outgoing`; SpiffWorkflow reads only the flows' sourceRef/targetRef,
// and our hand-written files leave those lists out (bpmn-js keeps them only for what it connects itself). Filling
// them into the model would change the saved file, so each rule sees the node through a view whose lists are the
// flows of its container that start or end there.
function flowsOf(container, cache) {
  let flows = cache.get(container);
  if (!flows) {
    flows = { incoming: new Map(), outgoing: new Map() };
    for (const element of (container && container.flowElements) || []) {
      if (element.$type !== "bpmn:SequenceFlow") continue;
      for (const [side, end] of [["outgoing", element.sourceRef], ["incoming", element.targetRef]]) {
        if (!end) continue;
        if (!flows[side].has(end)) flows[side].set(end, []);
        flows[side].get(end).push(element);
      }
    }
    cache.set(container, flows);
  }
  return flows;
}

function withFlows(node, cache) {
  if (!node || !node.$instanceOf || !node.$instanceOf("bpmn:FlowNode")) return node;
  const flows = flowsOf(node.$parent, cache);
  return new Proxy(node, {
    get(target, property, receiver) {
      if (property === "incoming" || property === "outgoing") {
        return flows[property].get(target) || [];
      }
      return Reflect.get(target, property, receiver);
    }
  });
}

// Each rule sees nodes with their flows and reports in the page's language (lint-messages.js).
function transformRule(rule, { ruleName }) {
  const wrap = (visit) => visit && ((node, reporter) => {
    const russian = {
      report: (id, message, path) => reporter.report(id, lintMessage(ruleName, message), path)
    };
    const seen = withFlows(node, rule.cache);
    if (QUIET_WHEN_DISCONNECTED.has(ruleName) && seen !== node && !seen.incoming.length && !seen.outgoing.length) {
      return undefined;
    }
    return visit(seen, russian);
  });
  const check = typeof rule.check === "function" ? wrap(rule.check)
    : { enter: wrap(rule.check.enter), leave: wrap(rule.check.leave) };
  if (!check.enter) delete check.enter;
  if (!check.leave) delete check.leave;
  return { ...rule, check };
}

// A linter is made for every lint (bpmn-js-bpmnlint: `new Linter(config)`) and each rule's factory is called once
// in it: a fresh cache of flows per lint and rule, never stale after an edit.
const resolver = {
  resolveRule(pkg, ruleName) {
    const factory = pkg === "bpmnlint" && RULES[ruleName];
    if (!factory) return null;
    return (config) => ({ ...factory(config), cache: new Map() });
  },
  resolveConfig() {
    return null;
  }
};

export const lintConfig = { config: { rules: LINT_LEVELS }, resolver, transformRule };
