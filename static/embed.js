/* Tribune embed loader (issue 17): <div data-tribune-article="SLUG"><a href="…">…</a></div> becomes
   the debate in an iframe from this script's own site. Optional data-tribune-token: the newsroom's
   signed token, which signs the reader in (/sso). No other host is contacted. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(script.src).origin;
  var frames = [];

  function mount(div) {
    if (div.getAttribute("data-tribune-mounted")) { return; }
    div.setAttribute("data-tribune-mounted", "1");
    var path = "/embed/" + encodeURIComponent(div.getAttribute("data-tribune-article") || "");
    var token = div.getAttribute("data-tribune-token");
    // The page's own address: a debate Tribune does not know yet may be made from it (autocreate).
    var canonical = document.querySelector('link[rel="canonical"]');
    path += "?" + new URLSearchParams({ source: canonical ? canonical.href : location.href.split("#")[0] });
    var src = token ? "/sso?" + new URLSearchParams({ token: token, next: path }) : path;
    var here = location.href.split("#")[0];
    var frame = document.createElement("iframe");
    frame.src = base + src + "#" + new URLSearchParams({ origin: location.origin, page: here });
    frame.title = div.getAttribute("data-tribune-title") || "Tribune";
    frame.setAttribute("style", "display:block;width:100%;height:600px;border:0");
    frames.push(frame);
    // The link inside the div stays for readers without JavaScript; with it, the frame replaces it.
    div.textContent = "";
    div.appendChild(frame);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== base) { return; }
    var data = event.data;
    if (!data || data.tribune !== "resize" || typeof data.height !== "number") { return; }
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.max(100, Math.min(data.height, 100000)) + "px";
      }
    }
  });

  function start() {
    var found = document.querySelectorAll("div[data-tribune-article]");
    for (var i = 0; i < found.length; i++) { mount(found[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
