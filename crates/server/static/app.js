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
// A page of readings shown again by Back from the browser's memory is a picture of the list as it
// was: the people recorded since are still in it, with what was typed. Such a page is fetched
// afresh (its fields are never restored: autocomplete is off), so that no reading lands on anyone
// by a list that has shifted.
window.addEventListener("pageshow", function (e) {
  if (e.persisted && document.querySelector("form[data-fresh]")) {
    window.location.reload();
  }
});
