/* Open orders (templates/trading/_open_orders.html): refresh each row's fill and status from
   GET /api/v1/orders?status=pending,partially_filled, and when an order leaves that list (filled,
   expired, cancelled elsewhere) look it up once and show how it ended, without its buttons. */
(function () {
  "use strict";
  var S = window.StocKing;
  var body = document.querySelector("[data-open-orders]");
  var labelsEl = document.getElementById("order-status-labels");
  if (!body || !labelsEl) return;
  var labels = JSON.parse(labelsEl.textContent);

  function show(row, order) {
    row.querySelectorAll("[data-order-field]").forEach(function (el) {
      var field = el.dataset.orderField;
      var text = field === "status" ? (labels[order.status] || order.status) : S.format("number", order[field]);
      if (el.textContent !== text) el.textContent = text;
    });
    if (order.status !== "pending" && order.status !== "partially_filled") row.classList.add("is-closed");
  }

  S.poll(4, function () {
    return S.getJSON(body.dataset.openOrders).then(function (data) {
      var open = {};
      data.results.forEach(function (order) { open[order.id] = order; });
      var lookups = [];
      body.querySelectorAll("tr[data-order-id]:not(.is-closed)").forEach(function (row) {
        var order = open[row.dataset.orderId];
        if (order) { show(row, order); return; }
        lookups.push(S.getJSON(body.dataset.orderDetailUrl + "/" + row.dataset.orderId).then(function (closed) {
          show(row, closed);
        }));
      });
      return Promise.all(lookups);
    });
  });
})();
