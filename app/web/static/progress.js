// Polls the run's progress while it is queued or running; reloads the page when it has finished.
(function () {
  var panel = document.getElementById("progress-panel");
  if (!panel) { return; }
  var url = panel.getAttribute("data-url");
  function set(id, text) { var el = document.getElementById(id); if (el) { el.textContent = text; } }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { setTimeout(poll, 3000); return; }
        set("progress-incumbent", p.incumbent); set("progress-bound", p.bound);
        set("progress-gap", p.gap); set("progress-elapsed", p.elapsed);
        set("progress-status", p.status); set("run-status", p.status); set("outcome", p.outcome);
        if (p.active) { setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
