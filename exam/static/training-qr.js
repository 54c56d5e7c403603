// The sign-in QR code on the screen: fetched again every little while (the code changes).
(function () {
  "use strict";
  var image = document.getElementById("signin-qr");
  if (!image) { return; }
  var base = image.getAttribute("src");
  setInterval(function () { image.src = base + "?t=" + Date.now(); },
              (Number(image.dataset.refresh) || 30) * 1000);
})();
