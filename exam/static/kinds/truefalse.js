// True/false on the exam page: two radio buttons; the answer is true or false.
(window.AnpeiKinds = window.AnpeiKinds || {}).truefalse = {
  render: function (q, saved, changed, ui) {
    var tf = ui.el("div", {"class": "list-group"});
    [["true", ui.text.tTrue], ["false", ui.text.tFalse]].forEach(function (pair) {
      var label = ui.el("label", {"class": "list-group-item d-flex gap-2"});
      var input = ui.el("input", {"class": "form-check-input", "type": "radio", "name": ui.name, "value": pair[0]});
      input.checked = saved === (pair[0] === "true");
      label.appendChild(input);
      label.appendChild(document.createTextNode(pair[1]));
      tf.appendChild(label);
    });
    tf.addEventListener("change", function (event) { changed(event.target.value === "true"); });
    return tf;
  }
};
