/* Long work's status pages (import, draw, scoring): while the job runs, poll its JSON status
 * (accounts.progress.job_status) and move the <progress> bar; reload once it has finished so
 * the server renders the outcome. No framework, no inline script (the CSP forbids it). */
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box || !window.fetch) return;
  var bar = document.getElementById("job-bar");
  var text = document.getElementById("job-text");
  var phase = document.getElementById("job-phase");
  var delay = 1500;

  function show(job) {
    if (job.percent === null || job.percent === undefined) {
      bar.removeAttribute("value"); // indeterminate: no total yet
      bar.textContent = "";
    } else {
      bar.value = job.percent;
      bar.textContent = job.percent + "%";
    }
    text.textContent = job.text;
    phase.textContent = job.phase ? job.phase.charAt(0).toUpperCase() + job.phase.slice(1) : "";
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.finished) { window.location.reload(); return; }
        setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, delay);
})();
