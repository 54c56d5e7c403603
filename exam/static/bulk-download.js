// Bulk certificate download: render the PDFs not yet rendered in batches, showing progress,
// then download them all as one ZIP.
(function () {
  "use strict";
  var box = document.getElementById("bulk");
  if (!box) { return; }
  var t = box.dataset;
  var button = document.getElementById("bulk-download");
  var bar = document.querySelector("#bulk-progress .progress-bar");
  var state = document.getElementById("bulk-state");
  function show(counts) {
    var done = counts.total - counts.pending;
    var percent = counts.total ? Math.round(100 * done / counts.total) : 100;
    bar.style.width = percent + "%";  // CSSOM, which the Content-Security-Policy allows
    bar.parentNode.setAttribute("aria-valuenow", percent);
    state.textContent = t.tPreparing.replace("%(done)s", done).replace("%(total)s", counts.total);
  }
  function step() {
    return fetch(t.render, {method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": t.csrf, "Accept": "application/json"}})
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (counts) {
        show(counts);
        if (counts.pending > 0) { return step(); }
        state.textContent = t.tReady;
        button.disabled = false;
        window.location.href = t.zip;
      });
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    document.getElementById("bulk-progress").classList.remove("d-none");
    show({total: Number(t.total), pending: Number(t.pending)});
    step().catch(function () { state.textContent = t.tFailed; button.disabled = false; });
  });
})();
