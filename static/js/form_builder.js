// Audit-form builder: small progressive enhancements; every page works without it.
// - Shows the "errors at or below" field only for scale questions.
// - Asks before destructive or freezing actions (forms with data-confirm).
(function () {
  "use strict";

  function syncKind(form) {
    var kind = form.querySelector("select[name$='kind']");
    var scale = form.querySelector("[data-field='scale_error_at_or_below']");
    if (!kind || !scale) return;
    scale.hidden = kind.value !== "scale";
  }

  document.querySelectorAll("form.question-form").forEach(function (form) {
    syncKind(form);
    var kind = form.querySelector("select[name$='kind']");
    if (kind) kind.addEventListener("change", function () { syncKind(form); });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
