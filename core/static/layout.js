/* Issue 15: on phones a table turns into one card per row (CSS, .table.stack); each cell is introduced
   by its column's name, which this copies from the header into data-label. Without JavaScript a table
   keeps its rows and wraps its cells; a template may also write data-label itself (the inbox does). */
(function () {
  "use strict";
  function label(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var tables = Array.prototype.slice.call(scope.querySelectorAll("table.table"));
    if (scope.matches && scope.matches("table.table")) tables.push(scope);
    tables.forEach(function (table) {
      var heads = table.tHead ? table.tHead.rows[0] : null;
      if (!heads) return;
      var names = [];
      Array.prototype.forEach.call(heads.cells, function (th) {
        for (var i = 0; i < (th.colSpan || 1); i++) names.push(th.textContent.replace(/\s+/g, " ").trim());
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (tr) {
          var col = 0;
          Array.prototype.forEach.call(tr.cells, function (cell) {
            if (!cell.hasAttribute("data-label") && names[col] && (cell.colSpan || 1) === 1) {
              cell.setAttribute("data-label", names[col]);
            }
            col += cell.colSpan || 1;
          });
        });
      });
      table.classList.add("stack");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { label(document); });
  document.addEventListener("htmx:afterSettle", function (event) { label(event.target); });
})();
