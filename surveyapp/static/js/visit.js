// surveyapp: the supervisor's checklist page (templates/visits/fill.html).
// Nothing entered is lost: every change is kept in this browser (IndexedDB) at once and autosaved to the
// server; photos wait in the browser until they are uploaded; a submission carries an id made once and is
// resent until the server acknowledges it. Without this file the page still works with plain form posts.
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  if (!form || !window.fetch || !window.Promise) { return; }

  var uid = form.dataset.visit;
  var text = document.getElementById("fill-messages").dataset;
  var statusBox = document.getElementById("fill-status");
  var errorBox = document.getElementById("fill-errors");
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var CONTROL = { csrf_token: 1, action: 1, submission_id: 1, remove_photo: 1 };
  var state = { closed: false, busy: false, timer: null };

  // --- little helpers -------------------------------------------------------------------------------

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function clock(iso) {
    var d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function say(message, tone, link) {
    statusBox.hidden = false;
    statusBox.className = "fill-status" + (tone ? " " + tone : "");
    statusBox.textContent = message + " ";
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.label;
      if (link.newTab) { a.target = "_blank"; a.rel = "noopener"; }
      if (link.onclick) { a.addEventListener("click", link.onclick); }
      statusBox.appendChild(a);
    }
  }

  function loginLink() {
    return { href: form.dataset.loginUrl, label: text.login, newTab: true };
  }

  function byName(name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }

  // --- the browser's copy (IndexedDB: drafts and submissions by visit, photos by client id) ----------

  var dbReady = new Promise(function (resolve) {
    if (!window.indexedDB) { resolve(null); return; }
    var request = indexedDB.open("surveyapp-visits", 1);
    request.onupgradeneeded = function () {
      var db = request.result;
      db.createObjectStore("drafts", { keyPath: "uid" });
      db.createObjectStore("submissions", { keyPath: "uid" });
      db.createObjectStore("photos", { keyPath: "client_id" }).createIndex("uid", "uid");
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { resolve(null); };
  });

  function withStore(name, mode, work) {
    return dbReady.then(function (db) {
      if (!db) { return undefined; }
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function get(name, key) { return withStore(name, "readonly", function (s) { return s.get(key); }); }
  function put(name, value) { return withStore(name, "readwrite", function (s) { return s.put(value); }); }
  function del(name, key) { return withStore(name, "readwrite", function (s) { return s.delete(key); }); }
  function photosOfVisit() {
    return withStore("photos", "readonly", function (s) { return s.index("uid").getAll(uid); }).then(function (list) {
      return (list || []).sort(function (a, b) { return a.added - b.added; });
    });
  }

  // --- talking to the server: a fresh CSRF token when the old one no longer matches ------------------

  function refreshToken() {
    return fetch(form.dataset.tokenUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { return r.status; }
        return r.json().then(function (data) { token = data.token; return 200; });
      });
  }

  function post(url, body) {
    function send() {
      var headers = { "X-CSRFToken": token, Accept: "application/json" };
      var payload = body;
      if (!(body instanceof FormData)) {
        headers["Content-Type"] = "application/json";
        payload = JSON.stringify(body);
      }
      return fetch(url, { method: "POST", headers: headers, body: payload, credentials: "same-origin" });
    }
    return send().then(function (response) {
      if (response.status !== 400) { return response; }
      // A refused CSRF token (e.g. after logging in again elsewhere): fetch a new one and try once more.
      return refreshToken().then(function (status) {
        return status === 200 ? send() : (status === 401 ? new Response("{}", { status: 401 }) : response);
      });
    });
  }

  // The server is there but cannot serve for a moment (503 while its database restarts, 502/504 from the
  // proxy in front, 429): like having no network, keep everything on the phone and send it later.
  function later(response) {
    return [429, 502, 503, 504].indexOf(response.status) >= 0;
  }

  function errorOf(response) {
    return response.json().then(function (d) { return d.error || ""; }, function () { return ""; });
  }

  // --- the form's fields ----------------------------------------------------------------------------

  function fields() {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && !CONTROL[name]) { out.push([name, value]); }
    });
    return out;
  }

  function applyFields(pairs) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || CONTROL[el.name] || el.type === "file" || el.type === "submit") { return; }
      if (el.type === "radio" || el.type === "checkbox") { el.checked = false; } else { el.value = ""; }
    });
    pairs.forEach(function (pair) {
      var els = byName(pair[0]);
      var choice = els.filter(function (el) { return (el.type === "radio" || el.type === "checkbox") && el.value === pair[1]; })[0];
      if (choice) { choice.checked = true; return; }
      var box = els.filter(function (el) { return el.type !== "radio" && el.type !== "checkbox" && !el.value; })[0];
      if (box) { box.value = pair[1]; }
    });
    progress();
  }

  // --- progress and sections ------------------------------------------------------------------------

  var sections = Array.prototype.slice.call(form.querySelectorAll(".cl-section"));
  var index = document.getElementById("section-index");
  var pager = document.getElementById("section-pager");
  var modeSwitch = document.getElementById("mode-switch");
  var mode = (window.localStorage && localStorage.getItem("surveyapp.fill-mode")) || "paged";
  var current = sections.length ? sections[0].id.replace("section-", "") : null;

  function answered(key) {
    return byName(key).some(function (el) {
      if (el.type === "radio" || el.type === "checkbox") { return el.checked; }
      return el.value.trim() !== "";
    });
  }

  function progress() {
    var done = 0;
    var total = 0;
    sections.forEach(function (section) {
      // Only what must be answered counts: an optional text left empty is not "missing".
      var items = section.querySelectorAll("fieldset.cl-item[data-required]");
      if (!items.length) { return; }
      var n = Array.prototype.filter.call(items, function (item) { return answered(item.id.slice(5)); }).length;
      done += n;
      total += items.length;
      var counter = index.querySelector("[data-count-for='" + section.id.slice(8) + "']");
      if (counter) {
        counter.textContent = n + "/" + items.length;
        counter.parentNode.classList.toggle("complete", n === items.length);
      }
    });
    var bar = document.getElementById("fill-progress");
    bar.max = total || 1;
    bar.value = done;
    var label = document.getElementById("fill-progress-text");
    label.textContent = label.dataset.template.replace("{done}", done).replace("{total}", total);
  }

  function show(id, scroll) {
    current = id;
    sections.forEach(function (section) {
      var hidden = mode === "paged" && section.id !== "section-" + id;
      if (hidden) { section.setAttribute("data-hidden", ""); } else { section.removeAttribute("data-hidden"); }
    });
    Array.prototype.forEach.call(index.querySelectorAll("a"), function (a) {
      if (a.dataset.section === id) { a.setAttribute("aria-current", "step"); a.scrollIntoView({ block: "nearest", inline: "center" }); }
      else { a.removeAttribute("aria-current"); }
    });
    var target = mode === "paged" ? index : document.getElementById("section-" + id);
    if (scroll && target) { target.scrollIntoView({ block: "start" }); }
  }

  function setMode(next) {
    mode = next;
    if (window.localStorage) { localStorage.setItem("surveyapp.fill-mode", next); }
    form.classList.toggle("paged", mode === "paged");
    pager.hidden = mode !== "paged";
    Array.prototype.forEach.call(modeSwitch.querySelectorAll("button"), function (b) { b.hidden = b.dataset.mode === mode; });
    show(current, false);
  }

  index.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-section]");
    if (!link) { return; }
    event.preventDefault();
    show(link.dataset.section, true);
  });
  pager.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-step]");
    if (!button) { return; }
    var ids = sections.map(function (s) { return s.id.slice(8); });
    var next = ids[Math.min(ids.length - 1, Math.max(0, ids.indexOf(current) + Number(button.dataset.step)))];
    show(next, true);
  });
  modeSwitch.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-mode]");
    if (button) { setMode(button.dataset.mode); }
  });

  // --- the draft: kept here at once, sent to the server shortly after ---------------------------------

  function keepLocal() {
    return put("drafts", { uid: uid, fields: fields(), client_at: new Date().toISOString(), synced: false });
  }

  function syncDraft() {
    if (state.closed) { return Promise.resolve(); }
    return get("drafts", uid).then(function (draft) {
      if (!draft || draft.synced) { return; }
      return post(form.dataset.draftUrl, { fields: draft.fields, client_at: draft.client_at }).then(function (response) {
        if (response.ok) {
          return get("drafts", uid).then(function (now) {
            if (now && now.client_at === draft.client_at) { now.synced = true; return put("drafts", now); }
          }).then(function () { say(text.saved.replace("{time}", clock())); });
        }
        return handleRefusal(response);
      }, function () { say(text.offline, "warn"); });
    });
  }

  function handleRefusal(response) {
    if (response.status === 401) { say(text.session, "bad", loginLink()); return; }
    if (later(response)) { say(text.unavailable, "warn"); return; }
    return errorOf(response).then(function (message) {
      if (response.status === 409) { state.closed = true; say(text.closed + " " + message, "bad"); }
      else { say(message || text.offline, "warn"); }
    });
  }

  function changed(event) {
    if (event.target.type === "file" || state.closed) { return; }
    progress();
    keepLocal();
    clearTimeout(state.timer);
    state.timer = setTimeout(syncDraft, 1000);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  // --- photos: kept here until uploaded ------------------------------------------------------------

  function strip(key) {
    var holder = form.querySelector("[data-photos-for='" + key + "']");
    var list = holder.querySelector(".photo-strip");
    if (!list) {
      list = document.createElement("ul");
      list.className = "photo-strip";
      holder.appendChild(list);
    }
    return list;
  }

  function showPending(record) {
    var li = document.createElement("li");
    li.className = "pending";
    li.dataset.client = record.client_id;
    var img = document.createElement("img");
    img.src = URL.createObjectURL(record.blob);
    img.alt = text.photo;
    img.width = img.height = 96;
    var note = document.createElement("span");
    note.className = "photo-state";
    note.textContent = text.photoWaiting;
    li.appendChild(img);
    li.appendChild(note);
    strip(record.item).appendChild(li);
  }

  function showUploaded(li, data) {
    li.className = "";
    li.dataset.photo = data.uid;
    li.querySelector("img").src = data.thumbnail;
    var note = li.querySelector(".photo-state");
    var button = document.createElement("button");
    button.type = "submit";
    button.name = "remove_photo";
    button.value = data.uid;
    button.className = "link small";
    button.textContent = text.remove;
    li.replaceChild(button, note);
  }

  function uploadPhotos() {
    return photosOfVisit().then(function (list) {
      var chain = Promise.resolve(true);
      list.forEach(function (record) {
        chain = chain.then(function (ok) {
          if (!ok) { return false; }
          var body = new FormData();
          body.append("file", record.blob, record.name || "photo.jpg");
          body.append("item", record.item);
          body.append("client_id", record.client_id);
          return post(form.dataset.photoUrl, body).then(function (response) {
            var li = form.querySelector("li[data-client='" + record.client_id + "']");
            if (response.ok) {
              return response.json().then(function (data) {
                if (li) { showUploaded(li, data); }
                return del("photos", record.client_id).then(function () { return true; });
              });
            }
            if (response.status === 401) { say(text.session, "bad", loginLink()); return false; }
            if (later(response)) { say(text.unavailable, "warn"); return false; }
            return errorOf(response).then(function (message) {
              // Refused for good (not an image, too large, ...): tell at the photo, drop it from the queue.
              if (li) { li.className = "pending"; li.querySelector(".photo-state").textContent = text.photoFailed + " " + message; }
              return del("photos", record.client_id).then(function () { return true; });
            });
          }, function () { say(text.offline, "warn"); return false; });
        });
      });
      return chain;
    });
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file" || !input.files.length) { return; }
    var key = input.name.replace(/\.photos$/, "");
    var queued = Array.prototype.map.call(input.files, function (file) {
      var record = { client_id: uuid4(), uid: uid, item: key, blob: file, name: file.name, added: Date.now() };
      showPending(record);
      return put("photos", record);
    });
    input.value = "";
    Promise.all(queued).then(uploadPhotos);
  });

  // --- submitting: one id per attempt, kept until the server answers --------------------------------

  function lock(on) {
    form.classList.toggle("locked", on);
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  // The refusal stays above the form (the autosave's line is separate) until every marked item is dealt with;
  // the section bar shows how many problems each section has.
  function markSections() {
    var left = 0;
    Array.prototype.forEach.call(index.querySelectorAll("a[data-section]"), function (a) {
      var section = document.getElementById("section-" + a.dataset.section);
      var n = section ? section.querySelectorAll(".cl-item.invalid, .field.invalid").length : 0;
      left += n;
      var badge = a.querySelector(".section-problems");
      a.classList.toggle("has-problems", n > 0);
      if (!n) { if (badge) { badge.remove(); } return; }
      if (!badge) { badge = document.createElement("span"); badge.className = "section-problems"; a.appendChild(badge); }
      badge.textContent = "!" + n;
    });
    errorBox.hidden = left === 0;
  }

  function resolve(event) {
    var holder = event.target.closest && event.target.closest(".cl-item.invalid, .field.invalid");
    if (!holder) { return; }
    var done = holder.id ? answered(holder.id.slice(5)) : event.target.value.trim() !== "";
    if (holder.querySelector(".cl-photos .errors")) { done = done && !!holder.querySelector(".photo-strip li"); }
    if (!done) { return; }
    holder.classList.remove("invalid");
    Array.prototype.forEach.call(holder.querySelectorAll(".js-error"), function (el) { el.remove(); });
    markSections();
  }
  form.addEventListener("change", resolve);
  form.addEventListener("input", resolve);

  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll(".js-error"), function (el) { el.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll(".cl-item.invalid, .field.invalid"), function (el) { el.classList.remove("invalid"); });
    markSections();
  }

  function showErrors(problems) {
    clearErrors();
    var marked = [];
    Object.keys(problems).forEach(function (name) {
      var key = name.replace(/\.(photos|remark)$/, "");
      var holder = document.getElementById("item-" + key);
      if (!holder) {
        var el = byName(name === "staff" ? "served" : name)[0];
        holder = el ? el.closest(".field") : form.querySelector(".visit-fields");
      }
      if (!holder) { return; }
      var list = document.createElement("ul");
      list.className = "errors js-error";
      problems[name].forEach(function (message) {
        var li = document.createElement("li");
        li.textContent = message;
        list.appendChild(li);
      });
      var anchor = name.slice(-7) === ".photos" ? holder.querySelector(".cl-photos") : null;
      (anchor || holder).appendChild(list);
      holder.classList.add("invalid");
      marked.push(holder);
    });
    // The server's answer is keyed by name; go to the first problem in the order of the form.
    marked.sort(function (a, b) { return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1; });
    var first = marked[0];
    errorBox.textContent = text.invalid;
    markSections();
    if (first) {
      var section = first.closest(".cl-section");
      if (section) { show(section.id.slice(8), false); }
      first.scrollIntoView({ block: "center" });
    }
  }

  function editAgain() {
    // Stop waiting to send: the answers stay; pressing submit again makes a new submission.
    return { href: "#", label: text.editAgain, onclick: function (event) {
      event.preventDefault();
      del("submissions", uid).then(function () { lock(false); statusBox.hidden = true; });
    } };
  }

  function sendSubmission() {
    return get("submissions", uid).then(function (pending) {
      if (!pending || state.busy) { return; }
      state.busy = true;
      lock(true);
      say(text.sending);
      return uploadPhotos().then(function (photosDone) {
        if (!photosDone) { say(text.queued, "warn", editAgain()); return; }
        return post(form.dataset.submitUrl, {
          submission_id: pending.submission_id, fields: pending.fields, submitted_at: pending.submitted_at
        }).then(function (response) {
          if (response.ok) {
            return response.json().then(function (data) {
              return del("submissions", uid).then(function () { return del("drafts", uid); }).then(function () {
                window.location.assign(data.redirect);
              });
            });
          }
          if (response.status === 401) { say(text.session, "bad", loginLink()); return; }
          if (later(response)) { say(text.unavailable, "warn", editAgain()); return; }
          if (response.status === 422 || response.status === 409) {
            return response.json().then(function (data) {
              return del("submissions", uid).then(function () {
                lock(false);
                if (data.fields) { statusBox.hidden = true; showErrors(data.fields); }
                else { say(text.closed + " " + (data.error || ""), "bad"); }
              });
            });
          }
          return errorOf(response).then(function (message) { say(message || text.queued, "warn"); });
        }, function () { say(text.queued, "warn", editAgain()); });
      }).then(function () { state.busy = false; }, function () { state.busy = false; });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = event.submitter;
    if (button && button.name === "remove_photo") {
      var li = button.closest("li");
      post(form.dataset.photoUrl + "/" + button.value + "/remove", {}).then(function (response) {
        if (response.ok) { li.remove(); } else { handleRefusal(response); }
      }, function () { say(text.offline, "warn"); });
      return;
    }
    keepLocal().then(function () {
      if (button && button.value === "submit") {
        clearErrors();
        var submission = { uid: uid, submission_id: uuid4(), fields: fields(), submitted_at: new Date().toISOString() };
        return put("submissions", submission).then(sendSubmission);
      }
      return syncDraft();
    });
  });

  // --- coming back: restore, resend, retry -----------------------------------------------------------

  function flush() {
    if (state.closed) { return; }
    uploadPhotos().then(syncDraft).then(sendSubmission);
  }
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") { flush(); } });
  setInterval(function () { if (navigator.onLine !== false) { flush(); } }, 15000);

  function restore() {
    var serverAt = Date.parse(form.dataset.draftClientAt || "") || 0;
    return get("drafts", uid).then(function (draft) {
      // Newer than the page (a page kept for offline use may be older than what was typed since, even if sent).
      if (draft && Date.parse(draft.client_at) > serverAt) {
        applyFields(draft.fields);
        say(text.restored.replace("{time}", clock(draft.client_at)));
      }
      return photosOfVisit();
    }).then(function (list) {
      list.forEach(showPending);
      return get("submissions", uid);
    }).then(function (pending) {
      if (pending) { applyFields(pending.fields); }
      flush();
    });
  }

  // The checklist's instructions belong with the visit's own fields, not above every section.
  var intro = form.querySelector(".cl-intro");
  if (intro) { document.getElementById("section-visit").appendChild(intro); }
  modeSwitch.hidden = false;
  setMode(mode);
  progress();
  restore();
})();
