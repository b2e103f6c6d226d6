/* Run page: while a draw is queued or running, poll its status and show progress; reload
 * the page once it has finished so the server renders the report. No framework, no CDN. */
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || !window.fetch) return;
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector("[role=progressbar]");
  var message = document.getElementById("run-progress-message");
  var badge = document.getElementById("run-status");
  var delay = 1000;

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (run) {
        bar.style.width = run.progress + "%";
        meter.setAttribute("aria-valuenow", run.progress);
        message.textContent = run.progress_message || "Waiting for a worker…";
        badge.textContent = run.status_label;
        badge.className = "badge status-" + run.status;
        if (run.finished) { window.location.reload(); return; }
        delay = Math.min(delay * 1.5, 5000);
        setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, delay);
})();
