/* Long work's status pages (import, draw, scoring, rebuild): while the job runs, poll its JSON status
 * (accounts.progress.job_status), move the <progress> bar and the status badges; reload once
 * it has finished so the server renders the outcome. No framework, no inline script (the CSP forbids it). */
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
    // The page's own status badges (the heading's), marked data-job-status.
    document.querySelectorAll("[data-job-status]").forEach(function (badge) {
      badge.textContent = job.status_label;
      badge.className = badge.className.replace(/\bstatus-\w+/, "status-" + job.status);
      badge.dataset.jobStatus = job.status;
    });
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
