/* Behaviour shared by the workspace, the console and the printed documents, bound here rather than in inline
   handlers (the Content-Security-Policy runs no onclick= / onsubmit= attribute):
   - a button with data-print prints the page;
   - a form with data-confirm asks that question before it is sent;
   - a form with data-once is sent once: a second click while the first submission is on its way does nothing
     (the server refuses a second completion or registration anyway); the clicked button's name and value are
     still sent;
   - Flask-Admin's templates mark a few links that must do nothing themselves with href="javascript:void(0)" (the
     current tab, the current page of the pager): the policy would block and report a click on them, so they
     become buttons without a link (Enter still clicks them). */
(function () {
  "use strict";
  document.querySelectorAll('a[href^="javascript:"]').forEach(function (link) {
    link.removeAttribute("href");
    link.setAttribute("role", "button");
    if (!link.hasAttribute("tabindex")) { link.setAttribute("tabindex", "0"); }
    link.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); link.click(); }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      // a disabled button is left out of what the form sends: the clicked button's name and value (受理 /
      // 一次性告知 / 不予受理) travel in a hidden field instead, then every submit button is disabled
      var submitter = event.submitter;
      if (submitter && submitter.name) {
        var carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = submitter.name;
        carried.value = submitter.value;
        carried.setAttribute("data-once-carried", "");
        form.appendChild(carried);
      }
      form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]").forEach(
        function (button) { button.disabled = true; }
      );
    });
  });
  // a page brought back by the browser's Back button keeps its disabled buttons: it may be sent again, once
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("[data-once-carried]").forEach(function (field) { field.remove(); });
      form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]").forEach(
        function (button) { button.disabled = false; }
      );
    });
  });
})();
