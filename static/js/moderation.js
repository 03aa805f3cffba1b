// Keyboard moderation: j / k move between cards, a approves, r goes to the refusal reason.
(function () {
  "use strict";
  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".mod-card")); }
  function current() {
    var list = cards();
    var active = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".mod-card") : null;
    return { list: list, index: active ? list.indexOf(active) : -1 };
  }
  function focusCard(card) {
    if (!card) { return; }
    card.focus();
    card.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) { return; }
    var state = current();
    if (!state.list.length) { return; }
    var card = state.index >= 0 ? state.list[state.index] : null;
    if (event.key === "j") {
      focusCard(state.list[Math.min(state.index + 1, state.list.length - 1)]);
    } else if (event.key === "k") {
      focusCard(state.list[Math.max(state.index - 1, 0)]);
    } else if (event.key === "a" && card) {
      var approve = card.querySelector('[data-key="approve"]');
      if (approve) { approve.click(); }
    } else if (event.key === "r" && card) {
      var reason = card.querySelector('[data-key="reason"]');
      if (reason) { reason.focus(); }
    } else {
      return;
    }
    event.preventDefault();
  });
})();
