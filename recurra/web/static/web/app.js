/* Recurra's few lines of script: everything works without it, this makes it smoother.
   - Dropdowns (<details id=…>) that were open stay open when htmx replaces the page around them.
   - An action's <dialog> loaded into #dialog-host opens as a modal, and is removed when closed.
   - The index's side panel: moves focus into it when it opens, closes with its ✕ or Escape.
   - Choosing an item of an Actions menu closes the menu.
   - A "Copy" button (data-copy=<input id>) selects and copies that field and says "Copied".
   - A record's Subscriptions card (below). */
(function () {
  "use strict";
  var open = [];
  var opener = null; // the row link that opened the panel: focus goes back to it on close
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.hasAttribute("data-panel-link")) opener = event.detail.elt.closest("tr").dataset.id;
  });
  document.addEventListener("htmx:beforeSwap", function () {
    open = Array.prototype.map.call(document.querySelectorAll("details[open][id]"), function (d) { return d.id; });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    open.forEach(function (id) {
      var d = document.getElementById(id);
      if (d) d.open = true;
    });
    var target = event.detail.target;
    if (target && target.id === "dialog-host") {
      var dialog = target.querySelector("dialog");
      if (dialog) {
        dialog.removeAttribute("open");
        dialog.addEventListener("close", function () { target.innerHTML = ""; });
        dialog.showModal();
      }
    }
    if (target && target.id === "panel") {
      document.getElementById("index-layout").classList.add("with-panel");
      var panel = target.querySelector(".panel");
      if (panel) panel.focus();
    }
  });
  function closePanel() {
    var host = document.getElementById("panel");
    if (!host || !host.firstElementChild) return;
    host.innerHTML = "";
    document.getElementById("index-layout").classList.remove("with-panel");
    var row = opener && document.querySelector('tr[data-id="' + opener + '"] [data-panel-link]');
    if (row) row.focus();
  }
  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    if (event.target.closest("[data-close-panel]")) closePanel();
    var item = event.target.closest(".menu-list a, .menu-list button");
    if (item) item.closest("details").open = false; // a chosen action closes its menu
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    field.select();
    if (navigator.clipboard) navigator.clipboard.writeText(field.value);
    button.textContent = "Copied";
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !document.querySelector("dialog[open]")) {
      var inPanel = document.activeElement && document.activeElement.closest && document.activeElement.closest("#panel");
      if (inPanel) closePanel();
    }
  });
})();

/* On a page with a record's Subscriptions card (web/subscriptions/card.html; here, not inline, for the
   Content-Security-Policy): Escape hides an open preview (until the pointer or focus leaves it) and closes
   the "Add" menu, as a click outside does. */
(function () {
  "use strict";
  function hasCard() { return document.querySelector(".sub-card") !== null; }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !hasCard()) return;
    document.querySelectorAll(".has-preview:hover, .has-preview:focus-within").forEach(function (el) { el.classList.add("preview-dismissed"); });
    document.querySelectorAll("details.menu[open]").forEach(function (menu) { menu.open = false; if (menu.contains(document.activeElement)) menu.querySelector("summary").focus(); });
  });
  document.addEventListener("mouseleave", function (event) { if (hasCard() && event.target.classList && event.target.classList.contains("has-preview")) event.target.classList.remove("preview-dismissed"); }, true);
  document.addEventListener("focusout", function (event) { var el = hasCard() && event.target.closest && event.target.closest(".has-preview"); if (el) el.classList.remove("preview-dismissed"); });
  document.addEventListener("click", function (event) { if (!hasCard()) return; document.querySelectorAll("details.menu[open]").forEach(function (menu) { if (!menu.contains(event.target)) menu.open = false; }); });
})();
