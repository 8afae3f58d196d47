// Cron previewer: default the time zone to the browser's own when none was chosen.
(function () {
  "use strict";
  var input = document.querySelector("input[data-browser-zone]");
  if (!input || input.value) return;
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      input.value = zone;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  } catch (e) { /* keep the server's default */ }
})();
