// surveyapp: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  // File pickers: a button with the app's own words (not the browser's "Choose Files / No file chosen")
  // and thumbnails of what was chosen (<input type=file data-pick="label">; data-no-preview: the page shows them).
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-pick]:not([disabled])"), function (input) {
    var button = document.createElement("label");
    button.htmlFor = input.id;
    button.className = "button file-pick";
    button.textContent = input.getAttribute("data-pick");
    input.classList.add("file-hidden");
    input.parentNode.insertBefore(button, input.nextSibling);
    if (input.hasAttribute("data-no-preview") || !window.URL) { return; }
    var list = document.createElement("ul");
    list.className = "photo-strip picked";
    button.parentNode.insertBefore(list, button.nextSibling);
    input.addEventListener("change", function () {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var li = document.createElement("li");
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = file.name;
        img.width = img.height = 96;
        li.appendChild(img);
        list.appendChild(li);
      });
    });
  });

  // The menu is a <details> that folds on phones; on wide screens keep it open (for browsers
  // without ::details-content, which otherwise hide a closed <details>' content).
  var menu = document.querySelector("details.menu");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 900px)");
    var sync = function () { if (wide.matches) { menu.open = true; } };
    sync();
    if (wide.addEventListener) { wide.addEventListener("change", sync); }
  }

  // The menu's groups are <details> too: one open at a time; a click elsewhere or Escape closes it.
  var groups = Array.prototype.slice.call(document.querySelectorAll("details.nav-group"));
  var closeGroups = function (except) {
    groups.forEach(function (group) { if (group !== except) { group.open = false; } });
  };
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () { if (group.open) { closeGroups(group); } });
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("details.nav-group")) { closeGroups(null); }
  });
  document.addEventListener("keydown", function (event) {
    var open = groups.filter(function (group) { return group.open; })[0];
    if (event.key === "Escape" && open) { closeGroups(null); open.querySelector("summary").focus(); }
  });
})();
