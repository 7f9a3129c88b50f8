// The notice editor: a filter over the typical-case check boxes (grouped by hall). Without this file every
// box is shown and the form works the same; checked boxes stay checked while hidden.
(function () {
  "use strict";
  var box = document.querySelector("[data-case-filter]");
  if (!box) { return; }
  var groups = Array.prototype.slice.call(document.querySelectorAll("[data-case-group]"));
  var count = document.querySelector("[data-case-count]");
  box.closest(".case-filter").hidden = false;
  var apply = function () {
    var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    groups.forEach(function (group) {
      var visible = 0;
      group.querySelectorAll("li[data-case-text]").forEach(function (item) {
        var text = item.getAttribute("data-case-text").toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        item.hidden = !match;
        if (match) { visible += 1; }
      });
      group.hidden = visible === 0;
      shown += visible;
    });
    if (count) { count.textContent = words.length ? count.getAttribute("data-template").replace("%n", shown) : ""; }
  };
  box.addEventListener("input", apply);
})();
