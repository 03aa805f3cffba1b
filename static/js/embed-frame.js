// Inside /embed/{slug} (issue 17): tell the newsroom's page how tall the debate is, and bring the
// reader back to that page after signing in. The page is named in the frame's address (#origin=…&
// page=…, never sent to the server) by embed.js; it is believed only when its origin is one that
// TRIBUNE_EMBED_ORIGINS lets frame us, and messages go to that origin alone (postMessage's target).
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var meta = document.querySelector('meta[name="tribune-embed-origins"]');
  var allowed = meta ? meta.content.split(" ") : [];
  var params = new URLSearchParams(location.hash.slice(1));
  var origin = params.get("origin") || "";
  if (allowed.indexOf(origin) < 0) { return; }
  var page = params.get("page") || "";
  if (page.indexOf(origin + "/") !== 0) { page = origin + "/"; }
  var last = 0;

  function size() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ tribune: "resize", height: height }, origin);
    }
  }

  function back(link) {
    // Sign-in and registration come back to the newsroom's page (an allowed origin: safe_next).
    var url = new URL(link.href, location.href);
    if (url.origin === location.origin && (url.pathname === "/login" || url.pathname === "/register")) {
      url.searchParams.set("next", page);
      link.href = url.href;
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (link) { back(link); }
  }, true);
  if (window.ResizeObserver) { new ResizeObserver(size).observe(document.documentElement); }
  document.addEventListener("htmx:afterSettle", size);
  window.addEventListener("load", size);
  size();
})();
