// A filter that applies itself: a form control marked data-submit-on-change submits its form
// when its value changes (the Content-Security-Policy forbids inline onchange handlers). Its
// form keeps a <noscript> button for browsers without JavaScript.
(function () {
  "use strict";
  document.querySelectorAll("[data-submit-on-change]").forEach(function (control) {
    control.addEventListener("change", function () {
      if (control.form.requestSubmit) { control.form.requestSubmit(); } else { control.form.submit(); }
    });
  });
})();
