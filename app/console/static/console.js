// Progressive enhancement only: every page works without this file.
// A "copy" button copies the text of the element its data-copy attribute names.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button || !navigator.clipboard) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var status = document.getElementById(button.getAttribute("data-status"));
    if (status) status.textContent = button.getAttribute("data-copied") || "Copied.";
  });
});
// "Print" buttons open the browser's print dialogue (save as PDF from there).
document.addEventListener("click", function (event) {
  if (event.target.closest("button[data-print]")) window.print();
});
// Copy buttons are useless without script, so they start hidden and appear here.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-needs-script]").forEach(function (element) {
    element.hidden = false;
  });
});
