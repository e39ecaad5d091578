/* Recurra's few lines of script: everything works without it, this makes it smoother.
   - Dropdowns (<details id=…>) that were open stay open when htmx replaces the page around them,
     and the control that had the focus (by its id) gets it back, also inside a dropdown (htmx
     alone cannot: it focuses before the dropdown is open again).
   - An action's <dialog> loaded into #dialog-host opens as a modal, and is removed when closed.
   - The index's side panel: moves focus into it when it opens, closes with its ✕ or Escape.
   - Choosing an item of an Actions menu closes the menu.
   - Menus (<details class="dropdown"> or "menu"): one open at a time; a click outside or Escape
     closes them (Escape gives the focus back to the menu's button).
   - A control marked data-no-autosubmit does not send its htmx form when it changes (a choice
     that a button then applies, such as the column "Add a column" adds).
   - An element marked data-focus-on-load (the edit page's preview) is scrolled into view and
     focused when the page opens.
   - A "Copy" button (data-copy=<input id>) selects and copies that field and says "Copied".
   - A record's Subscriptions card: its preview and "Add" menu, and its "Preview" panel (below).
   - A record picker's search answer that left before the person picked a record is dropped (it
     would redraw the choices without the pick; the choices shown hold it already).
   - The index's "select every row on this page" box (data-select-all=<form id>, hidden without
     script) ticks or unticks the rows' boxes of that form.
   No inline script anywhere (the Content-Security-Policy allows none): behaviour lives here. */
(function () {
  "use strict";
  var open = [];
  var focused = null; // the id of the element focused when htmx swapped
  var MENUS = "details.dropdown, details.menu";
  var opener = null; // the row link that opened the panel: focus goes back to it on close
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.hasAttribute("data-panel-link")) opener = event.detail.elt.closest("tr").dataset.id;
  });
  document.addEventListener("htmx:beforeSwap", function () {
    open = Array.prototype.map.call(document.querySelectorAll("details[open][id]"), function (d) { return d.id; });
    focused = document.activeElement && document.activeElement.id;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    open.forEach(function (id) {
      var d = document.getElementById(id);
      if (d) d.open = true;
    });
    var lost = !document.activeElement || document.activeElement === document.body;
    var again = focused && lost && document.getElementById(focused);
    if (again) again.focus({ preventScroll: true });
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
    // The word is the page's (base.html's <body data-copied>), in the page's language.
    button.textContent = button.getAttribute("data-copied") || document.body.getAttribute("data-copied") || "Copied";
  });
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.open || !menu.matches || !menu.matches(MENUS)) return;
    document.querySelectorAll(MENUS).forEach(function (other) {
      if (other.open && !other.contains(menu)) other.open = false; // one open at a time
    });
  }, true); // toggle does not bubble
  document.addEventListener("click", function (event) {
    document.querySelectorAll(MENUS).forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  });
  function showSelectAll() {
    document.querySelectorAll("[data-select-all][hidden]").forEach(function (box) { box.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", showSelectAll);
  document.addEventListener("htmx:afterSettle", showSelectAll);
  document.addEventListener("change", function (event) {
    var all = event.target.closest && event.target.closest("[data-select-all]");
    if (!all) return;
    var form = all.getAttribute("data-select-all");
    document.querySelectorAll('input[type=checkbox][name=ids][form="' + form + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
  document.addEventListener("htmx:confirm", function (event) {
    var cause = event.detail.triggeringEvent;
    if (cause && cause.type === "change" && cause.target.closest && cause.target.closest("[data-no-autosubmit]")) {
      event.preventDefault();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var target = document.querySelector("[data-focus-on-load]");
    if (target) {
      target.scrollIntoView({ block: "start" });
      target.focus({ preventScroll: true });
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !document.querySelector("dialog[open]")) {
      var closed = false;
      document.querySelectorAll(MENUS).forEach(function (menu) {
        if (!menu.open) return;
        menu.open = false;
        closed = true;
        if (menu.contains(document.activeElement)) menu.querySelector("summary").focus();
      });
      var inPanel = document.activeElement && document.activeElement.closest && document.activeElement.closest("#panel");
      if (inPanel && !closed) closePanel(); // a first Escape closes the panel's menu, the next the panel
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

/* A record's Subscriptions card (contact, company, deal, invoice, payment): "Preview" loads the
   subscription's side panel (the index's, with its Actions menu) into the card's #record-panel, over the
   page's right side, and moves focus into it. Its ✕, or Escape (once no menu or dialog is open), closes it
   and focus goes back to the "Preview" that opened it. An action taken from the panel comes back to the
   record with ?preview=<id>: the panel opens again there. */
(function () {
  "use strict";
  var opener = null; // the id of the subscription whose "Preview" opened the panel
  function host() { return document.getElementById("record-panel"); }
  function previewLink(id) {
    return id ? document.querySelector('[data-record-preview="' + CSS.escape(id) + '"]') : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-record-preview")) opener = elt.getAttribute("data-record-preview");
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "record-panel") return;
    var panel = target.querySelector(".panel");
    if (panel) panel.focus();
  });
  function close() {
    var el = host();
    if (!el || !el.firstElementChild) return;
    el.innerHTML = "";
    var url = new URL(window.location.href);
    if (url.searchParams.has("preview")) {
      url.searchParams.delete("preview");
      history.replaceState(history.state, "", url.toString());
    }
    var link = previewLink(opener);
    if (link) link.focus();
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#record-panel [data-close-panel]")) close();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || document.querySelector("dialog[open], details.menu[open]")) return;
    close(); // an open menu closes first (its own Escape), then the panel
  }, true);
  document.addEventListener("DOMContentLoaded", function () {
    var link = previewLink(new URLSearchParams(window.location.search).get("preview"));
    if (link) link.click();
  });
})();
(function () {
  "use strict";
  /* A picker's search request carries the radio checked when it left (hx-include), and its answer
     redraws the choices with that one checked. An answer to a search sent before the person picked
     (a typed search still in flight after Enter, say) would redraw them unpicked: drop it. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var config = event.detail.requestConfig;
    if (!target || !target.classList.contains("picker-results") || !config || !config.formData) return;
    var radio = target.querySelector("input[type=radio]");
    if (!radio) return;
    var checked = target.querySelector("input[type=radio]:checked");
    var now = checked ? checked.value : "";
    var sent = config.formData.get(radio.name) || "";
    if (now !== sent) event.detail.shouldSwap = false;
  });
})();
