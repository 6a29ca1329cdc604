/* Progressive enhancement only: every page works without this script. */
(function () {
  "use strict";

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-buffer";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  function selectContents(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var status = button.parentNode.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(source.textContent.trim()).then(function () {
        if (status) { status.textContent = "Citation copiée dans le presse-papiers."; }
      }, function () {
        selectContents(source);
        if (status) { status.textContent = "Copie automatique impossible : le texte est sélectionné, copiez-le avec Ctrl+C."; }
      });
    });
  });

  // Reader opened with ?passage= but no fragment: bring the highlighted passage's first line
  // into view (centring a long passage would put its start above a phone's viewport).
  var target = document.querySelector(".passage.is-highlighted");
  if (target && !window.location.hash) { target.scrollIntoView({ block: "start" }); }

  // The debate sheet lives in its URL (/fiche?p=…); this script only remembers the last sheet
  // in localStorage (never a cookie), so that passages picked in several searches add up.
  var KEY = "fiche";
  function stored() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "[]").filter(function (x) { return typeof x === "string"; }); }
    catch (e) { return []; }
  }
  function store(ids) { try { window.localStorage.setItem(KEY, JSON.stringify(ids.slice(0, 100))); } catch (e) { /* private mode */ } }
  function merged(a, b) { var out = []; a.concat(b).forEach(function (x) { if (x && out.indexOf(x) < 0) { out.push(x); } }); return out; }
  function sheetUrl(ids) { return "/fiche?" + ids.map(function (x) { return "p=" + encodeURIComponent(x); }).join("&"); }
  function showCount(ids) {
    var link = document.getElementById("lien-fiche");
    if (!link) { return; }
    link.setAttribute("href", sheetUrl(ids));
    var count = link.querySelector(".sheet-count");
    if (count) { count.textContent = ids.length ? " (" + ids.length + ")" : ""; }
  }

  var sheet = document.querySelector(".sheet");
  if (sheet) {  // the sheet page: its URL is the sheet
    var here = new URLSearchParams(window.location.search).getAll("p");
    store(here);
    showCount(here);
    var printButton = document.querySelector("button[data-print]");
    if (printButton) { printButton.hidden = false; printButton.addEventListener("click", function () { window.print(); }); }
  } else {
    showCount(merged(stored(), new URLSearchParams(window.location.search).getAll("p")));
  }

  var form = document.getElementById("ajout-fiche");
  if (form) {  // results: what is ticked joins the remembered sheet
    form.addEventListener("submit", function (event) {
      var picked = [];
      document.querySelectorAll('input[type="checkbox"][name="p"][form="ajout-fiche"]:checked:not(:disabled)').forEach(function (box) { picked.push(box.value); });
      var carried = [];
      form.querySelectorAll('input[type="hidden"][name="p"]').forEach(function (input) { carried.push(input.value); });
      event.preventDefault();
      window.location.assign(sheetUrl(merged(merged(stored(), carried), picked)));
    });
  }

  document.querySelectorAll("a[data-sheet-add]").forEach(function (link) {  // a passage page's « Ajouter à la fiche »
    link.addEventListener("click", function (event) {
      event.preventDefault();
      window.location.assign(sheetUrl(merged(stored(), [link.getAttribute("data-sheet-add")])));
    });
  });
})();
