// Optional progressive enhancement: saves a group shortly after typing stops.
// The pages work without it (every group has its own save button).
(function () {
  "use strict";
  function setup(form) {
    var timer = null;
    var status = form.querySelector(".ss-autosave-status");
    function save() {
      var data = new FormData(form);
      Array.from(data.keys()).forEach(function (key) {
        if (key.indexOf("file__") === 0 || key.indexOf("link__") === 0) { data.delete(key); }
      });
      fetch(form.action, {method: "POST", body: data, credentials: "same-origin",
                          headers: {"X-Autosave": "1"}})
        .then(function (response) { return response.json(); })
        .then(function (result) {
          if (status) {
            status.textContent = result.saved ? form.dataset.savedText : (result.errors || []).join(" · ");
          }
        })
        .catch(function () { if (status) { status.textContent = form.dataset.failedText; } });
    }
    function later(event) {
      if (event.target && event.target.type === "file") { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 1500);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.from(document.querySelectorAll("form[data-autosave]")).forEach(setup);
  });
})();
