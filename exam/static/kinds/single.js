// Single choice on the exam page: one option, a radio button each. A widget renders a
// question (q, from the paper's JSON) with the saved answer and calls changed(answer);
// ui holds the page's helpers (see exam.js).
(window.AnpeiKinds = window.AnpeiKinds || {}).single = {
  render: function (q, saved, changed, ui) { return ui.optionList(q, saved, changed, "radio"); }
};
