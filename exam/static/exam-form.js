// The exam form: the paper's running total as its rules are edited, whether it makes 100 and
// the pass mark is within reach, and what the rules guarantee from each area for a coverage
// rule. Only a guide: the server checks the same rules when the exam is published.
(function () {
  "use strict";
  var box = document.getElementById("paper-total");
  if (!box) { return; }
  var t = box.dataset;
  var form = box.closest("form");
  var fullMarks = parseFloat(t.fullMarks);
  var topicAreas = JSON.parse(t.topicAreas || "{}");  // topic code -> its area's code
  var areas = JSON.parse(t.areas || "[]");            // [[area code, name], ...] in order

  function positive(input) {
    var value = input ? parseFloat(input.value) : NaN;
    return isFinite(value) && value > 0 ? value : 0;
  }

  function show(id, visible) {
    document.getElementById(id).classList.toggle("d-none", !visible);
  }

  // As the server reads the rows: a row counts when it has questions and points.
  function paper() {
    var total = 0, count = 0, guaranteed = {};
    form.querySelectorAll("#rules tbody tr").forEach(function (row) {
      var n = Math.floor(positive(row.querySelector("[name$='-count']")));
      var points = positive(row.querySelector("[name$='-points']"));
      if (!n || !points) { return; }
      total += n * points;
      count += n;
      var area = topicAreas[row.querySelector("[name$='-topic']").value];
      if (area) { guaranteed[area] = (guaranteed[area] || 0) + n; }
    });
    return {total: Math.round(total * 100) / 100, count: count, guaranteed: guaranteed};
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
      var badge = document.createElement("span");
      badge.className = "badge me-1 " + (have >= perArea ? "text-bg-success" : "text-bg-danger");
      badge.dataset.area = area[0];
      badge.textContent = area[1] + " " + have + "/" + perArea;
      line.appendChild(badge);
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
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}());
