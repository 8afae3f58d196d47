// Upload progress for forms marked data-upload-form: htmx sends them with
// XMLHttpRequest, whose upload progress htmx re-emits as htmx:xhr:progress.
// The bar lives in the form (<progress data-upload-progress>). No inline scripts: CSP.
(function () {
  "use strict";
  if (window.sdUploadProgress) return; // loaded twice (layout and tab): bind once
  window.sdUploadProgress = true;

  // The pending "hide the bar" of each bar's last request. A new request cancels it:
  // otherwise an upload started within a second of the pre-flight check lost its bar
  // mid-way (the check's timer hid it).
  var hideTimers = new WeakMap();

  function barFor(elt) {
    var form = elt && elt.closest ? elt.closest("[data-upload-form]") : null;
    return form ? form.querySelector("progress[data-upload-progress]") : null;
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var bar = barFor(evt.detail.elt);
    if (!bar) return;
    window.clearTimeout(hideTimers.get(bar));
    bar.value = 0;
    bar.removeAttribute("hidden");
    bar.setAttribute("aria-label", "Upload progress");
  });

  document.addEventListener("htmx:xhr:progress", function (evt) {
    var bar = barFor(evt.target);
    if (!bar || !evt.detail.lengthComputable || !evt.detail.total) return;
    bar.value = Math.floor((evt.detail.loaded / evt.detail.total) * 100);
  });

  // The bar only means something while bytes move: show the end, then hide it. A
  // refused or failed upload resets it at once: a full bar beside an error would say
  // the file went through.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var bar = barFor(evt.detail.elt);
    if (!bar) return;
    var x = evt.detail.xhr;
    if (!x || x.status === 0 || x.status >= 400) {
      bar.value = 0;
      bar.setAttribute("hidden", "");
      return;
    }
    bar.value = 100;
    hideTimers.set(bar, window.setTimeout(function () { bar.setAttribute("hidden", ""); }, 1000));
  });

  // A new file makes the previous check meaningless: clear its report.
  document.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!input.matches || !input.matches("[data-upload-form] input[type=file]")) return;
    var form = input.closest("[data-upload-form]");
    var report = form.querySelector("[aria-live]");
    if (report) report.replaceChildren();
    var bar = barFor(input);
    if (bar) { bar.value = 0; bar.setAttribute("hidden", ""); }
  });
})();
