/* Behaviour shared by the workspace, the console and the printed documents, bound here rather than in inline
   handlers (the Content-Security-Policy runs no onclick= / onsubmit= attribute):
   - a button with data-print prints the page;
   - a form with data-confirm asks that question before it is sent;
   - a form with data-once is sent once: a second click while the first submission is on its way does nothing
     (the server refuses a second completion anyway);
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
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
    });
  });
})();
