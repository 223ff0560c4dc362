// What the pages do with script, kept out of the HTML so that the Content-Security-Policy can
// refuse every inline script: a form that asks before it sends, a button that prints the page.
"use strict";
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (form instanceof HTMLFormElement && form.dataset.ask && !window.confirm(form.dataset.ask)) {
    e.preventDefault();
  }
});
document.addEventListener("click", function (e) {
  var button = e.target instanceof Element ? e.target.closest("[data-print]") : null;
  if (button) {
    window.print();
  }
});
