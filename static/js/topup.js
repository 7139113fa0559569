/* The PortOne top-up with a real store (never in sandbox mode): open PortOne's payment window with
   the prepared payment's fields (data-* on the pay button), then hand the result to
   POST /api/v1/payments/complete, which verifies it with PortOne and credits once. Whatever that
   answers, the done page says what became of the payment (the webhook may also have credited it). */
(function () {
  "use strict";
  var button = document.querySelector("[data-portone-pay]");
  if (!button) return;
  var status = document.querySelector("[data-topup-status]");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");

  function say(text) { if (status) status.textContent = text; }

  // The button is rendered disabled: it only works once PortOne's SDK has loaded.
  if (!window.IMP) { say(status ? status.getAttribute("data-unavailable") : ""); return; }
  button.disabled = false;

  button.addEventListener("click", function () {
    var d = button.dataset;
    var request = {
      pay_method: "card",
      merchant_uid: d.merchantUid,
      name: d.name,
      amount: Number(d.amount),
      buyer_email: d.buyerEmail,
      buyer_name: d.buyerName
    };
    if (d.channelKey) request.channelKey = d.channelKey;
    button.disabled = true;
    window.IMP.init(d.storeId);
    window.IMP.request_pay(request, function (answer) {
      if (!answer || !answer.imp_uid) {
        // Closed or refused before a payment existed: nothing to verify, the user may try again.
        say((answer && answer.error_msg) || "");
        button.disabled = false;
        return;
      }
      fetch(d.completeUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify({ imp_uid: answer.imp_uid, merchant_uid: d.merchantUid })
      }).catch(function () { return null; }).then(function () { window.location.assign(d.doneUrl); });
    });
  });
})();
