// "Add a picture" on the question form: uploads the image and appends its <img> tag to the
// question text, where the sanitiser keeps it (pictures from the bank's own storage only).
(function () {
  "use strict";
  var input = document.getElementById("image-upload");
  if (!input) { return; }
  input.addEventListener("change", function () {
    var file = input.files[0];
    var status = document.getElementById("image-upload-status");
    if (!file) { return; }
    var body = new FormData();
    body.append("image", file);
    body.append("csrf_token", input.dataset.csrf);
    status.textContent = input.dataset.uploading;
    fetch(input.dataset.url, {method: "POST", body: body, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.error) { status.textContent = answer.error; return; }
        var stem = document.getElementById("stem");
        stem.value = stem.value + "\n" + answer.snippet;
        status.textContent = input.dataset.done;
      })
      .catch(function () { status.textContent = input.dataset.failed; });
  });
})();
