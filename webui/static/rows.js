// Rows a person may extend (forms with "add_rows"): «Добавить строку» copies the last row empty, with the next
// index in every name and id (rows-3-name), which is what the server reads back; «Удалить строку» drops a row
// but never the last one. Without JavaScript the form still works with the rows it was given.
(function () {
  "use strict";

  function renumber(row, name, index) {
    var pattern = new RegExp("^" + name + "-\\d+-");
    var replacement = name + "-" + index + "-";
    row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && pattern.test(value)) el.setAttribute(attr, value.replace(pattern, replacement));
      });
    });
  }

  function clear(row) {
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") el.checked = false;
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else if (el.type !== "hidden" || el.name.indexOf("csrf") < 0) el.value = "";
    });
    row.querySelectorAll(".field-error, .kept-file").forEach(function (el) { el.remove(); });
    row.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.add-row, button.remove-row");
    if (!button) return;
    var fieldset = button.closest("fieldset.rows");
    var rows = fieldset.querySelectorAll(":scope > .row");
    if (button.classList.contains("remove-row")) {
      if (rows.length > 1) button.closest(".row").remove();
      return;
    }
    var name = button.getAttribute("data-rows");
    var highest = -1;
    fieldset.querySelectorAll("[name^='" + name + "-']").forEach(function (el) {
      var index = parseInt(el.name.slice(name.length + 1), 10);
      if (!isNaN(index) && index > highest) highest = index;
    });
    var copy = rows[rows.length - 1].cloneNode(true);
    renumber(copy, name, highest + 1);
    clear(copy);
    fieldset.insertBefore(copy, button);
    var first = copy.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  });
})();
