// The organiser's lesson form: show only the part its kind needs, and take a video's length
// (rounded down to whole minutes) as the study time it asks for: a lesson that asks for more
// than its video lasts could never be completed.
(function () {
  var kind = document.getElementById('kind');
  var file = document.getElementById('file');
  var minutes = document.getElementById('minutes');
  if (!kind || !file || !minutes) return;
  function show() {
    var text = kind.value === 'text';
    document.getElementById('lesson-text').hidden = !text;
    document.getElementById('lesson-file').hidden = text;
  }
  kind.addEventListener('change', show);
  show();
  file.addEventListener('change', function () {
    if (kind.value !== 'video' || !file.files.length || !window.URL) return;
    var url = URL.createObjectURL(file.files[0]);
    var probe = document.createElement('video');
    probe.preload = 'metadata';
    probe.addEventListener('loadedmetadata', function () {
      if (isFinite(probe.duration) && probe.duration > 0) {
        minutes.value = Math.max(1, Math.floor(probe.duration / 60));
      }
      URL.revokeObjectURL(url);
    });
    probe.src = url;
  });
})();
