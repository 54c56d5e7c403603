// Fill in the blank on the exam page: a text box per blank; the answer is their texts.
(window.AnpeiKinds = window.AnpeiKinds || {}).fill = {
  render: function (q, saved, changed, ui) {
    var box = ui.el("div", {});
    for (var i = 0; i < q.blanks; i++) {
      var input = ui.el("input", {"class": "form-control mb-2 blank", "type": "text", "autocomplete": "off",
                                  "aria-label": ui.text.tBlank + " " + (i + 1), "maxlength": "200"});
      input.value = Array.isArray(saved) && saved[i] ? saved[i] : "";
      input.addEventListener("input", function () {
        changed(Array.prototype.map.call(box.querySelectorAll("input.blank"), function (b) { return b.value; }));
      });
      box.appendChild(input);
    }
    return box;
  },
  // Answered when any blank holds more than spaces.
  answered: function (a) { return Array.isArray(a) && a.some(function (x) { return x && x.trim(); }); }
};
