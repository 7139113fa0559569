/* Number formatting for live updates; mirrors stocking/core/templatetags/stocking_format.py so a
   refreshed value reads exactly like the server-rendered one. Works on the API's decimal strings
   without going through floating point. */
(function () {
  "use strict";

  var DASH = "\u2013", UP = "\u25B2", DOWN = "\u25BC";

  // "-12345.675" -> {negative, intPart, frac} rounded half up to `places` decimals.
  function parse(value, places) {
    if (value === null || value === undefined || value === "") return null;
    var text = String(value).trim();
    if (!/^-?\d+(\.\d+)?$/.test(text)) return null;
    var negative = text.charAt(0) === "-";
    if (negative) text = text.slice(1);
    var parts = text.split(".");
    var intPart = parts[0].replace(/^0+(?=\d)/, "");
    var frac = (parts[1] || "");
    var digits = intPart + (frac + "0".repeat(places + 1)).slice(0, places + 1);
    // Round half up on the digit after the last kept place, carrying through the string.
    var roundUp = Number(digits.charAt(digits.length - 1)) >= 5;
    var kept = digits.slice(0, -1).split("").map(Number);
    for (var i = kept.length - 1; roundUp && i >= 0; i--) {
      kept[i] += 1;
      roundUp = kept[i] === 10;
      if (roundUp) kept[i] = 0;
    }
    var all = (roundUp ? "1" : "") + kept.join("");
    var cut = all.length - places;
    var whole = all.slice(0, cut) || "0";
    var decimals = all.slice(cut);
    var zero = /^0*$/.test(whole + decimals);
    return { negative: negative && !zero, intPart: whole.replace(/^0+(?=\d)/, ""), frac: decimals, zero: zero };
  }

  function group(intPart) {
    return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function isWhole(value) {
    var text = String(value);
    return text.indexOf(".") === -1 || /\.0*$/.test(text);
  }

  function numberText(value) {
    var places = isWhole(value) ? 0 : 2;
    var n = parse(value, places);
    if (!n) return null;
    return { sign: n.negative ? "-" : "", text: group(n.intPart) + (places ? "." + n.frac : ""), zero: n.zero };
  }

  function sign(value) {
    var n = parse(value, 2);
    if (!n || n.zero) return 0;
    return n.negative ? -1 : 1;
  }

  var formats = {
    number: function (v) { var n = numberText(v); return n ? n.sign + n.text : DASH; },
    won: function (v) { var n = numberText(v); return n ? n.sign + "\u20A9" + n.text : DASH; },
    signed_won: function (v) {
      var n = numberText(v); if (!n) return DASH;
      return (n.zero ? "" : (n.sign || "+")) + "\u20A9" + n.text;
    },
    rate: function (v) {
      var n = parse(v, 2); if (!n) return DASH;
      return (n.zero ? "" : (n.negative ? "-" : "+")) + group(n.intPart) + "." + n.frac + "%";
    },
    percent: function (v) {
      var n = parse(v, 2); if (!n) return DASH;
      return (n.negative ? "-" : "") + group(n.intPart) + "." + n.frac + "%";
    },
    change: function (v) {
      var n = numberText(v); if (!n) return DASH;
      return (n.zero ? "" : (n.sign ? DOWN : UP)) + n.text;
    },
    // An ISO time as Seoul's wall clock, e.g. "10:42:07" (the market's own hours).
    time: function (v) {
      var at = v ? new Date(v) : null;
      if (!at || isNaN(at.getTime())) return DASH;
      return at.toLocaleTimeString("en-GB", { timeZone: "Asia/Seoul", hour12: false });
    },
    text: function (v) { return v === null || v === undefined ? DASH : String(v); }
  };

  function trend(value) {
    var s = sign(value);
    return s > 0 ? "up" : s < 0 ? "down" : "flat";
  }

  window.StocKing = window.StocKing || {};
  window.StocKing.format = function (kind, value) { return (formats[kind] || formats.text)(value); };
  window.StocKing.trend = trend;
})();
