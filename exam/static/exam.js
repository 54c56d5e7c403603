// The exam page: renders the paper from the API, saves every answer as it changes (with a
// sequence number, so an older save never overwrites a newer one), keeps unsaved answers in
// localStorage until the server acknowledges them, and counts down to the server's deadline.
(function () {
  "use strict";
  var app = document.getElementById("exam-app");
  if (!app) { return; }
  var t = app.dataset;
  var storeKey = "anpei-attempt-" + t.attempt;
  var paper = null;
  var deadline = 0;        // ms since the epoch, from the server
  var offset = 0;          // server time minus this device's time, in ms
  var state = {};          // question id -> {answer, seq, acked, flagged}
  var timers = {};
  var closed = false;
  var current = 0;         // the question shown when one question per screen
  var paged = false;       // one question per screen (else the whole paper on one page)
  var kindLabels = {};     // kind code -> its name (单选题 …), from the page
  try { kindLabels = JSON.parse(t.kinds || "{}"); } catch (e) { kindLabels = {}; }
  var numbers = {};        // question id -> its number on the paper

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function persist() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* full: keep in memory */ }
  }
  function pending() {
    return Object.keys(state).filter(function (q) { return !state[q].acked; });
  }
  var blocked = "";        // the server's message while this device (or network) is refused
  var failures = 0;        // requests that failed in a row (the back-off grows with them)
  var retryAt = 0;         // when the queue may be sent again (ms since the epoch)
  var REFUSED = ["device_blocked", "network", "unauthenticated", "must_change_password"];
  // The attempt is over: what is still queued can never be stored.
  var ENDED = ["submitted", "too_late", "cancelled"];
  function setStatus(kind) {
    var badge = document.getElementById("save-state");
    var text = {saved: t.tSaved, saving: t.tSaving, offline: t.tOffline, blocked: blocked}[kind];
    badge.textContent = text;
    badge.className = "badge text-wrap text-bg-" +
      {saved: "success", saving: "warning", offline: "danger", blocked: "danger"}[kind];
    badge.dataset.state = kind;
  }
  function refreshStatus() {
    if (blocked) { setStatus("blocked"); }
    else if (!pending().length) { setStatus("saved"); }
    else { setStatus(navigator.onLine === false || failures ? "offline" : "saving"); }
  }
  function notice(text) {
    var box = document.getElementById("exam-notice");
    box.textContent = text;
    box.classList.remove("d-none");
  }

  function request(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": t.csrf, "Accept": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }
  // The API's refusal {"error": {"code", "message"}}, or {} when the answer is not one (a
  // proxy's error page, a cut connection).
  function refusal(response) {
    return response.json().then(function (body) { return (body && body.error) || {}; },
                                function () { return {}; });
  }
  // A token outlives no exam for sure (24 h, and extra time): the heartbeat hands a fresh one,
  // and so does a refusal for an old one.
  function freshToken(token) { if (token) { t.csrf = token; } }

  // Sending again after a failure waits longer each time (1, 2, 4 … 30 s, or the server's
  // Retry-After), like after a dropped connection; any acknowledgement resets it.
  function backOff(response) {
    failures += 1;
    var after = response ? Number(response.headers.get("Retry-After")) : NaN;
    var delay = after > 0 ? after * 1000 : Math.min(30000, 1000 * Math.pow(2, failures - 1));
    retryAt = Date.now() + delay + Math.random() * 500;
    refreshStatus();
    return delay;
  }
  function acknowledged() { failures = 0; retryAt = 0; }

  // What became of a request the server did not acknowledge: "csrf" (send again now, with the
  // fresh token), "retry" (keep it, send again later), "blocked" (kept until the device is
  // allowed), "ended" (the attempt is over) or "refused" (this request can never succeed).
  function outcome(response, error) {
    if (error.code === "csrf") { freshToken(error.csrf_token); return "csrf"; }
    if (REFUSED.indexOf(error.code) >= 0) {
      blocked = error.message || t.tError;
      refreshStatus();
      return "blocked";
    }
    if (ENDED.indexOf(error.code) >= 0) { return "ended"; }
    if (error.code === "retry" || response.status >= 500 || response.status === 429 || !error.code) {
      backOff(response);
      return "retry";
    }
    return "refused";
  }

  var inflight = {};
  function send(questionId, again) {
    var entry = state[questionId];
    if (!entry || entry.acked || closed || inflight[questionId]) { return Promise.resolve(); }
    var seq = entry.seq;
    inflight[questionId] = true;
    refreshStatus();
    return request("PUT", t.api + "/answers/" + questionId, {answer: entry.answer, seq: seq})
      .then(function (response) {
        if (response.ok) {
          // Only the server's acknowledgement takes an answer off this device's queue.
          blocked = "";
          acknowledged();
          savedAt = Date.now();
          if (state[questionId].seq === seq) { state[questionId].acked = true; }
          persist();
          refreshStatus();
          return "saved";
        }
        return refusal(response).then(function (error) {
          var next = outcome(response, error);
          if (next === "ended") { end(error.message); }
          else if (next === "refused") {   // this answer can never be stored (e.g. a wrong shape)
            state[questionId].acked = true;
            persist();
            notice(t.tNotSaved.replace("{n}", numbers[questionId] || "") + " " + (error.message || ""));
            refreshStatus();
          }
          return next;
        });
      }, function () { backOff(null); return "retry"; })
      .then(function (next) {
        inflight[questionId] = false;
        // Changed while it was on its way: the newer answer goes now.
        if (next === "saved" && !state[questionId].acked) { return send(questionId); }
        if (next === "csrf" && !again) { return send(questionId, true); }
        if (next === "csrf") { backOff(null); }   // refused twice: later, like a dropped line
      });
  }
  function flush() {
    return Promise.all(pending().map(function (q) { return send(q); }));
  }
  // The queue is sent again once the back-off has passed; nothing waits while it is empty.
  setInterval(function () {
    if (pending().length && !blocked && Date.now() >= retryAt) { flush(); }
  }, 1000);
  window.addEventListener("online", function () { retryAt = 0; flush(); });
  window.addEventListener("offline", refreshStatus);

  function changed(questionId, answer) {
    var entry = state[questionId] || {seq: 0};
    state[questionId] = {answer: answer, seq: entry.seq + 1, acked: false, flagged: entry.flagged};
    persist();
    refreshStatus();
    clearTimeout(timers[questionId]);
    timers[questionId] = setTimeout(function () { send(questionId); }, 400);
    drawNavigator();
  }

  // Each kind of question brings its widget (static/kinds/<kind>.js, loaded by the page
  // before this script): render(q, saved, changed, ui) and, optionally, answered(answer).
  var kinds = window.AnpeiKinds || {};
  function answered(q) {
    var a = state[q.question_id] && state[q.question_id].answer;
    var widget = kinds[q.kind];
    if (widget && widget.answered) { return widget.answered(a); }
    return a !== null && a !== undefined && a !== "";
  }

  function el(tag, attrs, html) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (html !== undefined) { node.innerHTML = html; }  // sanitised by the server
    return node;
  }

  // Options A, B, … with a radio button or a checkbox each, for the kinds that have them;
  // the answer is the letters chosen, in order.
  function optionList(q, saved, onChange, type) {
    var list = el("div", {"class": "list-group"});
    q.options.forEach(function (option) {
      var label = el("label", {"class": "list-group-item d-flex gap-2"});
      var input = el("input", {"class": "form-check-input mt-1", "type": type,
                               "name": "q" + q.question_id, "value": option.letter});
      input.checked = typeof saved === "string" && saved.indexOf(option.letter) >= 0;
      label.appendChild(input);
      label.appendChild(el("span", {}, "<b>" + option.letter + ".</b> " + option.text));
      list.appendChild(label);
    });
    list.addEventListener("change", function () {
      onChange(Array.prototype.filter.call(list.querySelectorAll("input"), function (i) { return i.checked; })
        .map(function (i) { return i.value; }).sort().join(""));
    });
    return list;
  }

  function renderQuestion(q) {
    var box = el("section", {"class": "card mb-3 question", "id": "q" + q.question_id,
                             "data-question": q.question_id, "tabindex": "-1",
                             "aria-label": t.tQuestion.replace("{n}", q.number)});
    var body = el("div", {"class": "card-body"});
    box.appendChild(body);
    var head = el("div", {"class": "d-flex gap-2 align-items-start mb-2"});
    head.appendChild(el("span", {"class": "badge text-bg-light border"}, String(q.number)));
    var kind = el("span", {"class": "badge text-bg-info kind-label", "data-kind": q.kind});
    kind.textContent = kindLabels[q.kind] || q.kind;
    head.appendChild(kind);
    head.appendChild(el("div", {"class": "flex-grow-1 question-stem"}, q.stem));
    head.appendChild(el("span", {"class": "small text-muted text-nowrap"}, q.points + " " + t.tPoints));
    body.appendChild(head);
    var saved = state[q.question_id] ? state[q.question_id].answer : null;
    var widget = kinds[q.kind];
    var ui = {el: el, text: t, name: "q" + q.question_id, optionList: optionList};
    body.appendChild(widget ? widget.render(q, saved, function (answer) { changed(q.question_id, answer); }, ui)
                            : el("p", {"class": "text-danger"}, t.tError));
    var flag = el("label", {"class": "form-check small mt-2"});
    var box2 = el("input", {"class": "form-check-input", "type": "checkbox"});
    box2.checked = !!(state[q.question_id] && state[q.question_id].flagged);
    box2.addEventListener("change", function () {
      state[q.question_id] = state[q.question_id] || {answer: null, seq: 0, acked: true};
      state[q.question_id].flagged = box2.checked;
      persist();
      drawNavigator();
    });
    flag.appendChild(box2);
    flag.appendChild(el("span", {"class": "form-check-label"}, t.tFlag));
    body.appendChild(flag);
    return box;
  }

  // The answer card (答题卡): a button per question, answered / unanswered / marked, the one
  // shown marked as current; a button takes the candidate to its question.
  function drawNavigator() {
    if (!paper) { return; }
    var nav = document.getElementById("navigator");
    nav.innerHTML = "";
    var done = 0;
    paper.questions.forEach(function (q, index) {
      var entry = state[q.question_id] || {};
      var isAnswered = answered(q);
      if (isAnswered) { done += 1; }
      var status = entry.flagged ? "flagged" : isAnswered ? "answered" : "unanswered";
      var button = el("button", {"type": "button", "data-question": q.question_id, "data-status": status,
        "class": "btn btn-sm card-cell " + (entry.flagged ? "btn-warning" : isAnswered ? "btn-primary" : "btn-outline-secondary"),
        "aria-label": t.tQuestion.replace("{n}", q.number) + " " +
          (isAnswered ? t.tAnswered : t.tUnansweredOne) + (entry.flagged ? " " + t.tFlagged : "")},
        String(q.number));
      if (paged && index === current) { button.setAttribute("aria-current", "step"); }
      button.addEventListener("click", function () { show(index, true); });
      nav.appendChild(button);
    });
    document.getElementById("card-count").textContent =
      t.tCount.replace("{done}", done).replace("{total}", paper.questions.length);
  }

  // Show a question: the only one on the screen when one question per screen, else scrolled to.
  function show(index, focus) {
    var sections = document.querySelectorAll("#questions section.question");
    if (!sections.length) { return; }
    current = Math.max(0, Math.min(index, sections.length - 1));
    if (!paged) {
      sections[current].scrollIntoView({behavior: "smooth"});
      if (focus) { sections[current].focus({preventScroll: true}); }
      return;
    }
    Array.prototype.forEach.call(sections, function (s, i) { s.classList.toggle("d-none", i !== current); });
    document.getElementById("prev").disabled = current === 0;
    document.getElementById("next").disabled = current === sections.length - 1;
    document.getElementById("position").textContent =
      t.tPosition.replace("{n}", current + 1).replace("{total}", sections.length);
    drawNavigator();
    if (focus) {
      sections[current].focus({preventScroll: true});
      window.scrollTo({top: 0});
    }
  }

  // One question per screen, or the whole paper: the exam's setting, one per screen on a phone,
  // and the candidate's own choice on this device above both.
  var layoutKey = "anpei-layout";
  function chosenLayout() {
    var mine = null;
    try { mine = localStorage.getItem(layoutKey); } catch (e) { mine = null; }
    if (mine === "paged" || mine === "all") { return mine === "paged"; }
    return !!paper.one_question_per_page || window.matchMedia("(max-width: 767.98px)").matches;
  }
  function setLayout(onePerScreen) {
    paged = onePerScreen;
    var toggle = document.getElementById("layout-toggle");
    toggle.classList.remove("d-none");
    toggle.textContent = paged ? t.tAll : t.tPaged;
    toggle.setAttribute("aria-pressed", paged ? "true" : "false");
    document.getElementById("pager").classList.toggle("d-none", !paged);
    app.classList.toggle("exam-paged", paged);
    if (!paged) {
      Array.prototype.forEach.call(document.querySelectorAll("#questions section.question"),
        function (s) { s.classList.remove("d-none"); });
      drawNavigator();
    } else { show(current); }
  }
  var pagingReady = false;
  function setUpPaging() {
    if (pagingReady) { return; }
    pagingReady = true;
    document.getElementById("prev").textContent = t.tPrev;
    document.getElementById("next").textContent = t.tNext;
    document.getElementById("prev").addEventListener("click", function () { show(current - 1, true); });
    document.getElementById("next").addEventListener("click", function () { show(current + 1, true); });
    document.getElementById("layout-toggle").addEventListener("click", function () {
      try { localStorage.setItem(layoutKey, paged ? "all" : "paged"); } catch (e) { /* this time only */ }
      setLayout(!paged);
    });
    // A swipe sideways on the question goes to the next or the previous one.
    var box = document.getElementById("questions"), x0 = null, y0 = null;
    box.addEventListener("touchstart", function (event) {
      x0 = event.touches[0].clientX; y0 = event.touches[0].clientY;
    }, {passive: true});
    box.addEventListener("touchend", function (event) {
      if (!paged || x0 === null) { return; }
      var dx = event.changedTouches[0].clientX - x0, dy = event.changedTouches[0].clientY - y0;
      x0 = null;
      if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) { show(current + (dx < 0 ? 1 : -1), true); }
    }, {passive: true});
    // The arrow keys do the same, unless they are moving within an answer (radio buttons, text).
    document.addEventListener("keydown", function (event) {
      if (!paged || event.altKey || event.ctrlKey || event.metaKey) { return; }
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select") { return; }
      if (event.key === "ArrowRight") { show(current + 1, true); event.preventDefault(); }
      if (event.key === "ArrowLeft") { show(current - 1, true); event.preventDefault(); }
    });
  }

  function tick() {
    var left = Math.max(0, Math.floor((deadline - (Date.now() + offset)) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    document.getElementById("countdown").textContent = t.tLeft + " " + (h ? h + ":" : "") +
      (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    if (left === 0 && !closed) {
      document.getElementById("countdown").textContent = t.tOver;
      submit(true);
    }
  }

  // The attempt is over: nothing of it stays on this device (the queue, the kept paper).
  function forget() {
    try { localStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
    if (window.caches) { caches.delete("anpei-attempt-" + t.attempt).catch(function () { /* none */ }); }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({forget: t.attempt});
    }
  }
  function finish() {
    closed = true;
    forget();
    window.location.href = t.result;
  }
  // The server refused for good because the attempt is over: say so, then show the result.
  function end(message) {
    if (closed) { return; }
    closed = true;
    notice(message || t.tClosed);
    forget();
    setTimeout(function () { window.location.href = t.result; }, 5000);
  }

  var submitting = false;
  function submit(auto) {
    if (closed || submitting) { return; }
    if (!auto) {
      var missing = paper.questions.filter(function (q) { return !answered(q); }).map(function (q) { return q.number; });
      var text = t.tConfirm + (missing.length ? "\n" + t.tUnanswered + " " + missing.join(", ") : "");
      if (!window.confirm(text)) { return; }
    }
    submitting = true;
    document.getElementById("submit-exam").disabled = true;
    trySubmit(false);
  }
  function stopSubmitting() {
    submitting = false;
    document.getElementById("submit-exam").disabled = false;
  }
  // Every answer must be acknowledged before the attempt is submitted; until then (and while
  // the server cannot take the submission) it tries again with the same back-off as the saves.
  function trySubmit(again) {
    if (closed) { return; }
    function later() { setTimeout(function () { trySubmit(false); }, Math.max(250, retryAt - Date.now())); }
    flush().then(function () {
      if (closed) { return; }
      if (blocked) { stopSubmitting(); return; }
      if (pending().length) { later(); return; }
      return request("POST", t.api + "/submit").then(function (response) {
        if (response.ok || response.status === 404) { finish(); return; }
        return refusal(response).then(function (error) {
          var next = outcome(response, error);
          if (next === "csrf") {
            if (again) { backOff(null); later(); } else { trySubmit(true); }
          } else if (next === "retry") { later(); }
          else if (next === "ended" || response.status === 409) { finish(); }
          else {
            if (next === "refused") { notice(error.message || t.tError); }
            stopSubmitting();
          }
        });
      }, function () { backOff(null); later(); });
    });
  }

  // Every little while (and when the page is shown again) the server hears from the page and
  // answers with the deadline as it is now (an organiser may have given more time) and a
  // fresh CSRF token for the requests that follow. A beat that comes due within one interval
  // of an acknowledged answer is skipped (the server has just heard from the page, and keeps
  // the answer's time as its last contact), never two in a row, and never in the last two
  // intervals before the deadline: extra time given near the end arrives before the page
  // would submit at the old deadline.
  var BEAT_MS = (Number(t.heartbeat) || 20) * 1000, savedAt = 0, skipped = false;
  function beatDue() {
    var nearTheEnd = deadline - (Date.now() + offset) <= 2 * BEAT_MS;
    if (!skipped && !nearTheEnd && Date.now() - savedAt < BEAT_MS) { skipped = true; return; }
    skipped = false;
    heartbeat();
  }
  function heartbeat(again) {
    if (closed || !paper) { return; }
    var asked = Date.now();
    request("POST", t.api + "/heartbeat").then(function (response) {
      if (!response.ok) {
        return refusal(response).then(function (error) {
          if (error.code === "csrf" && again !== true) { freshToken(error.csrf_token); heartbeat(true); }
          else if (REFUSED.indexOf(error.code) >= 0) { blocked = error.message; refreshStatus(); }
        });
      }
      return response.json().then(function (data) {
        freshToken(data.csrf_token);
        if (blocked) { blocked = ""; refreshStatus(); flush(); }
        offset = Date.parse(data.server_time) - (asked + Date.now()) / 2;
        deadline = Date.parse(data.deadline);
        if (data.submitted) { finish(); } else { tick(); }
      });
    }).catch(function () { /* offline: the next beat tries again */ });
  }
  function focusLost() {
    if (closed || !paper || t.focus !== "1") { return; }
    fetch(t.api + "/events", {method: "POST", credentials: "same-origin", keepalive: true,
      headers: {"Content-Type": "application/json", "X-CSRFToken": t.csrf, "Accept": "application/json"},
      body: JSON.stringify({kind: "focus_lost"})}).catch(function () { /* offline: not recorded */ });
  }

  function start() {
    var asked = Date.now();
    var keptAt = 0;
    request("GET", t.api).then(function (response) {
      // Without a network the worker answers with the paper it kept, and says when it was kept.
      if (response.headers.get("X-Anpei-Offline")) {
        keptAt = Number(response.headers.get("X-Anpei-Kept-At")) || 0;
        notice(t.tOfflinePaper);
      }
      if (!response.ok) {
        return response.json().then(function (error) {
          var code = error && error.error && error.error.code;
          if (REFUSED.indexOf(code) >= 0) {
            blocked = error.error.message;
            document.getElementById("questions").textContent = blocked;
            refreshStatus();
          }
          throw new Error(response.status);
        });
      }
      blocked = "";
      return response.json();
    }).then(function (data) {
      // The server's clock, corrected by half the round trip, is the only clock that counts.
      offset = Date.parse(data.server_time) - (keptAt || (asked + Date.now()) / 2);
      deadline = Date.parse(data.deadline);
      paper = data.paper;
      if (data.submitted) { finish(); return; }
      paper.questions.forEach(function (q) { numbers[q.question_id] = q.number; });
      var local = load();
      Object.keys(data.answers).forEach(function (q) {
        state[q] = {answer: data.answers[q].answer, seq: data.answers[q].seq, acked: true, flagged: false};
      });
      Object.keys(local).forEach(function (q) {
        // A newer answer kept on this device wins, and is sent again.
        if (!state[q] || local[q].seq > state[q].seq) { state[q] = local[q]; state[q].acked = false; }
        else { state[q].flagged = !!local[q].flagged; }
      });
      persist();
      var box = document.getElementById("questions");
      box.innerHTML = "";
      paper.questions.forEach(function (q) { box.appendChild(renderQuestion(q)); });
      setUpPaging();
      setLayout(chosenLayout());
      keepForOffline();
      refreshStatus();
      flush();
      tick();
      setInterval(tick, 1000);
      setInterval(beatDue, BEAT_MS);
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "hidden") { focusLost(); } else { tick(); heartbeat(); }
      });
    }).catch(function () {
      if (!blocked) { document.getElementById("questions").textContent = t.tError; }
      setTimeout(start, blocked ? 5000 : 3000);
    });
  }

  // The exam page's service worker keeps this page, its paper and its assets for a reload
  // without a network; it is told what this page loaded before it was in control.
  function keepForOffline() {
    if (!navigator.serviceWorker || !t.worker) { return; }
    navigator.serviceWorker.register(t.worker, {scope: "/"}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var assets = Array.prototype.map.call(document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=icon]"),
        function (node) { return node.src || node.href; });
      registration.active.postMessage({page: window.location.pathname, paper: t.api, keep: assets});
    }).catch(function () { /* no worker: the page works online as before */ });
  }

  document.getElementById("submit-exam").addEventListener("click", function () { submit(false); });
  start();
})();
