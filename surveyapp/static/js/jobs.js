// The job progress page: ask the server every second how far the job is and update the bar and stages;
// when the job ends, reload: the page then hands over to the result, or shows the error and a retry button.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var url = box.getAttribute("data-url");
  var first = box.getAttribute("data-status");
  if (box.getAttribute("data-finished") === "1") return;

  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }

  function show(s) {
    var bar = field("bar"), percent = field("percent"), status = field("status");
    if (status && s.status === "running") status.textContent = status.getAttribute("data-running");
    if (bar) bar.value = s.percent;
    if (percent) percent.textContent = s.percent + "%";
    s.stages.forEach(function (st) {
      var li = box.querySelector('[data-stage="' + st.key + '"]');
      if (!li) return;
      li.className = st.state;
      var count = li.querySelector('[data-field="count"]');
      if (st.state === "current" && s.total) {
        if (!count) {
          count = document.createElement("span");
          count.className = "muted";
          count.setAttribute("data-field", "count");
          li.appendChild(document.createTextNode(" "));
          li.appendChild(count);
        }
        count.textContent = s.done + "/" + s.total;
      } else if (count) {
        count.remove();
      }
    });
  }

  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 3000); return; }
        show(s);
        // the page itself, reloaded, hands over to the result (or shows the error and the retry button)
        if (s.finished || (s.status !== first && s.status === "done")) { window.location.reload(); return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
