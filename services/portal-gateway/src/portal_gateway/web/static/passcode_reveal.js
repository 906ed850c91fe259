// Shows a new passcode once (hand-written, no libraries). The dialog's form asks the API,
// which hands the passcode out a single time; it is shown in the open dialog and removed
// from the page when the dialog closes. It is never logged or stored by this script.
"use strict";

(function () {
  function parseErrors(form) {
    try { return JSON.parse(form.getAttribute("data-errors") || "{}"); } catch (e) { return {}; }
  }

  function showError(form, text) {
    var error = form.querySelector("[data-passcode-error]");
    error.textContent = text;
    error.hidden = false;
  }

  function show(form, passcode) {
    var shown = form.querySelector("[data-passcode-output]");
    shown.querySelector("output").textContent = passcode;
    shown.hidden = false;
    form.querySelector("[data-passcode-reveal]").hidden = true;
  }

  function reveal(form) {
    var button = form.querySelector("[data-passcode-reveal]");
    var errors = parseErrors(form);
    button.disabled = true;
    fetch(form.getAttribute("action"), {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {
        "X-CSRF-Token": form.querySelector("input[name=csrf_token]").value,
        "Accept": "application/json"
      }
    }).then(function (resp) {
      return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        show(form, answer.body.passcode);
        form.setAttribute("data-spent", "");
        return;
      }
      var code = answer.body.code || "";
      if (code.indexOf("secret.") === 0 && code !== "secret.cannot_open") {
        form.setAttribute("data-spent", "");  // gone for good: the page stops offering it
      } else {
        button.disabled = false;
      }
      showError(form, errors[code] || answer.body.detail || errors.failed);
    }).catch(function () {
      button.disabled = false;
      showError(form, errors.failed);
    });
  }

  function forget(dialog) {
    var form = dialog.querySelector("form[data-reveal-passcode]");
    var output = form.querySelector("output");
    output.textContent = "";
    if (!form.hasAttribute("data-spent")) return;
    var item = dialog.closest("[data-passcode-item]");
    var note = document.createElement("p");
    note.textContent = form.getAttribute("data-shown-note");
    note.tabIndex = -1;
    item.replaceWith(note);
    note.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-reveal-passcode]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        reveal(form);
      });
      var dialog = form.closest("dialog");
      dialog.addEventListener("close", function () { forget(dialog); });
    });
  });
})();
