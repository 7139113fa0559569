// Profile page, API keys: the copy buttons next to a new key's id and secret.
(function () {
  "use strict";

  function copy(button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    var done = function () {
      button.textContent = button.dataset.copied;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        field.select();
      });
    } else {
      // Plain http on another host than localhost has no clipboard API: select it for Ctrl-C.
      field.focus();
      field.select();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        copy(button);
      });
    });
  });
})();
