// The exam form: the paper's running total as its rules are edited, its questions per kind
// and per area, the pass mark against the total, whether it makes 100 and the pass mark is
// within reach, and what the rules guarantee from each area for a coverage rule. Only a guide: the server checks the same rules when the exam is published.
(function () {
  "use strict";
  var box = document.getElementById("paper-total");
  if (!box) { return; }
  var t = box.dataset;
  var form = box.closest("form");
  var fullMarks = parseFloat(t.fullMarks);
  var topicAreas = JSON.parse(t.topicAreas || "{}");  // topic code -> its area's code
  var areas = JSON.parse(t.areas || "[]");            // [[area code, name], ...] in order
  var kinds = JSON.parse(t.kinds || "[]");            // [[kind, label], ...] in order

  function positive(input) {
    var value = input ? parseFloat(input.value) : NaN;
    return isFinite(value) && value > 0 ? value : 0;
  }

  function show(id, visible) {
    document.getElementById(id).classList.toggle("d-none", !visible);
  }

  // As the server reads the rows: a row counts when it has questions and points.
  function paper() {
    var total = 0, count = 0, guaranteed = {}, byKind = {}, anyArea = 0;
    form.querySelectorAll("#rules tbody tr").forEach(function (row) {
      var n = Math.floor(positive(row.querySelector("[name$='-count']")));
      var points = positive(row.querySelector("[name$='-points']"));
      if (!n || !points) { return; }
      total += n * points;
      count += n;
      var kind = row.querySelector("[name$='-kind']").value;
      byKind[kind] = (byKind[kind] || 0) + n;
      var area = topicAreas[row.querySelector("[name$='-topic']").value];
      if (area) { guaranteed[area] = (guaranteed[area] || 0) + n; } else { anyArea += n; }
    });
    return {total: Math.round(total * 100) / 100, count: count, guaranteed: guaranteed,
            byKind: byKind, anyArea: anyArea};
  }

  function badge(text, className) {
    var span = document.createElement("span");
    span.className = "badge me-1 " + className;
    span.textContent = text;
    return span;
  }

  // Questions per kind and per area, as the paper's page shows them once saved.
  function breakdown(now) {
    var kindLine = document.getElementById("paper-by-kind");
    var areaLine = document.getElementById("paper-by-area");
    kindLine.textContent = "";
    areaLine.textContent = "";
    kinds.forEach(function (kind) {
      if (now.byKind[kind[0]]) {
        var b = badge(kind[1] + " " + now.byKind[kind[0]], "text-bg-light border");
        b.dataset.kind = kind[0];
        kindLine.appendChild(b);
      }
    });
    var parts = [];
    areas.forEach(function (area) {
      if (now.guaranteed[area[0]]) { parts.push(area[1] + " " + now.guaranteed[area[0]]); }
    });
    if (now.anyArea) { parts.push(t.tAnyArea + " " + now.anyArea); }
    if (parts.length) { areaLine.textContent = t.tByArea.replace("%(list)s", parts.join(" · ")); }
  }

  function passLine(now) {
    var line = document.getElementById("paper-pass-line");
    var mark = positive(form.querySelector("[name='pass_mark']"));
    if (!now.count || !mark) { line.textContent = ""; return; }
    var share = Math.round(1000 * mark / now.total) / 10;
    line.textContent = t.tPass.replace("%(mark)s", mark).replace("%(total)s", now.total)
      .replace("%(share)s", share);
    line.classList.toggle("text-danger", mark > now.total);
  }

  function coverage(guaranteed) {
    var line = document.getElementById("coverage-preview");
    line.textContent = "";
    var perArea = Math.floor(positive(form.querySelector("[name='coverage_per_area']")));
    if (!perArea) { return; }
    var ticked = Array.prototype.map.call(
      form.querySelectorAll("[name='coverage_areas']:checked"), function (box) { return box.value; });
    line.appendChild(document.createTextNode(t.tGuaranteed + " "));
    areas.forEach(function (area) {
      if (ticked.length && ticked.indexOf(area[0]) < 0) { return; }
      var have = guaranteed[area[0]] || 0;
      var b = badge(area[1] + " " + have + "/" + perArea,
        have >= perArea ? "text-bg-success" : "text-bg-danger");
      b.dataset.area = area[0];
      line.appendChild(b);
    });
  }

  function update() {
    var now = paper();
    var total = String(now.total);
    document.getElementById("paper-total-text").textContent =
      t.tTotal.replace("%(total)s", total).replace("%(count)s", now.count);
    document.getElementById("confirm-total-label").textContent = t.tConfirm.replace("%(total)s", total);
    var notFull = now.count > 0 && now.total !== fullMarks;
    show("paper-not-full", notFull && !form.querySelector("[name='confirm_total']").checked);
    show("confirm-total-box", notFull);
    show("paper-unreachable", now.count > 0 && positive(form.querySelector("[name='pass_mark']")) > now.total);
    coverage(now.guaranteed);
    breakdown(now);
    passLine(now);
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}());
