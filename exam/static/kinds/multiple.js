// Multiple choice on the exam page: a checkbox per option; the answer is the letters chosen.
(window.AnpeiKinds = window.AnpeiKinds || {}).multiple = {
  render: function (q, saved, changed, ui) { return ui.optionList(q, saved, changed, "checkbox"); }
};
