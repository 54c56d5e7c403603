// The invigilation console: fetches who is where every few seconds and redraws the table
// (text only: names come from the register and are never put into the page as HTML).
(function () {
  "use strict";
  var box = document.getElementById("console");
  if (!box) { return; }
  var t = box.dataset;
  var enterprise = document.getElementById("filter-enterprise");
  var town = document.getElementById("filter-town");
  var labels = {not_started: t.tNotStarted, in_progress: t.tInProgress, submitted: t.tSubmitted, cancelled: t.tCancelled};
  var colours = {not_started: "secondary", in_progress: "primary", submitted: "success", cancelled: "danger"};

  function cell(row, text, classes) {
    var td = document.createElement("td");
    if (classes) { td.className = classes; }
    td.textContent = text === null || text === undefined ? "" : String(text);
    row.appendChild(td);
    return td;
  }
  function clock(seconds) {
    if (seconds === null || seconds === undefined) { return ""; }
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function options(select, items) {
    var chosen = select.value;
    while (select.options.length > 1) { select.remove(1); }
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item[0];
      option.textContent = item[1];
      select.appendChild(option);
    });
    select.value = chosen;
  }
  function draw(data) {
    options(enterprise, data.enterprises);
    options(town, data.towns);
    var counts = document.getElementById("console-counts");
    counts.textContent = "";
    Object.keys(labels).forEach(function (state) {
      var badge = document.createElement("span");
      badge.className = "badge text-bg-" + colours[state];
      badge.id = "count-" + state;
      badge.textContent = labels[state] + " " + data.counts[state];
      counts.appendChild(badge);
    });
    var body = document.querySelector("#console-table tbody");
    body.textContent = "";
    data.rows.forEach(function (r) {
      var row = document.createElement("tr");
      row.dataset.person = r.person_id;
      row.dataset.state = r.state;
      var name = cell(row, "");
      if (r.url) {
        var link = document.createElement("a");
        link.href = r.url;
        link.textContent = r.name;
        name.appendChild(link);
      } else { name.textContent = r.name; }
      cell(row, r.enterprise, "small");
      var status = cell(row, "");
      var badge = document.createElement("span");
      badge.className = "badge text-bg-" + colours[r.state];
      badge.textContent = labels[r.state];
      status.appendChild(badge);
      if (r.device_waiting) {
        var warn = document.createElement("span");
        warn.className = "badge text-bg-warning ms-1";
        warn.textContent = t.tWaiting;
        status.appendChild(warn);
      }
      cell(row, r.attempt_id ? r.answered + " / " + r.questions : "", "text-end");
      cell(row, clock(r.seconds_left), "text-end time-left");
      cell(row, r.attempt_id ? r.last_contact_seconds + " " + t.tAgo : "", "small");
      cell(row, r.attempt_id ? r.device_changes : "", "text-end");
      cell(row, r.attempt_id ? r.focus_losses : "", "text-end" + (r.focus_losses > 2 ? " text-danger fw-bold" : ""));
      cell(row, r.score, "text-end");
      body.appendChild(row);
    });
  }
  function refresh() {
    var url = t.url + "?enterprise=" + encodeURIComponent(enterprise.value) + "&town=" + encodeURIComponent(town.value);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (data) {
        draw(data);
        document.getElementById("console-updated").textContent = t.tUpdated + " " + new Date().toLocaleTimeString();
      })
      .catch(function () { document.getElementById("console-updated").textContent = t.tOffline; });
  }
  enterprise.addEventListener("change", refresh);
  town.addEventListener("change", refresh);
  refresh();
  setInterval(refresh, (Number(t.refresh) || 5) * 1000);
})();
