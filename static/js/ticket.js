/* The order ticket and the stop-loss / take-profit form on a stock page
   (templates/trading/_ticket.html, _oco.html). In every form marked data-tick-form: prices snap to
   the KRX tick grid and the − / + buttons step them a tick at a time. In the ticket: only the time
   in force the chosen order type allows is offered, the estimate uses the price the order is
   expected to fill at and shows the cash a buy holds (the upper limit for the types held there),
   and GET /api/v1/orders/orderable gives the max quantity at that hold. Which boxes show follows
   the checked type in CSS. The server re-checks everything; this only spares the user a round trip. */
(function () {
  "use strict";
  var S = window.StocKing;
  var tableEl = document.getElementById("tick-table");
  if (!tableEl) return;

  var TICKS = JSON.parse(tableEl.textContent).map(function (row) {
    return [row[0] === null ? Infinity : Number(row[0]), Number(row[1])];
  });
  function tickSize(price) {
    for (var i = 0; i < TICKS.length; i++) if (price < TICKS[i][0]) return TICKS[i][1];
    return TICKS[TICKS.length - 1][1];
  }
  function floorToTick(p) { var t = tickSize(p); return Math.floor(p / t) * t; }
  function ceilToTick(p) { var t = tickSize(p); return Math.ceil(p / t) * t; }
  function wholeNumber(input) { return input && /^\d+$/.test(input.value.trim()) ? Number(input.value.trim()) : null; }

  // Tick snapping and steppers, for each form that has price boxes.
  document.querySelectorAll("[data-tick-form]").forEach(function (tickForm) {
    var lower = Number(tickForm.dataset.lower), upper = Number(tickForm.dataset.upper);
    function clamp(p) { return Math.min(Math.max(p, lower), upper); }
    function snap(p) {
      var low = floorToTick(p), high = ceilToTick(p);
      return clamp(p - low < high - p ? low : high);
    }
    tickForm.querySelectorAll("[data-tick-price]").forEach(function (input) {
      input.addEventListener("change", function () {
        var price = wholeNumber(input);
        if (price !== null) input.value = String(snap(price));
      });
    });
    tickForm.querySelectorAll("[data-tick-step]").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = tickForm.elements[button.dataset.tickTarget || "limit_price"];
        var price = wholeNumber(input) || Number(tickForm.dataset.price);
        var next = Number(button.dataset.tickStep) > 0 ? ceilToTick(price + 1) : floorToTick(price - 1);
        input.value = String(clamp(next));
        input.dispatchEvent(new Event("input", { bubbles: true }));
        tickForm.dispatchEvent(new CustomEvent("ticket:changed"));
      });
    });
  });

  var form = document.querySelector("[data-ticket]");
  var rulesEl = document.getElementById("order-type-rules");
  if (!form || !rulesEl) return;
  var RULES = JSON.parse(rulesEl.textContent);
  var lower = Number(form.dataset.lower), upper = Number(form.dataset.upper);
  var priceInput = form.elements.limit_price, stopInput = form.elements.stop_price;
  var trailPrice = form.elements.trail_price, trailPercent = form.elements.trail_percent;
  var quantityInput = form.elements.quantity, tif = form.elements.time_in_force;
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
  function orderType() { return RULES[value("order_type")] ? value("order_type") : "limit"; }
  function current() { return Number(form.dataset.price); }

  // A trailing stop's stop right now: its mark (the current price at acceptance) less or plus the trail.
  function trailingStop(buy) {
    var mark = current(), won = wholeNumber(trailPrice);
    var pct = /^\d+(\.\d+)?$/.test(trailPercent.value.trim()) ? Number(trailPercent.value.trim()) : null;
    var trail = won !== null ? won : pct !== null ? (mark * pct) / 100 : null;
    if (trail === null || trail <= 0) return null;
    return buy ? ceilToTick(mark + trail) : Math.max(floorToTick(Math.max(mark - trail, 1)), 1);
  }

  // The price the order is expected to fill at, for the estimate.
  function fillPrice() {
    var type = orderType(), buy = value("side") !== "sell", price = current();
    if (type === "market" || type === "best_limit") return price;
    if (type === "best_own") return Math.min(Math.max(buy ? floorToTick(price - 1) : ceilToTick(price + 1), lower), upper);
    if (type === "stop") return wholeNumber(stopInput);
    if (type === "trailing_stop") return trailingStop(buy);
    return wholeNumber(priceInput);
  }

  // The price a buy's cash is held at until it fills (order_types.HELD_AT_UPPER_LIMIT and the rest).
  function holdPrice() {
    var type = orderType();
    if (RULES[type].held_at_upper) return upper;
    if (type === "best_limit") return current();
    if (type === "best_own") return fillPrice();
    return wholeNumber(priceInput);
  }

  function show(name, amount) {
    var out = form.querySelector('[data-estimate="' + name + '"]');
    if (out) out.textContent = S.format("won", amount === null ? "0" : amount.toString());
  }

  function estimate() {
    var price = fillPrice(), quantity = wholeNumber(quantityInput);
    var stopOut = form.querySelector("[data-trail-stop]");
    if (stopOut) {
      var stop = trailingStop(value("side") !== "sell");
      stopOut.textContent = stop === null ? "\u2013" : S.format("won", String(stop));
    }
    var hold = holdPrice();
    show("hold", hold && quantity ? BigInt(hold) * BigInt(quantity) + truncated(BigInt(hold) * BigInt(quantity), commission) : null);
    if (!price || !quantity) { ["amount", "fee", "tax", "total"].forEach(function (n) { show(n, null); }); return; }
    var amount = BigInt(price) * BigInt(quantity);
    var fee = truncated(amount, commission);
    var sell = value("side") === "sell";
    var tax = sell ? truncated(amount, sellTax) : 0n;
    show("amount", amount); show("fee", fee); show("tax", tax);
    show("total", sell ? amount - fee - tax : amount + fee);
  }

  // Offer only the time in force the type allows; a choice it does not allow falls back to its first.
  function offerTimeInForce() {
    if (!tif) return;
    var allowed = RULES[orderType()].tif;
    Array.prototype.forEach.call(tif.options, function (option) {
      var ok = allowed.indexOf(option.value) !== -1;
      option.disabled = !ok;
      option.hidden = !ok;
    });
    if (allowed.indexOf(tif.value) === -1) tif.value = allowed[0];
  }

  var pending = null;
  function refreshOrderable() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      var side = value("side"), params = new URLSearchParams({ stock: form.dataset.stock, side: side });
      if (side === "buy") {
        var hold = holdPrice();
        if (hold === null || !onGrid(hold)) return;  // the API would answer 400; the form shows why on submit
        if (hold !== upper) params.set("price", String(hold));  // without a price the API holds at the upper limit
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

  form.addEventListener("input", function (event) {
    // A trail is in won or in percent: typing one empties the other.
    var other = event.target.dataset && event.target.dataset.trailOther;
    if (other && event.target.value.trim() !== "") form.elements[other].value = "";
    estimate();
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "order_type") offerTimeInForce();
    changed();
  });
  form.addEventListener("ticket:changed", changed);
  var fillMax = form.querySelector("[data-fill-max]");
  if (fillMax) fillMax.addEventListener("click", function () {
    var max = form.querySelector('[data-max="' + value("side") + '"]');
    var count = max ? max.textContent.replace(/[^\d]/g, "") : "";
    if (count) { quantityInput.value = count; estimate(); }
  });
  // The quote above the ticket refreshes through live.js; estimates at the current price follow it.
  document.addEventListener("live:data", function (event) {
    var data = event.detail;
    if (data && data.code === form.dataset.stock && data.price) {
      form.dataset.price = data.price;
      estimate();
    }
  });

  offerTimeInForce();
  estimate();
})();
