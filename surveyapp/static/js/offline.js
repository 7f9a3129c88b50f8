// surveyapp: the supervisor's pages register the service worker (/sw.js) that keeps them on the phone, and
// My visits, when offline, says which visits can be opened now (those already kept on this phone).
(function () {
  "use strict";
  var marker = document.getElementById("offline-support");
  if (!marker || !("serviceWorker" in navigator)) { return; }
  navigator.serviceWorker.register(marker.dataset.worker, { scope: "/" }).catch(function () { /* works online anyway */ });
  var list = document.getElementById("my-visits");
  if (!list || !window.caches) { return; }
  // navigator.onLine is not to be trusted (it says "online" on a network that does not reach the server):
  // ask the server, which the service worker never answers for.
  fetch(marker.dataset.health, { cache: "no-store" }).then(function () { return true; }, function () { return false; })
    .then(function (online) { if (!online) { markKept(); } });

  function markKept() {
    document.getElementById("offline-note").hidden = false;
    caches.keys().then(function (names) {
      return Promise.all(names.map(function (name) {
        return caches.open(name).then(function (cache) { return cache.keys(); });
      }));
    }).then(function (lists) {
      var kept = {};
      lists.forEach(function (requests) { requests.forEach(function (r) { kept[new URL(r.url).pathname] = true; }); });
      Array.prototype.forEach.call(list.querySelectorAll(".visit-card"), function (card) {
        var link = card.querySelector("a");
        var here = kept[new URL(link.href).pathname];
        card.classList.toggle("on-phone", !!here);
        card.classList.toggle("not-on-phone", !here);
      });
    });
  }
})();
