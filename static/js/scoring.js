/* The scoring page, keyboard first. No framework, no CDN.
 *
 * Keys (ignored while typing in a text box, except Ctrl+Enter and Escape):
 *   j / ↓  next question          k / ↑  previous question
 *   y  yes / pass                 n  no / fail            a  N/A (where allowed)
 *   1–5  scale value, or the n-th choice of a single-choice question
 *   c  comment on the question just answered (or the current one after moving with j/k)
 *   Ctrl+Enter (⌘+Enter)  submit and open the next audit
 *   Escape  leave a text box and return to the questions
 *
 * Answering a question moves to the next one. Drafts are saved by a JSON POST to the form's
 * data-autosave-url a moment after each change and every few seconds while unsaved changes
 * remain, with the time spent on the audit (a visible counter that pauses when the page is
 * hidden or idle) so the server never has to guess it. The counter starts from the time the
 * server has kept, and time alone is saved too (every TIME_SAVE_SECONDS and when the page is
 * left), so time on task adds up across page loads and the submit carries the whole total.
 */
(function () {
  "use strict";

  const form = document.getElementById("scoring-form");
  if (!form) return;

  const questions = Array.from(form.querySelectorAll(".question"));
  const saveUrl = form.dataset.autosaveUrl;
  const status = document.getElementById("save-status");
  const clock = document.getElementById("time-spent");
  const timeInput = form.querySelector("input[name=time_spent_seconds]");
  const SAVE_AFTER_CHANGE_MS = 800;
  const SAVE_EVERY_MS = 5000;
  const TIME_SAVE_SECONDS = 5;

  let current = 0;
  let dirty = false;
  let saving = false;
  let changeTimer = null;
  let seconds = parseInt(form.dataset.timeSpent || "0", 10) || 0;
  let savedSeconds = seconds; // what the server holds
  // The question a `c` opens the comment of: the one just answered, or the current one
  // after moving with j/k or a click.
  let commentTarget = 0;

  // ----- moving between questions -------------------------------------------------------

  function focusQuestion(index) {
    if (!questions.length) return;
    current = Math.max(0, Math.min(questions.length - 1, index));
    commentTarget = current;
    questions.forEach((q, i) => q.classList.toggle("current", i === current));
    const question = questions[current];
    question.focus({ preventScroll: true });
    question.scrollIntoView({ block: "nearest" });
  }

  function nextUnanswered(from) {
    for (let i = from + 1; i < questions.length; i++) {
      if (!questions[i].querySelector("input[type=radio]:checked")) return i;
    }
    return Math.min(from + 1, questions.length - 1);
  }

  // ----- answering ------------------------------------------------------------------------

  function choose(question, value) {
    const input = question.querySelector(`input[type=radio][value="${CSS.escape(value)}"]`);
    if (!input) return false;
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function answerByKey(question, key) {
    const kind = question.dataset.kind;
    if (key === "y") return choose(question, kind === "pass_fail" ? "pass" : "yes");
    if (key === "n") return choose(question, kind === "pass_fail" ? "fail" : "no");
    if (key === "a") return choose(question, "na");
    if (/^[1-9]$/.test(key)) {
      if (kind === "scale") return choose(question, key);
      if (kind === "choice") {
        const options = question.querySelectorAll("input[type=radio]:not([value=na])");
        const option = options[parseInt(key, 10) - 1];
        return option ? choose(question, option.value) : false;
      }
    }
    return false;
  }

  const answeredCount = document.getElementById("answered-count");

  function markAnswered(question) {
    const answered = !!question.querySelector("input[type=radio]:checked");
    question.classList.toggle("answered", answered);
    if (answered) question.classList.remove("missing");
    if (answeredCount) {
      answeredCount.textContent = String(form.querySelectorAll(".question.answered").length);
    }
  }

  // ----- saving ---------------------------------------------------------------------------

  function collect() {
    const answers = {};
    const comments = {};
    questions.forEach((q) => {
      const checked = q.querySelector("input[type=radio]:checked");
      answers[q.dataset.key] = checked ? checked.value : "";
      const note = q.querySelector("textarea");
      if (note && note.value.trim()) comments[q.dataset.key] = note.value;
    });
    const internal = form.querySelector("textarea[name=internal_note]");
    return {
      answers,
      comments,
      internal_note: internal ? internal.value : "",
      time_spent_seconds: seconds,
    };
  }

  function csrfToken() {
    const field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function showStatus(text, state) {
    if (!status) return;
    status.textContent = text;
    status.dataset.state = state;
  }

  function clockTime(date) {
    // 24-hour clock whatever the browser's locale, like every time the server prints.
    return [date.getHours(), date.getMinutes(), date.getSeconds()]
      .map((part) => String(part).padStart(2, "0")).join(":");
  }

  async function save(timeOnly) {
    if (!saveUrl || saving || (!dirty && !timeOnly)) return;
    saving = true;
    const quiet = !dirty; // time alone: no "Saving…" flicker in the status
    dirty = false;
    if (!quiet) showStatus("Saving…", "saving");
    try {
      const draft = collect();
      const response = await fetch(saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(draft),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        if (!quiet) dirty = true;
        showStatus(body.error || `Not saved (${response.status})`, "error");
      } else {
        savedSeconds = Math.max(savedSeconds, draft.time_spent_seconds);
        // Another tab (or a last save of the page before a reload) may have kept more.
        if (body.time_spent_seconds > seconds) {
          seconds = body.time_spent_seconds;
          renderClock();
        }
        if (!quiet) showStatus(`Draft saved ${clockTime(new Date())}`, "saved");
      }
    } catch (error) {
      if (!quiet) dirty = true;
      showStatus("Offline: draft not saved yet", "error");
    } finally {
      saving = false;
    }
  }

  function changed() {
    dirty = true;
    showStatus("Unsaved changes", "dirty");
    clearTimeout(changeTimer);
    changeTimer = setTimeout(save, SAVE_AFTER_CHANGE_MS);
  }

  // ----- time spent -----------------------------------------------------------------------

  function renderClock() {
    if (timeInput) timeInput.value = String(seconds);
    if (!clock) return;
    const minutes = Math.floor(seconds / 60);
    const rest = String(seconds % 60).padStart(2, "0");
    clock.textContent = `${minutes}:${rest}`;
  }

  // Count a second only while the page is visible and someone touched it in the last two
  // minutes: a tab left open over lunch is not time spent auditing.
  const IDLE_AFTER_MS = 2 * 60 * 1000;
  let lastActivity = Date.now();
  ["keydown", "pointerdown", "pointermove", "wheel", "input"].forEach((name) =>
    document.addEventListener(name, () => { lastActivity = Date.now(); }, { passive: true })
  );
  setInterval(() => {
    if (document.visibilityState === "visible" && Date.now() - lastActivity < IDLE_AFTER_MS) {
      seconds += 1;
      renderClock();
    }
  }, 1000);
  setInterval(() => {
    if (dirty) save();
    else if (seconds - savedSeconds >= TIME_SAVE_SECONDS) save(true);
  }, SAVE_EVERY_MS);
  renderClock();

  // ----- wiring ---------------------------------------------------------------------------

  form.addEventListener("change", (event) => {
    const question = event.target.closest(".question");
    if (question) markAnswered(question);
    changed();
  });
  form.addEventListener("input", (event) => {
    if (event.target.matches("textarea")) changed();
  });
  questions.forEach((q, i) => q.addEventListener("click", () => focusQuestion(i)));

  form.addEventListener("submit", () => {
    renderClock();
    dirty = false; // the submit carries everything; no autosave should race it
    savedSeconds = seconds;
  });

  function typing(target) {
    return target.matches("textarea, input[type=text], input[type=search], select");
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      const next = form.querySelector("button[name=next]");
      form.requestSubmit(next || undefined);
      return;
    }
    if (typing(event.target)) {
      if (event.key === "Escape") {
        event.target.blur();
        focusQuestion(current);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === "j" || key === "ArrowDown") {
      event.preventDefault();
      focusQuestion(current + 1);
    } else if (key === "k" || key === "ArrowUp") {
      event.preventDefault();
      focusQuestion(current - 1);
    } else if (key === "c" && questions.length) {
      event.preventDefault();
      const details = questions[commentTarget].querySelector("details");
      if (details) {
        details.open = true;
        details.querySelector("textarea").focus();
      }
    } else if (questions.length && answerByKey(questions[current], key)) {
      event.preventDefault();
      const answered = current;
      focusQuestion(nextUnanswered(current));
      commentTarget = answered;
    }
  });

  // Last chance, as early as leaving allows (beforeunload comes before the next page's
  // request; pagehide is the fallback where beforeunload does not fire).
  function saveOnLeave() {
    if ((dirty || seconds > savedSeconds) && saveUrl && navigator.sendBeacon) {
      // Last chance: a beacon cannot set the CSRF header, so the token goes in the body.
      const data = new FormData();
      data.append("csrfmiddlewaretoken", csrfToken());
      data.append("payload", JSON.stringify(collect()));
      navigator.sendBeacon(saveUrl, data);
      savedSeconds = seconds;
      dirty = false;
    }
  }
  window.addEventListener("beforeunload", saveOnLeave);
  window.addEventListener("pagehide", saveOnLeave);

  questions.forEach(markAnswered);
  const firstMissing = questions.findIndex((q) => q.classList.contains("missing"));
  focusQuestion(firstMissing >= 0 ? firstMissing : nextUnanswered(-1));
})();
