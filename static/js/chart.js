/* Chart tabs (daily / 1-minute) without a reload: fetch the server-rendered SVG for the interval
   and swap it in; the links still work without JavaScript. The 1-minute chart refreshes itself. */
(function () {
  "use strict";
  var S = window.StocKing;
  var card = document.querySelector("[data-chart-url]");
  if (!card) return;
  var body = card.querySelector("[data-chart-body]");

  function load(interval) {
    return fetch(card.dataset.chartUrl + "?interval=" + encodeURIComponent(interval), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then(function (html) {
        body.innerHTML = html;
        card.dataset.chartInterval = interval;
        card.querySelectorAll("[data-interval]").forEach(function (tab) {
          if (tab.dataset.interval === interval) tab.setAttribute("aria-current", "true");
          else tab.removeAttribute("aria-current");
        });
      });
  }

  card.querySelectorAll("[data-interval]").forEach(function (tab) {
    tab.addEventListener("click", function (event) {
      event.preventDefault();
      load(tab.dataset.interval).then(function () {
        var url = new URL(window.location.href);
        url.searchParams.set("interval", tab.dataset.interval);
        history.replaceState(null, "", url.pathname + url.search + "#chart");
      }, function () { window.location.href = tab.href; });
    });
  });

  S.poll(15, function () {
    return card.dataset.chartInterval === "1m" ? load("1m") : null;
  });
})();
