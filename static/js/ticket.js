/* The order ticket (templates/trading/_ticket.html): snaps the limit price to the KRX tick grid,
   steps it a tick at a time, keeps the estimated amount, commission and tax current, and asks
   GET /api/v1/orders/orderable for the max quantity at the chosen price. The server re-checks
   everything; this only spares the user a round trip. */
(function () {
  "use strict";
  var S = window.StocKing;
  var form = document.querySelector("[data-ticket]");
  var tableEl = document.getElementById("tick-table");
  if (!form || !tableEl) return;

  var TICKS = JSON.parse(tableEl.textContent).map(function (row) {
    return [row[0] === null ? Infinity : Number(row[0]), Number(row[1])];
  });
  var lower = Number(form.dataset.lower), upper = Number(form.dataset.upper);
  var priceInput = form.elements.limit_price, quantityInput = form.elements.quantity;

  function tickSize(price) {
    for (var i = 0; i < TICKS.length; i++) if (price < TICKS[i][0]) return TICKS[i][1];
    return TICKS[TICKS.length - 1][1];
  }
  function floorToTick(p) { var t = tickSize(p); return Math.floor(p / t) * t; }
  function ceilToTick(p) { var t = tickSize(p); return Math.ceil(p / t) * t; }
  function snap(p) {
    var low = floorToTick(p), high = ceilToTick(p);
    var nearest = p - low < high - p ? low : high;
    return Math.min(Math.max(nearest, lower), upper);
  }
  function onGrid(p) { return p > 0 && p % tickSize(p) === 0 && p >= lower && p <= upper; }

  // Rates arrive as decimal strings ("0.00015"); fees are truncated to whole won, so use BigInt.
  function rateParts(text) {
    var parts = String(text || "0").split(".");
    var frac = parts[1] || "";
    return { num: BigInt(parts[0] + frac), den: BigInt("1" + "0".repeat(frac.length)) };
  }
  var commission = rateParts(form.dataset.commissionRate), sellTax = rateParts(form.dataset.sellTaxRate);
  function truncated(amount, rate) { return (amount * rate.num) / rate.den; }

  function value(name) { var el = form.querySelector('input[name="' + name + '"]:checked'); return el ? el.value : ""; }
  function wholeNumber(input) { return /^\d+$/.test(input.value.trim()) ? Number(input.value.trim()) : null; }
  function orderPrice() { return value("order_type") === "market" ? Number(form.dataset.price) : wholeNumber(priceInput); }

  function show(name, amount) {
    var out = form.querySelector('[data-estimate="' + name + '"]');
    if (out) out.textContent = S.format("won", amount === null ? "0" : amount.toString());
  }

  function estimate() {
    var price = orderPrice(), quantity = wholeNumber(quantityInput);
    if (!price || !quantity) { ["amount", "fee", "tax", "total"].forEach(function (n) { show(n, null); }); return; }
    var amount = BigInt(price) * BigInt(quantity);
    var fee = truncated(amount, commission);
    var sell = value("side") === "sell";
    var tax = sell ? truncated(amount, sellTax) : 0n;
    show("amount", amount); show("fee", fee); show("tax", tax);
    show("total", sell ? amount - fee - tax : amount + fee);
  }

  var pending = null;
  function refreshOrderable() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      var side = value("side"), params = new URLSearchParams({ stock: form.dataset.stock, side: side });
      if (value("order_type") === "limit") {
        var price = wholeNumber(priceInput);
        if (price === null || !onGrid(price)) return;  // the API would answer 400; the form shows why on submit
        params.set("price", String(price));
      }
      S.getJSON(form.dataset.orderableUrl + "?" + params).then(function (data) {
        var max = form.querySelector('[data-max="' + side + '"]');
        if (max) max.textContent = S.format("number", data.max_quantity);
        var cash = form.querySelector("[data-available-cash]");
        if (cash) cash.textContent = S.format("won", data.available_cash);
      }).catch(function () { /* keep the last figures; the next change retries */ });
    }, 300);
  }

  function changed() { estimate(); refreshOrderable(); }

  form.addEventListener("input", estimate);
  form.addEventListener("change", function (event) {
    if (event.target === priceInput) {
      var price = wholeNumber(priceInput);
      if (price !== null) priceInput.value = String(snap(price));
    }
    changed();
  });
  form.querySelectorAll("[data-tick-step]").forEach(function (button) {
    button.addEventListener("click", function () {
      var price = wholeNumber(priceInput) || Number(form.dataset.price);
      var next = Number(button.dataset.tickStep) > 0 ? ceilToTick(price + 1) : floorToTick(price - 1);
      priceInput.value = String(Math.min(Math.max(next, lower), upper));
      changed();
    });
  });
  var fillMax = form.querySelector("[data-fill-max]");
  if (fillMax) fillMax.addEventListener("click", function () {
    var max = form.querySelector('[data-max="' + value("side") + '"]');
    var count = max ? max.textContent.replace(/[^\d]/g, "") : "";
    if (count) { quantityInput.value = count; estimate(); }
  });
  // The quote above the ticket refreshes through live.js; market-order estimates follow its price.
  document.addEventListener("live:data", function (event) {
    var data = event.detail;
    if (data && data.code === form.dataset.stock && data.price) {
      form.dataset.price = data.price;
      if (value("order_type") === "market") estimate();
    }
  });

  estimate();
})();
