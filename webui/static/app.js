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

  // Reader opened with ?passage= but no fragment: bring the highlighted passage into view.
  var target = document.querySelector(".passage.is-highlighted");
  if (target && !window.location.hash) { target.scrollIntoView({ block: "center" }); }
})();
