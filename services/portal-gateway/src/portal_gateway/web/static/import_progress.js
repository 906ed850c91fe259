// The import page's progress: polls the import's JSON status every second while it runs,
// moves the bar and the counts, and reloads once it finished so the report table shows.
// Without JavaScript the page has a refresh link instead.
"use strict";

(function () {
  function poll(section) {
    var url = section.getAttribute("data-import-status");
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (job) {
        if (!job) return;
        var bar = section.querySelector("progress");
        if (bar) { bar.max = job.total || 1; bar.value = job.total ? job.done : 1; }
        var done = section.querySelector("[data-field=done]");
        if (done) done.textContent = job.done;
        Object.keys(job.counts || {}).forEach(function (outcome) {
          var cell = section.querySelector("[data-count=" + outcome + "]");
          if (cell) cell.textContent = job.counts[outcome];
        });
        if (job.status !== "running") { window.location.reload(); return; }
        window.setTimeout(function () { poll(section); }, 1000);
      })
      .catch(function () { window.setTimeout(function () { poll(section); }, 3000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("import-progress");
    if (section && section.getAttribute("data-state") === "running") poll(section);
  });
})();
