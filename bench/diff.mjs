// Node side of bench/diff.py: reads two BPMN files with bpmn-moddle and our spiffworkflow extension, then times,
// N times each: parsing both, bpmn-js-differ's diff alone, and what the diff page computes (webui/frontend/
// version-changes.js: the differ and our own comparison of every element's properties). Prints JSON:
// {parse: [ms…], differ: [ms…], changes: [ms…], counts: {added, removed, changed, layout}}.
//   node bench/diff.mjs OLD.bpmn NEW.bpmn N
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { BpmnModdle } from "bpmn-moddle";
import { diff } from "bpmn-js-differ";
import { changesBetween } from "../webui/frontend/version-changes.js";

const [oldPath, newPath, times] = process.argv.slice(2);
const spiffworkflow = JSON.parse(readFileSync(new URL("../webui/frontend/spiffworkflow.json", import.meta.url)));
const moddle = new BpmnModdle({ spiffworkflow });
const texts = [readFileSync(oldPath, "utf8"), readFileSync(newPath, "utf8")];
const runs = Number(times || 50);

async function parse() {
  return Promise.all(texts.map(async (xml) => (await moddle.fromXML(xml)).rootElement));
}

async function timed(call) {
  const walls = [];
  for (let rep = 0; rep <= runs; rep++) {
    const started = performance.now();
    await call();
    walls.push(performance.now() - started);
  }
  return walls.slice(1);  // the first warms the JIT
}

const [before, after] = await parse();
const result = {
  parse: await timed(parse),
  differ: await timed(() => diff(before, after)),
  changes: await timed(() => changesBetween(before, after)),
};
const found = changesBetween(before, after);
result.counts = Object.fromEntries(Object.entries(found).map(([kind, list]) => [kind, list.length]));
console.log(JSON.stringify(result));
