// A lesson page reports study time while the lesson is in front of the person: visible, the
// window focused and, for a video, playing. The server decides what counts (it credits the
// time since the previous report only if that report said "studying"); this page tells it
// when studying starts and stops, keeps a video from skipping past what was watched, and
// remembers where to continue.
(function () {
  "use strict";
  var root = document.getElementById("lesson");
  if (!root || root.dataset.tracked !== "1") return;
  var every = Math.max(2, Number(root.dataset.beatSeconds) || 15) * 1000;
  var video = document.getElementById("lesson-video");
  var state = document.getElementById("study-state");
  var minutes = document.getElementById("study-minutes");
  var bar = document.getElementById("study-bar");
  var done = document.getElementById("lesson-complete");
  var furthest = Number(root.dataset.furthest) || 0;
  var lastSent = null;
  // The first report tells the server the page has just loaded: the time before it (the course
  // list, another lesson) is not this lesson's.
  var started = false;
  // A completed lesson has nothing left to time: the status says so instead of "studying".
  var completed = root.dataset.completed === "1";

  // Reading a page leaves traces (scrolling, touching, keys); a page nobody has touched for
  // IDLE_MS stops counting until someone does. A playing video needs no touching.
  var IDLE_MS = (Number(root.dataset.idleSeconds) || 300) * 1000;
  var lastTouched = Date.now();
  ["scroll", "touchstart", "pointerdown", "pointermove", "keydown", "wheel"].forEach(function (name) {
    window.addEventListener(name, function () {
      var wasIdle = Date.now() - lastTouched > IDLE_MS;
      lastTouched = Date.now();
      if (wasIdle) changed();
    }, {passive: true});
  });

  function studying() {
    if (document.visibilityState !== "visible" || !document.hasFocus()) return false;
    if (video) return !video.paused && !video.ended;
    return Date.now() - lastTouched <= IDLE_MS;
  }

  function position() {
    // Until a video knows its length it is at 0, which would overwrite where to continue.
    if (video) return video.readyState >= 1 ? video.currentTime : null;
    if (root.dataset.kind === "pdf") {
      var pages = root.querySelectorAll(".lesson-page"), current = 1;
      for (var i = 0; i < pages.length; i++) {
        if (pages[i].getBoundingClientRect().top < window.innerHeight / 2) current = i + 1;
      }
      return current;
    }
    var height = document.documentElement.scrollHeight - window.innerHeight;
    return height > 0 ? Math.round(1000 * window.scrollY / height) / 1000 : 0;
  }

  function show(active, offline) {
    if (completed && !offline) {
      state.textContent = root.dataset.completedText;
      state.className = "text-success";
      return;
    }
    var idle = !video && document.visibilityState === "visible" && Date.now() - lastTouched > IDLE_MS;
    state.textContent = offline ? root.dataset.offlineText :
      (active ? root.dataset.studyingText : (idle ? root.dataset.idleText : root.dataset.pausedText));
    state.className = offline ? "text-danger" : (active ? "text-success" : "text-muted");
  }

  function beat(leaving) {
    // Leaving the page (pagehide) is the end of studying here, whatever the page still looks like.
    var active = leaving ? false : studying();
    var report = {active: active, position: position()};
    if (!started) { report.start = true; started = true; }
    lastSent = active;
    show(active, false);
    return fetch(root.dataset.beatUrl, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: {"Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf, "Accept": "application/json"},
      body: JSON.stringify(report)
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error ? body.error.message : response.status);
        minutes.textContent = (body.seconds / 60).toFixed(1);
        bar.value = body.seconds;
        if (body.completed) {
          done.classList.remove("d-none");
          if (!completed) { completed = true; show(active, false); }
        }
        if (body.seek_to !== null && body.seek_to !== undefined && video) {
          video.currentTime = body.seek_to;
          furthest = body.seek_to;
        }
      });
    }).catch(function (error) {
      show(false, true);
      if (error && error.message && isNaN(Number(error.message))) state.textContent = error.message;
    });
  }

  // Report at once when studying starts or stops, then every few seconds while it goes on.
  function changed() {
    // A video does not play on unseen: the time would not count, and the next report would
    // take what it played meanwhile for a jump ahead.
    if (video && !video.paused && (document.visibilityState !== "visible" || !document.hasFocus())) video.pause();
    if (studying() !== lastSent) beat();
  }
  document.addEventListener("visibilitychange", changed);
  window.addEventListener("focus", changed);
  window.addEventListener("blur", changed);
  window.addEventListener("pagehide", function () { if (lastSent) beat(true); });
  setInterval(function () { if (studying() || lastSent) beat(); }, every);

  if (video) {
    video.addEventListener("play", changed);
    video.addEventListener("pause", changed);
    video.addEventListener("ended", changed);
    video.addEventListener("timeupdate", function () {
      if (!video.seeking && video.currentTime <= furthest + 2) furthest = Math.max(furthest, video.currentTime);
    });
    video.addEventListener("seeking", function () {
      if (video.currentTime > furthest + 1) {
        video.currentTime = furthest;
        state.textContent = root.dataset.seekText;
      }
    });
    video.addEventListener("loadedmetadata", function () {
      var resume = Number(root.dataset.position) || 0;
      if (resume > 0 && resume < video.duration) video.currentTime = resume;
    });
  } else if (root.dataset.kind === "pdf") {
    var page = Math.round(Number(root.dataset.position) || 1);
    var target = root.querySelector('.lesson-page[data-page="' + page + '"]');
    if (page > 1 && target) target.scrollIntoView();
  } else {
    var fraction = Number(root.dataset.position) || 0;
    var height = document.documentElement.scrollHeight - window.innerHeight;
    if (fraction > 0 && fraction <= 1 && height > 0) window.scrollTo(0, fraction * height);
  }
  beat();
})();
