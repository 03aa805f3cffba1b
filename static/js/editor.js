// The editors' desk: the "Insérer les chiffres" button puts the changed-minds figures (the read-only
// box the server composed, templates/editor/form.html) into the synthesis where the cursor is, as a
// paragraph of its own. Without JavaScript the button stays hidden and the box is there to copy from.
(function () {
  "use strict";

  function insert(button) {
    var source = document.getElementById(button.getAttribute("data-insert-from"));
    var target = document.getElementById(button.getAttribute("data-insert-into"));
    if (!source || !target) return;
    var start = target.selectionStart, end = target.selectionEnd;
    var before = target.value.slice(0, start), after = target.value.slice(end);
    // Blank lines around it, so Markdown reads the passage as its own paragraphs.
    var lead = !before || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var tail = !after || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    var text = lead + source.value + tail;
    target.focus();
    target.setSelectionRange(start, end);
    // insertText keeps the browser's undo history; setRangeText where it is not supported.
    if (!document.execCommand || !document.execCommand("insertText", false, text)) {
      target.setRangeText(text, start, end, "end");
    }
  }

  document.querySelectorAll("button[data-insert-into]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { insert(button); });
  });
})();
