// The plan's matrix from the keyboard: the arrow keys move between the cells' links (skipping cells with nothing
// behind them), Home/End go to the row's first/last; Tab still walks the links in reading order.
(function () {
  "use strict";
  var table = document.getElementById("matrix");
  if (!table) return;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr:not(.m-section)"));
  var grid = rows.map(function (tr) {
    return Array.prototype.slice.call(tr.children).map(function (cell) { return cell.querySelector("a"); });
  });

  function position(link) {
    for (var r = 0; r < grid.length; r++) {
      var c = grid[r].indexOf(link);
      if (c >= 0) return [r, c];
    }
    return null;
  }

  function find(r, c, dr, dc) {
    for (r += dr, c += dc; r >= 0 && r < grid.length && c >= 0 && c < grid[r].length; r += dr, c += dc) {
      if (grid[r][c]) return grid[r][c];
    }
    return null;
  }

  table.addEventListener("keydown", function (event) {
    var at = position(document.activeElement);
    if (!at) return;
    var moves = {ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0]};
    var target = null;
    if (moves[event.key]) target = find(at[0], at[1], moves[event.key][0], moves[event.key][1]);
    else if (event.key === "Home") target = find(at[0], -1, 0, 1);
    else if (event.key === "End") target = find(at[0], grid[at[0]].length, 0, -1);
    else return;
    event.preventDefault();
    if (target) target.focus();
  });
}());
