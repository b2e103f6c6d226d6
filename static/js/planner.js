/* Sample-size planner: live updates without a page reload.
 *
 * Progressive enhancement: the form is a plain GET form the server answers in full. With this
 * script, changing the population (vendors, window, strata…) re-counts it through
 * population.json, and every keystroke in the precision fields recomputes the plan through
 * calculate.json (debounced; the population is not recounted). No framework, no CDN.
 */
(function () {
  "use strict";
  var form = document.getElementById("planner-form");
  if (!form || !window.fetch || !window.URLSearchParams) return;

  var PRECISION = ["confidence", "margin", "expected_rate", "minimum", "cap", "costs"];
  var MEASURED = ["vendors", "sites", "workflows", "decisions", "automation"];
  var byId = function (id) { return document.getElementById(id); };
  var strata = JSON.parse(byId("planner-strata").textContent) || [];
  var windowInfo = JSON.parse(byId("planner-window").textContent);
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var populationSeq = 0;
  var calculateSeq = 0;

  function integer(n) { return Number(n).toLocaleString("en-US"); }
  function percent(x, digits) {
    // As accounts/formats.py writes them: one decimal unless asked, "93.4%".
    return x === null || x === undefined ? "—" : (x * 100).toFixed(digits === undefined ? 1 : digits) + "%";
  }
  function plusminus(x, digits) { return x === null || x === undefined ? "—" : "± " + percent(x, digits); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function debounce(fn, ms) {
    var timer;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  function status(text) { byId("planner-status").textContent = text; }

  function formQuery(only) {
    var data = new FormData(form);
    var query = new URLSearchParams();
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      var precision = PRECISION.indexOf(name) !== -1;
      if (only === "population" && precision) return;
      query.append(name, value);
    });
    return query.toString();
  }

  function showErrors(errors) {
    form.querySelectorAll(".field-errors").forEach(function (list) { list.textContent = ""; });
    form.querySelectorAll(".has-error").forEach(function (f) { f.classList.remove("has-error"); });
    var general = byId("planner-errors");
    general.textContent = "";
    general.hidden = true;
    Object.keys(errors || {}).forEach(function (name) {
      var target = name === "__all__" ? general : form.querySelector('[data-field="' + name + '"] .field-errors');
      if (!target) { target = general; }
      errors[name].forEach(function (e) { target.appendChild(el("li", "", e.message)); });
      if (target === general) { general.hidden = false; }
      else { target.parentNode.classList.add("has-error"); }
    });
  }

  function render(plan) {
    byId("population-total").textContent = integer(plan.population);
    byId("population-window").textContent = windowInfo ? windowInfo.label : "";
    byId("required-n0").textContent = integer(plan.n0);
    byId("required-fpc").textContent = plan.n_fpc === null ? "—" : integer(plan.n_fpc);
    byId("z-value").textContent = plan.z.toFixed(4);

    var notes = byId("planner-notes");
    notes.textContent = "";
    plan.notes.forEach(function (note) { notes.appendChild(el("li", "", note)); });

    var summary = byId("allocation-summary").tBodies[0];
    summary.textContent = "";
    plan.allocations.forEach(function (a) {
      var row = el("tr");
      row.dataset.method = a.method;
      row.appendChild(el("td", "", a.label));
      row.appendChild(el("td", "num total", integer(a.total)));
      row.appendChild(el("td", "num", plusminus(a.overall_margin)));
      row.appendChild(el("td", "num", String(a.unsampled)));
      row.appendChild(el("td", "small", a.notes.join(" ")));
      summary.appendChild(row);
    });
    if (!plan.allocations.length) {
      var empty = el("tr");
      var cell = el("td", "muted", "No tickets match this population.");
      cell.colSpan = 5;
      empty.appendChild(cell);
      summary.appendChild(empty);
    }

    var table = byId("strata-table");
    var head = el("tr");
    head.appendChild(el("th", "", "Stratum"));
    head.appendChild(el("th", "num", "Nₕ"));
    head.appendChild(el("th", "num", "Wₕ"));
    plan.allocations.forEach(function (a) { head.appendChild(el("th", "num", a.label)); });
    table.tHead.textContent = "";
    table.tHead.appendChild(head);
    var body = table.tBodies[0];
    body.textContent = "";
    var first = plan.allocations[0];
    (first ? first.strata : []).forEach(function (stratum, i) {
      var row = el("tr");
      row.appendChild(el("td", "", stratum.label));
      row.appendChild(el("td", "num", integer(stratum.population)));
      row.appendChild(el("td", "num", percent(stratum.weight, 1)));
      plan.allocations.forEach(function (a) {
        var share = a.strata[i];
        var cell = el("td", "num");
        cell.appendChild(el("span", "n", integer(share.sample)));
        cell.appendChild(el("span", "moe", plusminus(share.margin, 1)));
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
    renderAssisted(plan);
  }

  // The AI-assisted panel: ρ and the minutes per audit were measured by the server for the
  // population it was given; n·(1 − ρ²) follows the precision fields (assisted_sample_size).
  function renderAssisted(plan) {
    var panel = byId("assisted-panel");
    if (!panel || plan.n_fpc === null) return;
    var rho = Number(panel.dataset.rho);
    var m = Math.min(plan.n_fpc, Math.ceil(Number((plan.n_fpc * (1 - rho * rho)).toFixed(9))));
    byId("assisted-n").textContent = integer(m);
    byId("assisted-base").textContent = integer(plan.n_fpc);
    byId("assisted-saved").textContent = integer(plan.n_fpc - m);
    if (panel.dataset.seconds && byId("assisted-hours")) {
      byId("assisted-hours").textContent = ((plan.n_fpc - m) * Number(panel.dataset.seconds) / 3600).toFixed(1);
    }
  }

  function markAssistedStale() {
    var stale = byId("assisted-stale");
    if (!stale) return;
    stale.querySelector("a").href = "?" + formQuery();
    stale.hidden = false;
  }

  // The risk-weighted trade follows every input (the population's scores and the split of n):
  // the server computes it on a full load.
  function markRiskTradeStale() {
    var stale = byId("risk-trade-stale");
    if (!stale) return;
    stale.querySelector("a").href = "?" + formQuery();
    stale.hidden = false;
  }

  function remember() {
    var query = formQuery();
    history.replaceState(null, "", "?" + query);
    var save = byId("save-as-plan");
    if (save) save.href = save.href.split("?")[0] + "?" + query;
  }

  function calculate() {
    var seq = ++calculateSeq;
    var body = {};
    PRECISION.forEach(function (name) { body[name] = form.elements[name].value; });
    body.strata = strata;
    status("Calculating…");
    return fetch(form.dataset.calculateUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (seq !== calculateSeq) return;
        if (!response.ok) { showErrors(data.errors); status("Fix the highlighted fields."); return; }
        showErrors({});
        render(data.plan);
        remember();
        status("");
      });
    }).catch(function () { if (seq === calculateSeq) status("Could not reach the server."); });
  }

  function countPopulation() {
    var seq = ++populationSeq;
    status("Counting tickets…");
    return fetch(form.dataset.populationUrl + "?" + formQuery("population"), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (seq !== populationSeq) return;
        if (!response.ok) { showErrors(data.errors); status("Fix the highlighted fields."); return; }
        strata = data.strata;
        windowInfo = data.window;
        return calculate();
      });
    }).catch(function () { if (seq === populationSeq) status("Could not reach the server."); });
  }

  var recalculate = debounce(calculate, 200);
  var recount = debounce(countPopulation, 350);
  form.addEventListener("input", function (event) {
    if (PRECISION.indexOf(event.target.name) !== -1) recalculate(); else recount();
    // The model is measured on the filter's audits, whatever the window or strata.
    if (MEASURED.indexOf(event.target.name) !== -1) markAssistedStale();
    markRiskTradeStale();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    countPopulation();
  });
  if (!windowInfo) countPopulation();
})();
