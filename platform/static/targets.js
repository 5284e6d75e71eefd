// The unit tree's search: show the units whose name or code contains the text (and their ancestors).
(function () {
  "use strict";
  var input = document.getElementById("unit-search"), tree = document.getElementById("unit-tree");
  if (!input || !tree) return;
  input.addEventListener("input", function () {
    var q = input.value.trim();
    var items = tree.querySelectorAll("li");
    items.forEach(function (li) { li.hidden = !!q; });
    if (!q) return;
    items.forEach(function (li) {
      if (li.dataset.search.indexOf(q) >= 0) {
        for (var p = li; p && p !== tree; p = p.parentElement) { if (p.tagName === "LI") p.hidden = false; }
        li.querySelectorAll("li").forEach(function (c) { c.hidden = false; });
      }
    });
  });
})();
