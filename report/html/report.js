"use strict";
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  root.setAttribute("data-js", "ready");
  // Tables: click a header to sort. Cells may carry data-key for a sort value other than the text.
  function key(cell) {
    if (!cell) return "";
    var k = cell.getAttribute("data-key");
    return k !== null ? k : cell.textContent.trim().toLowerCase();
  }
  function cmp(a, b) {
    var na = Number(a), nb = Number(b);
    if (a !== "" && b !== "" && !isNaN(na) && !isNaN(nb)) return na - nb;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      if (!th.hasAttribute("data-sort")) return;
      th.setAttribute("tabindex", "0");
      var dir = 1;
      function sort() {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) { return dir * cmp(key(r1.cells[col]), key(r2.cells[col])); });
        rows.forEach(function (r) { body.appendChild(r); });
        dir = -dir;
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  });
  // Filter boxes are hidden without JS; each filters the rows of the table it names.
  Array.prototype.forEach.call(document.querySelectorAll("input.filter"), function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table) return;
    input.hidden = false;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.classList.toggle("hidden", q !== "" && r.textContent.toLowerCase().indexOf(q) < 0);
      });
    });
  });
  // Host details and host lists are collapsed <details>: following a link to something inside
  // one (a finding, an exchange) opens it first, so evidence stays one click away.
  function reveal(id) {
    var el = id ? document.getElementById(id) : null;
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") p.open = true;
    }
    return el;
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest('a[href^="#"]') : null;
    if (a) reveal(a.getAttribute("href").slice(1));
  });
  window.addEventListener("hashchange", function () {
    var el = reveal(decodeURIComponent(location.hash.slice(1)));
    if (el) el.scrollIntoView();
  });
  if (location.hash) {
    var target = reveal(decodeURIComponent(location.hash.slice(1)));
    if (target) target.scrollIntoView();
  }
  // A printed report shows everything.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
  // Whether the page is wider than the window (the phone-width test reads it).
  root.setAttribute("data-overflow", root.scrollWidth > window.innerWidth + 1 ? "yes" : "no");
})();
