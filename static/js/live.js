// Live debate: new comments wait behind a banner (the reader's place does not move), tallies and vote
// counts update in place, the notification badge follows. EventSource resumes with Last-Event-ID by itself.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.EventSource) { return; }
  var slug = root.getAttribute("data-slug");
  var banner = document.getElementById("live-banner");
  var button = document.getElementById("live-show");
  var waiting = [];

  function label(n) {
    var text = n === 1 ? banner.getAttribute("data-one") : banner.getAttribute("data-many");
    return text.replace("{n}", String(n));
  }

  function showBanner() {
    // A reaction can reach the page by its event before its own card does (the reader's own post,
    // whose event outruns the response that swaps it in): what the page already shows is not new.
    waiting = waiting.filter(function (item) { return !document.getElementById("comment-" + item.id); });
    if (!waiting.length) { banner.hidden = true; return; }
    button.textContent = label(waiting.length);
    banner.hidden = false;
  }

  function insert(item, focus) {
    var target = item.parent_id ? document.getElementById("replies-" + item.parent_id) : document.getElementById("comment-list");
    if (!target || document.getElementById("comment-" + item.id)) { return Promise.resolve(); }
    return window.htmx.ajax("GET", "/comments/" + item.id + "/card", {
      target: target, swap: item.parent_id ? "beforeend" : "afterbegin"
    }).then(function () {
      var card = document.getElementById("comment-" + item.id);
      if (card && focus) { card.setAttribute("tabindex", "-1"); card.focus(); }
    });
  }

  var stale = false;

  document.addEventListener("htmx:afterSettle", function () {
    if (!stale && waiting.length) { showBanner(); }
  });

  button.addEventListener("click", function () {
    if (stale) { window.location.reload(); return; }
    var items = waiting.slice();
    waiting = [];
    showBanner();
    items.reduce(function (chain, item, index) {
      return chain.then(function () { return insert(item, index === 0); });
    }, Promise.resolve());
  });

  // The stream replays from where the events stood when the page was rendered: nothing posted since
  // is missed. Reconnecting, EventSource sends Last-Event-ID instead.
  var url = root.getAttribute("data-live");
  var from = root.getAttribute("data-live-from");
  if (from) { url += "?last_event_id=" + encodeURIComponent(from); }
  var source = new EventSource(url);
  // The page fell behind (or what it missed is forgotten): offer to reload rather than show a gap.
  source.addEventListener("reload", function () {
    source.close();
    stale = true;
    waiting = [];
    button.textContent = banner.getAttribute("data-stale");
    banner.hidden = false;
  });
  source.addEventListener("comment", function (event) {
    var item = JSON.parse(event.data);
    if (document.getElementById("comment-" + item.id)) { return; }
    waiting.push(item);
    showBanner();
  });
  source.addEventListener("tally", function () {
    if (document.getElementById("question")) {
      window.htmx.ajax("GET", "/articles/" + slug + "/poll", { target: "#question", swap: "outerHTML" });
    }
  });
  source.addEventListener("vote", function (event) {
    var item = JSON.parse(event.data);
    var form = document.getElementById("votes-" + item.id);
    if (!form) { return; }
    var counts = form.querySelectorAll(".vote-count");
    if (counts.length === 2) {
      counts[0].textContent = String(item.upvotes);
      counts[1].textContent = String(item.downvotes);
    }
  });
  source.addEventListener("notification", function () {
    if (document.getElementById("notif-badge")) {
      window.htmx.ajax("GET", "/notifications/badge", { target: "#notif-badge", swap: "outerHTML" });
    }
  });
})();
