/* Issue 15: on phones a table turns into one card per row (CSS, .table.stack); each cell is introduced
   by its column's name, which this copies from the header into data-label. Without JavaScript a table
   keeps its rows and wraps its cells; a template may also write data-label itself (the inbox does). */
(function () {
  "use strict";
  function label(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var tables = Array.prototype.slice.call(scope.querySelectorAll("table.table"));
    if (scope.matches && scope.matches("table.table")) tables.push(scope);
    var actions = document.body.getAttribute("data-actions-label") || "";
    tables.forEach(function (table) {
      var heads = table.tHead ? table.tHead.rows[0] : null;
      if (!heads) return;
      // a header cell over buttons is named for screen readers ("Действия"), not left empty
      Array.prototype.forEach.call(heads.cells, function (th) {
        if (!th.textContent.trim() && actions) {
          var name = document.createElement("span");
          name.className = "visually-hidden";
          name.textContent = actions;
          th.appendChild(name);
          th.setAttribute("data-named", "");
        }
      });
      var names = [];
      Array.prototype.forEach.call(heads.cells, function (th) {
        var text = th.hasAttribute("data-named") ? "" : th.textContent.replace(/\s+/g, " ").trim();
        for (var i = 0; i < (th.colSpan || 1); i++) names.push(text);
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
