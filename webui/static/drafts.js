// Drafts of the task form (webui/drafts.py): what the person types is sent to the server every few seconds when
// it changed, and once more when she leaves the page (hidden tab, closed tab, another page), so that nothing typed
// is lost and she finds it again on any device. Files are not sent: a browser cannot send a chosen file without
// submitting the form. The configuration comes from the data- attributes of .draft-status (no inline script).
(function () {
  "use strict";

  var status = document.querySelector(".draft-status[data-draft-url]");
  if (!status) return;
  var form = status.nextElementSibling;
  while (form && form.tagName !== "FORM") form = form.nextElementSibling;
  if (!form) return;

  var EVERY_MS = 3000;
  var url = status.getAttribute("data-draft-url");
  var token = status.getAttribute("data-csrf-token");
  var line = status.querySelector(".draft-saved");
  var filesNote = status.querySelector(".draft-files");
  var submitting = false;
  var closed = false;     // the server refused for good (task closed, not hers): stop trying
  var inFlight = false;
  // What the server holds. A page shown again after a refused submission holds input not saved yet.
  var saved = status.getAttribute("data-unsaved") ? null : serialize();

  function serialize() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") params.append(name, value);  // files are left out
    });
    return params.toString();
  }

  function show(text, failed) {
    line.textContent = text;
    line.classList.toggle("failed", !!failed);
  }

  function beacon(body) {
    // The page is going away: the request must outlive it. fetch(keepalive) can send the CSRF header;
    // sendBeacon cannot, so the body carries the form's own csrf_token field too.
    try {
      fetch(url, {method: "POST", body: body, keepalive: true, credentials: "same-origin",
                  headers: {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token}});
      return true;
    } catch (error) {
      return navigator.sendBeacon && navigator.sendBeacon(
        url, new Blob([body], {type: "application/x-www-form-urlencoded"}));
    }
  }

  function save(leaving) {
    if (submitting || closed) return;
    var body = serialize();
    if (body === saved) return;
    if (leaving) {
      if (beacon(body)) saved = body;
      return;
    }
    if (inFlight) return;
    inFlight = true;
    fetch(url, {method: "POST", body: body, credentials: "same-origin",
                headers: {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token,
                          "Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok) {
            saved = body;
            if (filesNote) filesNote.hidden = false;
          } else {
            saved = body;  // refused as it is (too large, say): not sent again until it changes
            closed = response.status === 403 || response.status === 404 || response.status === 409;
          }
          show(answer.message, !response.ok);
        });
      })
      .catch(function () { show(status.getAttribute("data-offline-text"), true); })
      .then(function () { inFlight = false; });
  }

  form.addEventListener("submit", function () { submitting = true; });
  window.setInterval(function () { save(false); }, EVERY_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save(true);
  });
  window.addEventListener("pagehide", function () { save(true); });
})();
