/* The live stream on pages (DESIGN.md "Live stream"): when the layout names a stream URL
   (<meta name="stocking-stream">), open the socket with the page's session cookie, subscribe to the
   codes on the page and to the user's order events, and keep the page current from them:
     - quotes fill the same [data-bind] fields live.js fills, in rows keyed by code, on the stock
       page's quote ([data-stream-quote]) and, recomputed exactly (integer hundredths, as the server
       computes them), in the portfolio's figures and positions;
     - order events update the open-order rows, refetch the page's small JSON endpoints once and
       show a toast on fills.
   While the socket is live, live.js and orders.js stop polling (S.streamLive); when it fails they
   poll again and the socket retries with since_seq, so no order event is missed. */
(function () {
  "use strict";
  var S = window.StocKing;
  var meta = document.querySelector('meta[name="stocking-stream"]');
  if (!S || !meta || !meta.content || !window.WebSocket) return;
  var labels = JSON.parse(meta.getAttribute("data-labels") || "{}");
  var ROW_KEYS = ["code", "stock"];
  var FULL_REFRESH_MS = 30000;
  var lastSeq = null, retryMs = 1000, socket = null, refreshTimer = null, fullTimer = null;
  var state = new Map();  // container -> its last JSON, for containers recomputed from quotes

  // --- exact decimal arithmetic on the API's strings, in hundredths
  function cents(value) {
    var text = String(value), negative = text.charAt(0) === "-";
    var parts = text.replace("-", "").split(".");
    var n = BigInt(parts[0] || "0") * 100n + BigInt(((parts[1] || "") + "00").slice(0, 2));
    return negative ? -n : n;
  }
  function money(c) {
    var negative = c < 0n, a = negative ? -c : c, frac = String(a % 100n);
    return (negative ? "-" : "") + String(a / 100n) + "." + (frac.length < 2 ? "0" + frac : frac);
  }
  function rate(numerator, denominator) {  // percent, two decimals, half away from zero
    if (denominator === 0n) return null;
    var negative = (numerator < 0n) !== (denominator < 0n) && numerator !== 0n;
    var n = numerator < 0n ? -numerator : numerator, d = denominator < 0n ? -denominator : denominator;
    return money((negative ? -1n : 1n) * ((2n * n * 10000n + d) / (2n * d)));
  }

  function revalue(portfolio, prices) {
    var holdings = 0n, cost = 0n, day = 0n, changed = false;
    portfolio.positions.forEach(function (p) {
      if (prices[p.stock]) { p.current_price = prices[p.stock]; changed = true; }
    });
    if (!changed) return false;
    var rows = portfolio.positions.map(function (p) {
      var qty = BigInt(p.quantity), price = cents(p.current_price);
      var value = price * qty, dayChange = (price - cents(p.previous_close)) * qty;
      holdings += value; cost += cents(p.cost_basis); day += dayChange;
      return { p: p, value: value, dayChange: dayChange };
    });
    var total = cents(portfolio.cash) + holdings, capital = cents(portfolio.net_capital);
    rows.forEach(function (r) {
      var basis = cents(r.p.cost_basis);
      r.p.market_value = money(r.value);
      r.p.unrealized_pnl = money(r.value - basis);
      r.p.unrealized_pnl_rate = rate(r.value - basis, basis);
      r.p.weight = rate(r.value, total);
      r.p.day_change = money(r.dayChange);
      r.p.day_change_rate = rate(r.dayChange, r.value - r.dayChange);
    });
    portfolio.holdings_value = money(holdings);
    portfolio.total_value = money(total);
    portfolio.unrealized_pnl = money(holdings - cost);
    portfolio.unrealized_pnl_rate = rate(holdings - cost, cost);
    portfolio.day_change = money(day);
    portfolio.day_change_rate = rate(day, total - day);
    portfolio.total_pnl = money(total - capital);
    portfolio.total_return_rate = capital > 0n ? rate(total - capital, capital) : null;
    return true;
  }

  // --- the page
  function containers() { return document.querySelectorAll("[data-live-url]"); }
  function isPositions(el) { return el.getAttribute("data-live-list") === "positions"; }
  function keyed(el) { return ROW_KEYS.indexOf(el.getAttribute("data-live-key")) !== -1 && !isPositions(el); }

  function pageCodes() {
    var codes = {};
    containers().forEach(function (el) {
      if (!keyed(el) && !isPositions(el)) return;
      el.querySelectorAll("[data-live-row]").forEach(function (row) { codes[row.getAttribute("data-live-row")] = 1; });
    });
    document.querySelectorAll("[data-stream-quote]").forEach(function (el) { codes[el.getAttribute("data-stream-quote")] = 1; });
    var list = Object.keys(codes);
    return list.length > 200 ? ["*"] : list;
  }

  function refresh(el) {
    return S.getJSON(el.getAttribute("data-live-url")).then(function (data) {
      if (isPositions(el) || el.hasAttribute("data-stream-quote")) state.set(el, data);
      S.applyLive(el, data);
    }).catch(function () { /* the next refresh or a poll catches up */ });
  }
  function refreshAll() { containers().forEach(refresh); }
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshAll, 300);
  }

  function onQuotes(frame) {
    var prices = {}, byCode = {};
    frame.data.forEach(function (q) { prices[q.code] = q.price; byCode[q.code] = q; });
    containers().forEach(function (el) {
      if (isPositions(el)) {
        var portfolio = state.get(el);
        if (portfolio && revalue(portfolio, prices)) S.applyLive(el, portfolio);
      } else if (keyed(el)) {
        var key = el.getAttribute("data-live-key");
        S.fillRows(el, frame.data.map(function (q) {
          var item = { price: q.price, change: q.change, change_rate: q.change_rate, volume: q.volume };
          item[key] = q.code;
          return item;
        }));
      }
    });
    document.querySelectorAll("[data-stream-quote]").forEach(function (el) {
      var q = byCode[el.getAttribute("data-stream-quote")], stock = state.get(el);
      if (!q || !stock) return;
      stock.price = q.price; stock.change = q.change; stock.change_rate = q.change_rate; stock.volume = q.volume;
      if ("vi_until" in q) stock.vi_until = q.vi_until;
      if (stock.day_high === null || Number(q.price) > Number(stock.day_high)) stock.day_high = q.price;
      if (stock.day_low === null || Number(q.price) < Number(stock.day_low)) stock.day_low = q.price;
      S.applyLive(el, stock);
    });
  }

  function showOrder(order) {
    var statuses = labels.statuses || {};
    document.querySelectorAll('[data-open-orders] tr[data-order-id="' + order.id + '"]').forEach(function (row) {
      row.querySelectorAll("[data-order-field]").forEach(function (el) {
        var field = el.dataset.orderField;
        var text = field === "status" ? (statuses[order.status] || order.status) : S.format("number", order[field]);
        if (el.textContent !== text) el.textContent = text;
      });
      if (order.status !== "pending" && order.status !== "partially_filled") row.classList.add("is-closed");
    });
  }

  function toast(frame) {
    var order = frame.order, box = document.querySelector(".stream-toasts");
    if (!box) {
      box = document.createElement("div");
      box.className = "stream-toasts";
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    var note = document.createElement("p");
    note.className = "message message-success stream-toast";
    note.setAttribute("data-testid", "fill-toast");
    note.textContent = ((labels.statuses || {})[order.status] || order.status) + ": " + order.stock_name + " " +
      ((labels.sides || {})[order.side] || order.side) + " " + S.format("number", order.filled_quantity) + "/" +
      S.format("number", order.quantity);
    box.appendChild(note);
    setTimeout(function () { note.remove(); }, 6000);
  }

  function onOrder(frame) {
    lastSeq = frame.seq;
    showOrder(frame.order);
    if (frame.event === "fill" || frame.event === "partial_fill") toast(frame);
    refreshSoon();  // cash, positions, balances: the small JSON endpoints of this page
  }

  function live(on) {
    S.streamLive = on;
    clearInterval(fullTimer);
    if (on) fullTimer = setInterval(refreshAll, FULL_REFRESH_MS);
  }

  function connect() {
    var authorized = false;
    socket = new WebSocket(meta.content);
    socket.onmessage = function (message) {
      var frame = JSON.parse(message.data);
      if (frame.type === "authorized") {
        authorized = true;
        var subscribe = { action: "subscribe", quotes: pageCodes(), orders: true };
        if (lastSeq !== null) subscribe.since_seq = lastSeq;
        socket.send(JSON.stringify(subscribe));
      } else if (frame.type === "subscribed") {
        if (lastSeq === null) lastSeq = frame.seq;
        retryMs = 1000;
        live(true);
        refreshAll();  // subscribed first, then fetched: nothing falls between the page and the stream
      } else if (frame.type === "quotes") {
        onQuotes(frame);
      } else if (frame.type === "order") {
        onOrder(frame);
      } else if (frame.type === "error" && frame.code === "since_seq_expired") {
        lastSeq = null;
        refreshAll();
        socket.send(JSON.stringify({ action: "subscribe", quotes: pageCodes(), orders: true }));
      }
    };
    socket.onclose = function (event) {
      live(false);
      // Not authenticated by the cookie (logged out, another host name): stay with polling.
      if (!authorized && event.code === 4001) return;
      var wait = event.code === 4008 ? 30000 : retryMs;
      retryMs = Math.min(retryMs * 2, 30000);
      setTimeout(connect, wait);
    };
  }

  connect();
})();
