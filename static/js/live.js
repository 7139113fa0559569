/* Live values without reloading: any element with data-live-url is refreshed from that JSON
   endpoint (the API, which accepts the session cookie) every data-live-every seconds.
     - the answer's own fields fill [data-bind=<field>] inside the element (outside its rows);
     - rows: each [data-live-row=<key>] is filled from the item of a list whose data-live-key field
       (e.g. "code") matches. The list is data-live-list (default "results", a paginated answer),
       a dotted path that flattens arrays on the way: "positions", "results.items";
     - [data-format] picks the formatter (format.js), [data-trend=<field>] gets trend-up/down/flat;
     - [data-show-if=<field>] is hidden while that field of the answer is null (e.g. a VI notice).
   Each answer is also dispatched as a "live:data" event so other scripts can react (ticket.js). */
(function () {
  "use strict";
  var S = window.StocKing;
  var TRENDS = ["trend-up", "trend-down", "trend-flat"];

  // Whether `el` belongs to `scope` itself rather than to one of the rows inside it.
  function owned(el, scope) {
    var row = el.closest("[data-live-row]");
    return !row || row === scope || !scope.contains(row);
  }

  function fill(scope, data) {
    scope.querySelectorAll("[data-bind]").forEach(function (el) {
      var field = el.getAttribute("data-bind");
      if (!(field in data) || !owned(el, scope)) return;
      var text = S.format(el.getAttribute("data-format") || "text", data[field]);
      if (el.textContent !== text) el.textContent = text;
    });
    scope.querySelectorAll("[data-show-if]").forEach(function (el) {
      var field = el.getAttribute("data-show-if");
      if (field in data && owned(el, scope)) el.hidden = data[field] === null || data[field] === undefined;
    });
    var trendEls = Array.prototype.slice.call(scope.querySelectorAll("[data-trend]"));
    if (scope.hasAttribute("data-trend")) trendEls.push(scope);
    trendEls.forEach(function (el) {
      var field = el.getAttribute("data-trend");
      if (!(field in data) || !owned(el, scope)) return;
      el.classList.remove.apply(el.classList, TRENDS);
      el.classList.add("trend-" + S.trend(data[field]));
    });
  }

  function items(data, path) {
    return path.split(".").reduce(function (found, name) {
      var next = [];
      found.forEach(function (value) {
        var child = value && value[name];
        if (Array.isArray(child)) next.push.apply(next, child);
        else if (child !== undefined && child !== null) next.push(child);
      });
      return next;
    }, [data]);
  }

  function apply(container, data) {
    var key = container.getAttribute("data-live-key");
    if (data && typeof data === "object" && !Array.isArray(data)) fill(container, data);
    if (key) {
      items(data, container.getAttribute("data-live-list") || "results").forEach(function (item) {
        container.querySelectorAll('[data-live-row="' + String(item[key]) + '"]').forEach(function (row) {
          fill(row, item);
        });
      });
    }
    container.dispatchEvent(new CustomEvent("live:data", { bubbles: true, detail: data }));
  }

  // For stream.js: the same filling from data the live stream brought.
  S.applyLive = apply;
  S.fillRows = function (container, list) {
    var key = container.getAttribute("data-live-key");
    list.forEach(function (item) {
      container.querySelectorAll('[data-live-row="' + String(item[key]) + '"]').forEach(function (row) {
        fill(row, item);
      });
    });
  };

  S.getJSON = function (url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  };

  // Polls while the tab is visible; backs off (up to a minute) while the server is unreachable.
  S.poll = function (seconds, task) {
    var delay = seconds * 1000, failures = 0;
    function tick() {
      // While the live stream keeps the page current (stream.js), polls wait.
      if (document.hidden || S.streamLive) { setTimeout(tick, delay); return; }
      Promise.resolve().then(task).then(function () { failures = 0; }, function () { failures += 1; })
        .then(function () { setTimeout(tick, Math.min(delay * Math.pow(2, failures), 60000)); });
    }
    setTimeout(tick, delay);
  };

  document.querySelectorAll("[data-live-url]").forEach(function (container) {
    var seconds = Number(container.getAttribute("data-live-every")) || 5;
    S.poll(seconds, function () {
      return S.getJSON(container.getAttribute("data-live-url")).then(function (data) { apply(container, data); });
    });
  });
})();
