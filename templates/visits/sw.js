// surveyapp's service worker (served by surveyapp.visits.offline_views): the supervisor's pages work offline.
// Static files come from the cache first. The supervisor's pages (My visits and each visit opened) come from
// the network and are kept as they arrive; with no network the kept copy is shown. Answers, photos and
// submissions are not handled here: visit.js keeps them in IndexedDB and sends them when the network is back.
"use strict";
var CACHE = {{ cache|tojson }};
var ASSETS = {{ assets|tojson }};
var HOME = {{ home|tojson }};
var PREFIX = {{ prefix|tojson }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("surveyapp-") === 0 && name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function kept(request) {
  return caches.open(CACHE).then(function (cache) { return cache.match(request, { ignoreSearch: true }); });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    // Only real pages are kept: not a login page the server redirected to, not an error.
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return kept(request).then(function (hit) {
      return hit || kept(HOME).then(function (home) { return home || Response.error(); });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(kept(request).then(function (hit) { return hit || fetch(request); }));
  } else if (request.mode === "navigate" && url.pathname.indexOf(PREFIX + "visits") === 0) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf("/visits/photos/") === 0) {
    event.respondWith(networkFirst(request));
  }
});
