// The task page: show the fields the chosen kind needs (the others on demand), and search the unit tree.
(function () {
  "use strict";
  var kind = document.querySelector("[name='/kind']"), all = document.getElementById("show-all-fields");
  if (!kind || !all) return;
  function show() {
    var k = kind.value.trim();
    document.querySelectorAll(".by-kind").forEach(function (div) {
      var kinds = div.dataset.kinds ? div.dataset.kinds.split(" ") : [];
      div.hidden = !all.checked && (!k || kinds.indexOf(k) < 0) && !div.querySelector(".error");
    });
  }
  kind.addEventListener("input", show); kind.addEventListener("change", show); all.addEventListener("change", show);
  show();
})();

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
