// Small enhancements of server-rendered pages, for content loaded with the page and by htmx:
// - confirmation dialogs the server sends (templates/confirm/_dialog.html) open as native modal
//   dialogs; a closed one (Escape, "Annuler") leaves the page. Without JavaScript the same question
//   is a page of its own.
// - <time data-relative> reads "il y a 5 min" / "5 min ago" in the page's language; the exact date
//   stays in its title and datetime (and is the text without JavaScript).
(function () {
  "use strict";
  var lang = document.documentElement.lang || "fr";
  var format = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto", style: "short" }) : null;
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  var MONTH = 2592000;

  function all(root, selector) {
    var found = root.matches && root.matches(selector) ? [root] : [];
    if (root.querySelectorAll) found = found.concat(Array.prototype.slice.call(root.querySelectorAll(selector)));
    return found;
  }

  function relative(time) {
    var when = Date.parse(time.getAttribute("datetime"));
    if (!format || isNaN(when)) return;
    var seconds = (when - Date.now()) / 1000;
    if (Math.abs(seconds) >= MONTH) return;  // an old date reads better exact
    if (Math.abs(seconds) < 60) { time.textContent = format.format(Math.round(seconds / 10) * 10, "second"); return; }
    for (var i = 0; i < UNITS.length; i++) {
      if (Math.abs(seconds) >= UNITS[i][1]) {
        time.textContent = format.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0]);
        return;
      }
    }
  }

  function enhance(root) {
    all(root, "time[data-relative]").forEach(relative);
    all(root, "dialog[data-confirm]").forEach(function (dialog) {
      if (dialog.open) return;
      dialog.addEventListener("close", function () { dialog.remove(); });
      dialog.showModal();
    });
  }

  if (window.htmx) {
    window.htmx.onLoad(enhance);
  } else {
    enhance(document.body);
  }
  window.setInterval(function () { all(document.body, "time[data-relative]").forEach(relative); }, 60000);
})();
