/* Shared helpers of the TechScan IQ UI: DOM building with text only (never HTML), API calls with CSRF. */
"use strict";
(function () {
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* Build an element; children are nodes or strings (always inserted as text). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = String(value);
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* fetch() with JSON in and out; resolves {status, body} and never throws for HTTP errors. */
  function api(method, url, body) {
    var headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
        return { status: response.status, body: parsed };
      });
    }, function () {
      return { status: 0, body: { success: false, error: { code: "network_error", message: "the server could not be reached" } } };
    });
  }

  function duration(seconds) {
    if (!isFinite(seconds) || seconds < 0) return "—";
    seconds = Math.round(seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) return h + " h " + m + " min";
    if (m) return m + " min " + (s < 10 ? "0" : "") + s + " s";
    return s + " s";
  }

  /* Show UTC timestamps in the reader's own time zone. */
  function localTimes(root) {
    (root || document).querySelectorAll("time[data-local-time]").forEach(function (node) {
      var when = new Date(node.getAttribute("datetime"));
      if (!isNaN(when)) {
        node.textContent = when.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
      }
    });
  }

  window.TSQ = { el: el, api: api, csrfToken: csrfToken, duration: duration };
  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
})();
