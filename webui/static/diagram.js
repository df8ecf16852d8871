// A process diagram (bpmn-js, served by the app; laid out automatically when it has no drawing). Two pages use it:
// - a process version's page (diagram.html, #diagram-counts): its instances' counts on each element: tasks waiting
//   there now (top left), tasks done there (bottom right), instances stopped there in error or stalled (top
//   right), and a heatmap of the median time a task took, in five levels; `?element=<id>` marks one element (an
//   incident's) and brings it into view;
// - one instance's page (instance_diagram.html, #instance-path): the elements it passed and the flows between
//   consecutive ones, how often it passed each, where it stands now, and the element a failed step stopped at.
// The same figures are in the tables beside the diagram, for reading without the picture.
(function () {
  "use strict";
  var holder = document.getElementById("diagram");
  if (!holder || !window.BpmnJS) return;
  var xml = JSON.parse(document.getElementById("bpmn-xml").textContent);
  var countsNode = document.getElementById("diagram-counts");
  var pathNode = document.getElementById("instance-path");
  var elements = countsNode ? JSON.parse(countsNode.textContent) : {};
  var path = pathNode ? JSON.parse(pathNode.textContent) : null;
  // bpmn-js's own words in Russian (its translate hook): the viewer has few.
  var words = {"Open {element}": "Открыть {element}"};
  function translate(template, replacements) {
    return (words[template] || template).replace(/{([^}]+)}/g, function (_, key) {
      return replacements && replacements[key] !== undefined ? replacements[key] : "{" + key + "}";
    });
  }
  var viewer = new window.BpmnJS({container: holder, additionalModules: [{translate: ["value", translate]}]});

  function badge(kind, count, words) {
    var span = document.createElement("span");
    span.className = "count-badge " + kind;
    span.textContent = String(count);
    span.title = words + ": " + count;
    span.setAttribute("role", "img");
    span.setAttribute("aria-label", words + ": " + count);
    span.setAttribute("data-count", kind);
    return span;
  }

  function outermostSubProcess(element) {
    var top = null;
    for (var parent = element.$parent; parent && parent.$type === "bpmn:SubProcess"; parent = parent.$parent) top = parent;
    return top;
  }

  function levels() {
    var hours = Object.keys(elements).map(function (id) { return elements[id].median_hours; })
      .filter(function (h) { return h !== null; }).sort(function (a, b) { return a - b; });
    return function (h) {
      if (h === null || !hours.length) return null;
      var rank = hours.indexOf(h) / Math.max(1, hours.length - 1);
      return Math.min(4, Math.floor(rank * 5));
    };
  }

  // The process's counts: badges on each element, their sums on a collapsed sub-process of the main plane.
  function showCounts(canvas, overlays, registry) {
    var inside = {};
    var places = {waiting: {top: -10, left: -10}, done: {bottom: 10, right: 10}, errors: {top: -10, right: 10}};
    Object.keys(elements).forEach(function (id) {
      var shape = registry.get(id);
      if (!shape) return;
      var c = elements[id];
      ["waiting", "done", "errors"].forEach(function (kind) {
        if (c[kind]) overlays.add(id, {position: places[kind], html: badge(kind, c[kind], holder.dataset[kind])});
      });
      var top = outermostSubProcess(shape.businessObject);
      if (top) {
        var sum = inside[top.id] = inside[top.id] || {waiting: 0, done: 0, errors: 0};
        sum.waiting += c.waiting;
        sum.done += c.done;
        sum.errors += c.errors || 0;
      }
    });
    Object.keys(inside).forEach(function (id) {
      if (!registry.get(id)) return;
      var sum = inside[id];
      if (sum.waiting) overlays.add(id, {position: places.waiting, html: badge("waiting-inside", sum.waiting, holder.dataset.waitingInside)});
      if (sum.done) overlays.add(id, {position: places.done, html: badge("done-inside", sum.done, holder.dataset.doneInside)});
      if (sum.errors) overlays.add(id, {position: places.errors, html: badge("errors-inside", sum.errors, holder.dataset.errorsInside)});
    });
    var button = document.getElementById("heatmap");
    var level = levels();
    if (button) button.addEventListener("click", function () {
      var on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      var marked = {};  // element id → level; a collapsed sub-process takes the hottest level inside it
      Object.keys(elements).forEach(function (id) {
        var l = level(elements[id].median_hours);
        var shape = registry.get(id);
        if (l === null || !shape) return;
        marked[id] = l;
        var top = outermostSubProcess(shape.businessObject);
        if (top && registry.get(top.id)) marked[top.id] = Math.max(l, marked[top.id] || 0);
      });
      Object.keys(marked).forEach(function (id) {
        if (on) canvas.addMarker(id, "heat-" + marked[id]); else canvas.removeMarker(id, "heat-" + marked[id]);
      });
    });
  }

  // Mark an element and the collapsed sub-process of the main plane it lies in (its only trace there).
  function mark(canvas, registry, id, marker) {
    var shape = registry.get(id);
    if (!shape) return null;
    canvas.addMarker(id, marker);
    var top = outermostSubProcess(shape.businessObject);
    if (top && registry.get(top.id)) {
      canvas.addMarker(top.id, marker);
      return registry.get(top.id);
    }
    return shape;
  }

  // One instance: the path taken, the passes, where it stands.
  function showPath(canvas, overlays, registry) {
    var passes = path.elements;
    Object.keys(passes).forEach(function (id) {
      if (!passes[id].passes || !registry.get(id)) return;
      mark(canvas, registry, id, "path-passed");
      overlays.add(id, {position: {bottom: 10, right: 10}, html: badge("passes", passes[id].passes, holder.dataset.passes)});
    });
    for (var i = 1; i < path.path.length; i++) {  // the flows between consecutive elements passed
      var from = path.path[i - 1], to = path.path[i];
      registry.filter(function (e) {
        var bo = e.businessObject;
        return e.type === "bpmn:SequenceFlow" && bo.sourceRef && bo.targetRef && bo.sourceRef.id === from && bo.targetRef.id === to;
      }).forEach(function (flow) { canvas.addMarker(flow.id, "path-flow"); });
    }
    path.current.forEach(function (id) {
      if (!mark(canvas, registry, id, "path-current")) return;
      var dot = badge("current", "●", holder.dataset.current);
      overlays.add(id, {position: {top: -10, left: -10}, html: dot});
    });
    if (path.stopped) mark(canvas, registry, path.stopped, "path-stopped");
  }

  // Diagrams deployed without their drawing are laid out here first (static/vendor/auto-layout.js).
  var drawn = /BPMNDiagram\b/.test(xml) || !window.GiaAutoLayout ? Promise.resolve(xml)
    : window.GiaAutoLayout.layoutProcess(xml);
  drawn.then(function (laidOut) { return viewer.importXML(laidOut); }).then(function () {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    if (path) showPath(canvas, overlays, registry); else showCounts(canvas, overlays, registry);
    var asked = holder.dataset.element;  // ?element=: an incident's element, marked and brought into view
    var shown = asked ? mark(canvas, registry, asked, "highlight") : null;
    if (shown && canvas.findRoot(shown) === canvas.getRootElement()) {
      if (canvas.zoom() < 0.6) canvas.zoom(0.8);  // a big diagram fitted to the page: closer, around the element
      canvas.scrollToElement(shown);
    }
    holder.setAttribute("data-ready", "true");
  }).catch(function (error) {
    holder.textContent = holder.dataset.failed + (error && error.message ? error.message : String(error));
  });
}());
