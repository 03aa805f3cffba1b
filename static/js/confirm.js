// Opens the confirmation dialogs the server sends (templates/confirm/_dialog.html) as native modal
// dialogs; a closed one (Escape, "Annuler") leaves the page. Without JavaScript the same question is
// a page of its own.
(function () {
  "use strict";
  function open(root) {
    var found = root.matches && root.matches("dialog[data-confirm]") ? [root] : [];
    if (root.querySelectorAll) {
      found = found.concat(Array.prototype.slice.call(root.querySelectorAll("dialog[data-confirm]")));
    }
    found.forEach(function (dialog) {
      if (dialog.open) return;
      dialog.addEventListener("close", function () { dialog.remove(); });
      dialog.showModal();
    });
  }
  if (window.htmx) {
    window.htmx.onLoad(open);
  }
})();
