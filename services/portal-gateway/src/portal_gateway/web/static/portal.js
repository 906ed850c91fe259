// The portal's only script (hand-written, no libraries): dialogs, language auto-submit,
// and live updates over Server-Sent Events. Every page also works without it, except the
// dialogs, which need it to open.
"use strict";

(function () {
  var lastOpener = null;

  function openDialog(button) {
    var dialog = document.getElementById(button.getAttribute("data-open-dialog"));
    if (reloading || !dialog || typeof dialog.showModal !== "function") return;
    lastOpener = button;
    dialog.showModal();
    var first = dialog.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  }

  function closeDialog(dialog) {
    dialog.close();
  }

  function wireDialogs() {
    document.querySelectorAll("[data-open-dialog]").forEach(function (button) {
      button.addEventListener("click", function () { openDialog(button); });
    });
    document.querySelectorAll("[data-close-dialog]").forEach(function (button) {
      button.addEventListener("click", function () { closeDialog(button.closest("dialog")); });
    });
    document.querySelectorAll("dialog").forEach(function (dialog) {
      dialog.addEventListener("close", function () {
        if (lastOpener) lastOpener.focus();  // focus goes back where the user was
        if (pendingReload) window.location.reload();
      });
    });
    // Destructive actions: the submit button stays disabled until the device name is typed.
    document.querySelectorAll("form[data-confirm-name]").forEach(function (form) {
      var expected = form.getAttribute("data-confirm-name").trim().toLowerCase();
      var typed = form.querySelector("input[name=typed_name]");
      var submit = form.querySelector("button[type=submit]");
      if (!typed || !submit) return;
      var why = form.querySelector("[data-why-disabled]");
      var check = function () {
        submit.disabled = typed.value.trim().toLowerCase() !== expected;
        if (why) why.hidden = !submit.disabled;  // said while it is so, gone once it is not
      };
      typed.addEventListener("input", check);
      check();
    });
  }

  function wireLanguageSwitch() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
      var button = select.form.querySelector("button[type=submit]");
      if (button) button.hidden = true;
    });
  }

  var pendingReload = false;
  var reloading = false;

  function reloadSoon() {
    // Never pull the page away under an open dialog: reload once it closes.
    if (document.querySelector("dialog[open]")) { pendingReload = true; return; }
    reloading = true;  // a dialog opened now would vanish with this page
    window.location.reload();
  }

  // Times come as <time datetime> in UTC; they are shown in the viewer's own time zone, in
  // the page's language (the server cannot know the zone; the browser does).
  var timeFormat = null;
  try {
    timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
                                         { dateStyle: "medium", timeStyle: "short" });
  } catch (e) { timeFormat = null; }

  var relative = null;
  try {
    relative = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined,
                                           { numeric: "auto" });
  } catch (e) { relative = null; }

  // "5 minutes ago", "yesterday": how current a device's facts are, at a glance.
  function ago(at) {
    var seconds = (at.getTime() - Date.now()) / 1000;
    var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
                 ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(seconds) >= units[i][1]) {
        return relative.format(Math.round(seconds / units[i][1]), units[i][0]);
      }
    }
    return relative.format(0, "minute");
  }

  function localTime(iso) {
    var at = new Date(iso);
    return timeFormat && !isNaN(at.getTime()) ? timeFormat.format(at) : null;
  }

  function localizeTimes(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var text = localTime(el.getAttribute("datetime"));
      if (!text) return;
      if (relative && el.hasAttribute("data-ago")) {
        text += " (" + ago(new Date(el.getAttribute("datetime"))) + ")";
      }
      el.title = el.textContent;
      el.textContent = text;
    });
  }

  function mainText(doc) {
    var main = doc.querySelector("main");
    if (!main) return "";
    main = main.cloneNode(true);
    // What a script drew into the page (the location map) is not the server's content.
    main.querySelectorAll("[data-client-drawn]").forEach(function (el) { el.remove(); });
    return main.textContent.replace(/\s+/g, " ").trim();
  }

  // Changes between this page's rendering and the stream's start are not streamed: once the
  // stream is open, compare the page with a fresh copy and reload when they differ.
  function reloadIfStale() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (resp) { return resp.ok ? resp.text() : null; })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, "text/html");
        if (fresh) localizeTimes(fresh);  // compared as this page shows its times
        if (fresh && mainText(fresh) !== mainText(document)) { reloadSoon(); return; }
        document.body.setAttribute("data-live-ready", "");  // up to date and listening
      })
      .catch(function () { document.body.setAttribute("data-live-ready", ""); });
  }

  function parseLabels(table, name) {
    try { return JSON.parse(table.getAttribute(name) || "{}"); } catch (e) { return {}; }
  }

  function cell(row, field, text) {
    var td = row.querySelector("[data-field=" + field + "]");
    if (td) td.textContent = text;
  }

  function showCommand(data) {
    var table = document.getElementById("command-history");
    var scope = document.querySelector("[data-device-id]");
    if (!table || !scope || scope.getAttribute("data-device-id") !== data.device_id) return;
    var statuses = parseLabels(table, "data-status-labels");
    var actions = parseLabels(table, "data-action-labels");
    var row = document.getElementById("command-" + data.command_id);
    if (!row) {
      row = document.createElement("tr");
      row.id = "command-" + data.command_id;
      ["action", "status", "at", "reason", "cancel"].forEach(function (field) {
        var td = document.createElement("td");
        td.setAttribute("data-field", field);
        row.appendChild(td);
      });
      table.tBodies[0].insertBefore(row, table.tBodies[0].firstChild);
      var empty = document.getElementById("history-empty");
      if (empty) empty.remove();
    }
    cell(row, "action", actions[data.action] || data.action);
    cell(row, "status", statuses[data.status] || data.status);
    var at = row.querySelector("[data-field=at]");
    if (at && data.at) {
      var time = document.createElement("time");
      time.setAttribute("datetime", data.at);
      time.textContent = localTime(data.at) || data.at;
      at.replaceChildren(time);
    }
    cell(row, "reason", data.reason || "");
    // Sent or ended: too late to cancel, so the button goes.
    if (["requested", "authorized", "queued"].indexOf(data.status) < 0) {
      var cancel = row.querySelector("[data-field=cancel] form");
      if (cancel) cancel.remove();
    }
    // A new passcode may be ready to show: the page offers it after a reload.
    if (data.action === "reset_passcode" && data.status === "acknowledged") reloadSoon();
  }

  function wireLiveUpdates() {
    var url = document.body.getAttribute("data-live");
    if (!url || typeof EventSource !== "function") return;
    var source = new EventSource(url);
    source.addEventListener("open", reloadIfStale);
    source.addEventListener("command", function (e) { showCommand(JSON.parse(e.data)); });
    source.addEventListener("device", function (e) {
      var data = JSON.parse(e.data);
      var listPage = document.getElementById("my-devices");  // any device may join the list
      if (listPage || document.querySelector("[data-device-id='" + data.device_id + "']")) {
        reloadSoon();
      }
    });
    source.addEventListener("device_removed", reloadSoon);
    source.addEventListener("session_ended", function () {
      source.close();
      window.location.assign("/login");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localizeTimes(document);
    wireDialogs();
    wireLanguageSwitch();
    wireLiveUpdates();
  });
})();
