// A process diagram (bpmn-js, served by the app; laid out automatically when it has no drawing) with its instances' counts on each element: tasks waiting
// there now (top left), tasks done there (bottom right), and a heatmap of the median time a task took, in five
// levels. The same counts are in the table below the diagram, for reading without the picture.
(function () {
  "use strict";
  var holder = document.getElementById("diagram");
  if (!holder || !window.BpmnJS) return;
  var xml = JSON.parse(document.getElementById("bpmn-xml").textContent);
  var elements = JSON.parse(document.getElementById("diagram-counts").textContent);
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

  // Diagrams deployed without their drawing are laid out here first (static/vendor/auto-layout.js).
  var drawn = /BPMNDiagram\b/.test(xml) || !window.GiaAutoLayout ? Promise.resolve(xml)
    : window.GiaAutoLayout.layoutProcess(xml);
  drawn.then(function (laidOut) { return viewer.importXML(laidOut); }).then(function () {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    var level = levels();
    var inside = {};  // a collapsed sub-process on the main plane shows the sums of what lies inside it
    Object.keys(elements).forEach(function (id) {
      var shape = registry.get(id);
      if (!shape) return;
      var c = elements[id];
      if (c.waiting) overlays.add(id, {position: {top: -10, left: -10}, html: badge("waiting", c.waiting, holder.dataset.waiting)});
      if (c.done) overlays.add(id, {position: {bottom: 10, right: 10}, html: badge("done", c.done, holder.dataset.done)});
      var top = outermostSubProcess(shape.businessObject);
      if (top) {
        var sum = inside[top.id] = inside[top.id] || {waiting: 0, done: 0};
        sum.waiting += c.waiting;
        sum.done += c.done;
      }
    });
    Object.keys(inside).forEach(function (id) {
      if (!registry.get(id)) return;
      var sum = inside[id];
      if (sum.waiting) overlays.add(id, {position: {top: -10, left: -10}, html: badge("waiting-inside", sum.waiting, holder.dataset.waitingInside)});
      if (sum.done) overlays.add(id, {position: {bottom: 10, right: 10}, html: badge("done-inside", sum.done, holder.dataset.doneInside)});
    });
    var button = document.getElementById("heatmap");
    button.addEventListener("click", function () {
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
    holder.setAttribute("data-ready", "true");
  }).catch(function (error) {
    holder.textContent = holder.dataset.failed + (error && error.message ? error.message : String(error));
  });
}());
