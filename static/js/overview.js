/* The market overview block (templates/trading/_overview.html) refreshes itself: every few seconds
   it fetches its server-rendered inside from data-overview-url and swaps it in, so indices,
   breadth, rankings and the sector map follow the market's ticks. The ranking tabs are links that
   work without JavaScript; with it they swap the block in place. */
(function () {
  "use strict";
  var S = window.StocKing;

  document.querySelectorAll("[data-overview-url]").forEach(function (box) {
    function load(url) {
      return fetch(url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
        .then(function (html) {
          box.innerHTML = html;
          box.setAttribute("data-overview-url", url);
        });
    }

    box.addEventListener("click", function (event) {
      var tab = event.target.closest("[data-rank]");
      if (!tab || !box.contains(tab)) return;
      event.preventDefault();
      var url = new URL(box.getAttribute("data-overview-url"), window.location.href);
      url.searchParams.set("rank", tab.getAttribute("data-rank"));
      load(url.pathname + url.search).then(function () {
        var page = new URL(window.location.href);
        page.searchParams.set("rank", tab.getAttribute("data-rank"));
        history.replaceState(null, "", page.pathname + page.search + "#overview");
        var current = box.querySelector('[data-rank="' + tab.getAttribute("data-rank") + '"]');
        if (current) current.focus();
      }, function () { window.location.href = tab.href; });
    });

    S.poll(5, function () { return load(box.getAttribute("data-overview-url")); });
  });
})();
