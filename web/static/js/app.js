// Sourcedesk's own browser code. No inline scripts anywhere: the CSP forbids them.
// htmx is configured by the <meta name="htmx-config"> tag in the base layout.
(function () {
  "use strict";

  // After htmx swaps new content in, move keyboard focus to it so that keyboard and
  // screen-reader users land where the change happened: the first element marked
  // data-autofocus, else a heading in the swapped region.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var root = evt.detail.target;
    if (!root || root.id === "alerts" && root.children.length === 0) return;
    var el = root.querySelector("[data-autofocus]") || (root.matches("[data-autofocus]") ? root : null);
    if (!el && root.id === "alerts") el = root.querySelector(".sd-alert");
    if (!el) return;
    if (!el.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus({ preventScroll: false });
  });

  // A request the user started (a click, a submit, typing; not a tile loading itself,
  // not a poll) makes what the last one said stale: its alert or error goes, and so
  // does an earlier change's success notice. Requests from the alerts region (Retry)
  // keep it. Only what was shown before the user's action is stale: a debounced
  // request (a picker's type-ahead) fires a moment after the keystroke that started
  // it, and when the user submitted a change in that moment, the change's notice is
  // newer than the keystroke and stays.
  function userEvent(evt) {
    var e = evt.detail.requestConfig && evt.detail.requestConfig.triggeringEvent;
    return e && e.type !== "load" && !/^htmx:/.test(e.type) ? e : null;
  }
  // shownAt stamps a message with the time it appeared (event timeStamps count from
  // the same origin); what the server swapped in is stamped once the swap settles.
  function shownAt(el) {
    if (!el.hasAttribute("data-shown-at")) el.setAttribute("data-shown-at", String(performance.now()));
  }
  function messages() {
    return document.querySelectorAll("#alerts > *, [data-notice]");
  }
  document.addEventListener("htmx:afterSettle", function () { messages().forEach(shownAt); });
  function clearStale(before) {
    messages().forEach(function (n) {
      if (!(Number(n.getAttribute("data-shown-at")) > before)) n.remove();
    });
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var alerts = document.getElementById("alerts");
    if (alerts && alerts.contains(evt.detail.elt)) return;
    var e = userEvent(evt);
    if (e) clearStale(e.timeStamp);
  });
  // An error answer clears the success notices it contradicts (the error itself is
  // swapped in by the server's HX-Retarget, or in place for a form's problems).
  document.addEventListener("htmx:afterRequest", function (evt) {
    var x = evt.detail.xhr;
    if (x && x.status >= 400) {
      document.querySelectorAll("[data-notice]").forEach(function (n) { n.remove(); });
    }
  });

  // What a change did, from the server's HX-Trigger "sd:notice", shown in the alerts
  // region (outside #main, so the page HX-Location loads next keeps it).
  function showNotice(message) {
    var alerts = document.getElementById("alerts");
    if (!alerts) return;
    var div = document.createElement("div");
    div.className = "sd-alert";
    div.setAttribute("data-kind", "success");
    div.setAttribute("data-testid", "notice");
    div.setAttribute("data-notice", "");
    div.textContent = message;
    shownAt(div);
    alerts.replaceChildren(div);
  }
  document.addEventListener("sd:notice", function (evt) {
    if (evt.detail && evt.detail.message) showNotice(evt.detail.message);
  });

  // A search box that filters as you type (its own hx-trigger) must not also submit
  // its form with the change event it fires when the user leaves it: that second
  // request raced with what the user clicked next (a column header), and whichever
  // answer came last decided the page, so the sort was often lost.
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el.matches && el.matches("input[type=search][hx-trigger]")) evt.stopPropagation();
  }, true);

  // Network failure (server unreachable): tell the user instead of doing nothing.
  document.addEventListener("htmx:sendError", function () {
    var alerts = document.getElementById("alerts");
    if (!alerts) return;
    var div = document.createElement("div");
    div.className = "sd-alert";
    div.setAttribute("role", "alert");
    div.textContent = "The console could not be reached. Check your connection and try again.";
    shownAt(div);
    alerts.replaceChildren(div);
  });
})();

// Schedule forms: show the fields of the chosen frequency only (without JavaScript
// every field shows, and the server reads the ones the choice needs).
(function () {
  "use strict";
  function sync(select) {
    var form = select.closest("form");
    if (!form) return;
    form.querySelectorAll(".sd-freq").forEach(function (box) {
      var kinds = (box.getAttribute("data-freq") || "").split(" ");
      box.hidden = kinds.indexOf(select.value) < 0;
      if (!box.hidden && box.tagName === "DETAILS") box.open = true;
    });
  }
  function all(root) {
    (root || document).querySelectorAll("select[name=freq]").forEach(sync);
  }
  document.addEventListener("change", function (evt) {
    if (evt.target.matches && evt.target.matches("select[name=freq]")) sync(evt.target);
  });
  document.addEventListener("htmx:afterSwap", function (evt) { all(evt.detail.target); });
  document.addEventListener("htmx:afterSettle", function (evt) { all(evt.detail.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { all(); });
  } else {
    all();
  }
})();

// The source tab bar: "More" closes with Escape (focus back on it), when a click lands
// elsewhere and when one of its tabs is chosen; the current tab is scrolled into view
// when the bar scrolls sideways; a tab opened by click sets the document title as a
// reload of its URL would ("Tab · Source · Sourcedesk").
(function () {
  "use strict";
  function closeMore(except) {
    document.querySelectorAll(".sd-tabs-more[open]").forEach(function (d) {
      if (d !== except) d.open = false;
    });
  }
  function showCurrent() {
    var cur = document.querySelector(".sd-tabs-main [aria-current=page]");
    var bar = cur && cur.closest(".sd-tabs-main");
    if (bar && bar.scrollWidth > bar.clientWidth) {
      bar.scrollLeft = Math.max(0, cur.offsetLeft - bar.offsetLeft - 24);
    }
  }
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") return;
    var open = document.querySelector(".sd-tabs-more[open]");
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
  document.addEventListener("click", function (evt) {
    var more = evt.target.closest ? evt.target.closest(".sd-tabs-more") : null;
    closeMore(more);
    if (more && evt.target.closest("a")) more.open = false;
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    showCurrent();
    var shell = document.querySelector("[data-testid=source-shell][data-title]");
    if (!shell || !evt.detail.target || evt.detail.target.id !== "source-tab") return;
    var cur = document.querySelector("#source-tabs [aria-current=page]");
    var parts = [shell.getAttribute("data-title"), "Sourcedesk"];
    if (cur && cur.getAttribute("data-testid") !== "tab-overview") parts.unshift(cur.textContent.trim());
    document.title = parts.join(" · ");
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showCurrent);
  } else {
    showCurrent();
  }
})();

// A table too wide for the window scrolls in its own box. When nothing in the box
// takes focus (no link, no field), the box itself becomes a Tab stop, so a keyboard
// user can scroll it with the arrow keys; it is named after its table's caption.
(function () {
  "use strict";
  var focusable = "a[href], button, input, select, textarea, summary, [tabindex]";
  function sync() {
    document.querySelectorAll(".sd-table-wrap").forEach(function (box) {
      var needs = box.scrollWidth > box.clientWidth + 1 && !box.querySelector(focusable);
      if (needs && !box.hasAttribute("tabindex")) {
        var cap = box.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (cap ? cap.textContent.trim() + ": " : "") + "table, scrolls sideways");
      } else if (!needs && box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("htmx:afterSettle", sync);
  window.addEventListener("resize", sync);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", sync);
  } else {
    sync();
  }
})();

