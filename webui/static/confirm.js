// Forms with data-confirm="question" ask before they are sent (revoking a token, cancelling an instance). A
// listener here rather than onsubmit="" in the page: the Content-Security-Policy allows no inline handlers.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
