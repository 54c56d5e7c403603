// Shows upload progress for forms marked data-upload-progress, then the checking step,
// and replaces the page with the server's answer. Without JavaScript the form posts as usual.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      var box = document.getElementById("upload-progress");
      var bar = document.getElementById("upload-progress-bar");
      var status = document.getElementById("upload-status");
      box.classList.remove("d-none");
      status.classList.remove("d-none");
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.round(100 * e.loaded / e.total);
        bar.style.width = percent + "%";
        status.textContent = status.dataset.uploading.replace("{p}", percent);
      });
      request.upload.addEventListener("load", function () {
        bar.style.width = "100%";
        bar.classList.add("progress-bar-striped", "progress-bar-animated");
        status.textContent = status.dataset.checking;
      });
      request.addEventListener("load", function () {
        document.open();
        document.write(request.responseText);
        document.close();
      });
      request.addEventListener("error", function () { form.submit(); });
      request.send(new FormData(form));
    });
  });
})();
