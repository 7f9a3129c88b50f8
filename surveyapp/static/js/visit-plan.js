// surveyapp: the visit planning form offers only what fits: checklists for the kind of visit chosen,
// supervisors who cover the hall chosen. The server checks the same rules; this only saves a round trip.
(function () {
  "use strict";
  var form = document.getElementById("plan-form");
  if (!form || !window.fetch) { return; }
  var hall = form.elements.namedItem("hall");
  var type = form.elements.namedItem("type");
  var checklist = form.elements.namedItem("checklist");
  var supervisor = form.elements.namedItem("supervisor");

  function offerChecklists() {
    Array.prototype.forEach.call(checklist.options, function (option) {
      var fits = (" " + (option.dataset.types || "") + " ").indexOf(" " + type.value + " ") >= 0;
      option.hidden = option.disabled = !fits;
    });
    if (checklist.selectedOptions.length && checklist.selectedOptions[0].disabled) {
      var first = Array.prototype.filter.call(checklist.options, function (o) { return !o.disabled; })[0];
      checklist.value = first ? first.value : "";
    }
  }

  function offerSupervisors() {
    if (!hall.value) { return; }
    fetch(form.dataset.optionsUrl + "?hall=" + encodeURIComponent(hall.value), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var allowed = data.supervisors.map(String);
        Array.prototype.forEach.call(supervisor.options, function (option) {
          option.hidden = option.disabled = allowed.indexOf(option.value) < 0;
        });
        if (allowed.indexOf(supervisor.value) < 0 && allowed.length) { supervisor.value = allowed[0]; }
      });
  }

  type.addEventListener("change", offerChecklists);
  hall.addEventListener("change", offerSupervisors);
  offerChecklists();
  offerSupervisors();
})();
