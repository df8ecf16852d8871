// The batch page (batch.html) follows a running job: it asks /batches/<id>.json every 1.5 s and moves the progress
// bar and the counts; when the job has finished it reloads once, so that the report of refusals is shown.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box || box.getAttribute("data-status") === "done") return;
  var bar = document.getElementById("batch-bar");
  function show(id, value) {
    var node = document.getElementById(id);
    if (node) node.textContent = String(value);
  }
  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 3000); return; }
        bar.max = data.total;
        bar.value = data.done + data.refused;
        bar.textContent = (data.done + data.refused) + " / " + data.total;
        show("count-total", data.total);
        show("count-done", data.done);
        show("count-refused", data.refused);
        show("count-pending", data.pending);
        if (data.finished) window.location.reload();
        else window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1500);
})();
