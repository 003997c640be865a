/* Scan progress: the page starts from the stored state, then follows the scan's event stream (SSE). */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("scan-progress");
  if (!root) return;
  var el = window.TSQ.el;
  var FEED_MAX = 25;
  var NAVIGATE_DELAY_MS = 1500;
  var wasFinal = root.dataset.final === "true";
  var finished = wasFinal;
  var lastSeq = parseInt(root.dataset.lastSeq, 10) || 0;
  // Clock skew: elapsed time is measured on the server's clock.
  var skewMs = new Date(root.dataset.serverNow).getTime() - Date.now();
  var createdAt = new Date(root.dataset.createdAt).getTime();
  var finishedAt = root.dataset.finishedAt ? new Date(root.dataset.finishedAt).getTime() : null;
  var evidenceStartedAt = root.dataset.evidenceStartedAt ? new Date(root.dataset.evidenceStartedAt).getTime() : null;
  var state = { evidence: stepValue("evidence"), report: stepValue("report") };
  var items = parseInt(text("stat-items"), 10) || 0;
  var pages = parseInt(text("stat-pages"), 10) || 0;
  var source = null;

  function text(id) { var n = document.getElementById(id); return n ? n.textContent : ""; }
  function stepValue(step) { var bar = document.getElementById("step-" + step + "-bar"); return bar ? parseInt(bar.getAttribute("value"), 10) || 0 : 0; }
  function now() { return Date.now() + skewMs; }

  function setStep(step, progress, phase, status) {
    var bar = document.getElementById("step-" + step + "-bar");
    if (!bar) return;
    if (typeof progress === "number") {
      state[step] = Math.max(state[step], Math.min(100, progress));
      bar.value = state[step];
      bar.textContent = state[step] + "%";
      document.getElementById("step-" + step + "-pct").textContent = state[step] + "%";
    }
    if (phase) document.getElementById("step-" + step + "-phase").textContent = phase;
    if (status) {
      var badge = document.getElementById("step-" + step + "-status");
      badge.textContent = status;
      badge.className = "step-status badge badge-step-" + status;
      document.getElementById("step-" + step).dataset.status = status;
      if (status === "active" && step === "evidence" && !evidenceStartedAt) evidenceStartedAt = now();
    }
  }

  function setCounter(id, value) {
    var node = document.getElementById(id);
    if (node && value > parseInt(node.textContent, 10)) node.textContent = String(value);
  }

  function setStatus(status) {
    var holder = document.getElementById("scan-status");
    holder.textContent = "";
    holder.appendChild(el("span", { className: "badge badge-" + status, text: status.charAt(0).toUpperCase() + status.slice(1) }));
    root.dataset.status = status;
  }

  function addFeed(event) {
    var data = event.data || {};
    var list = document.getElementById("evidence-feed");
    list.insertBefore(el("li", { className: "feed-item feed-new", "data-seq": event.seq }, [
      el("span", { className: "type-pill cat-" + (data.category || ""), text: String(data.type || "evidence").replace(/_/g, " ") }),
      el("span", { className: "feed-title", text: event.message || "" }),
      el("span", { className: "feed-source", text: data.source || "" })
    ]), list.firstChild);
    while (list.children.length > FEED_MAX) list.removeChild(list.lastChild);
    document.getElementById("feed-empty").hidden = true;
  }

  function addWarning(event, isError) {
    var list = document.getElementById("warnings");
    var at = new Date(event.at || now());
    list.insertBefore(el("li", { className: isError ? "warning-item error-item" : "warning-item", "data-seq": event.seq }, [
      el("time", { datetime: at.toISOString(), text: at.toLocaleTimeString() }), " ",
      el("span", { text: event.message || "" })
    ]), list.firstChild);
    document.getElementById("warnings-empty").hidden = true;
  }

  function showReport(reportId) {
    var link = document.getElementById("report-link");
    link.href = root.dataset.reportUrlTemplate.replace("REPORT_ID", encodeURIComponent(reportId));
    link.hidden = false;
    return link.href;
  }

  function outcome(kind, message) {
    var box = document.getElementById("outcome");
    box.className = "outcome " + (kind === "completed" ? "outcome-ok" : "outcome-bad");
    box.textContent = message;
    box.hidden = false;
  }

  function finish(event) {
    var data = event.data || {};
    var status = data.status || "completed";
    finished = true;
    finishedAt = event.at ? new Date(event.at).getTime() : now();
    setStatus(status);
    var cancel = document.getElementById("cancel-scan");
    if (cancel) cancel.remove();
    document.getElementById("stat-remaining").textContent = "—";
    document.getElementById("connection").textContent = "Scan finished.";
    if (status === "completed" && data.reportId) {
      setStep("report", 100, "report ready", "completed");
      var href = showReport(data.reportId);
      outcome("completed", "Scan completed. Opening the report…");
      if (!wasFinal) window.setTimeout(function () { window.location.assign(href); }, NAVIGATE_DELAY_MS);
    } else if (status === "cancelled") {
      outcome("cancelled", "Scan cancelled. Evidence collected so far is kept.");
      ["evidence", "report"].forEach(function (step) {
        var node = document.getElementById("step-" + step);
        if (node && node.dataset.status !== "completed") setStep(step, null, "cancelled", "skipped");
      });
    } else {
      outcome("failed", "Scan failed" + (data.code ? " (" + data.code + ")" : "") + ": " + (data.message || event.message || "no detail recorded"));
      addWarning(event, true);
    }
  }

  function handle(kind, raw) {
    var event;
    try { event = JSON.parse(raw.data); } catch (e) { return; }
    var seq = parseInt(raw.lastEventId, 10);
    if (!isNaN(seq) && seq <= lastSeq && kind !== "done") return;
    if (!isNaN(seq)) lastSeq = Math.max(lastSeq, seq);
    var data = event.data || {};
    if (kind === "progress") {
      setStep(event.step || "evidence", event.progress, data.phase || event.message, "active");
      if (typeof data.itemsCollected === "number") { items = Math.max(items, data.itemsCollected); setCounter("stat-items", items); }
      if (typeof data.pagesFetched === "number") { pages = Math.max(pages, data.pagesFetched); setCounter("stat-pages", pages); }
      if (root.dataset.status === "pending") setStatus("processing");
    } else if (kind === "step") {
      setStep(event.step, event.progress, event.message, data.status);
      if (typeof data.itemsCollected === "number") setCounter("stat-items", data.itemsCollected);
      if (root.dataset.status === "pending") setStatus("processing");
    } else if (kind === "evidence") {
      items += 1;
      setCounter("stat-items", items);
      addFeed(event);
    } else if (kind === "warning") {
      addWarning(event, false);
    } else if (kind === "done") {
      if (source) source.close();
      finish(event);
    }
  }

  function connect() {
    if (finished || !window.EventSource) return;
    var url = root.dataset.eventsUrl + "?last_event_id=" + lastSeq;
    source = new EventSource(url, { withCredentials: true });
    ["progress", "step", "evidence", "warning", "done"].forEach(function (kind) {
      source.addEventListener(kind, function (raw) { handle(kind, raw); });
    });
    source.onopen = function () { document.getElementById("connection").textContent = "Live: updates arrive as they happen."; };
    source.onerror = function () {
      if (finished) return;
      document.getElementById("connection").textContent = "Reconnecting to live updates…";
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. a 4xx); start again from the last event seen.
        window.setTimeout(connect, 3000);
      }
    };
  }

  function tick() {
    var end = finished && finishedAt ? finishedAt : now();
    document.getElementById("stat-elapsed").textContent = window.TSQ.duration((end - createdAt) / 1000);
    if (finished) return;
    var remaining = document.getElementById("stat-remaining");
    var p = state.evidence;
    if (p >= 100) {
      remaining.textContent = state.report >= 100 ? "—" : "under a minute";
    } else if (p >= 5 && evidenceStartedAt) {
      var spent = (now() - evidenceStartedAt) / 1000;
      remaining.textContent = "about " + window.TSQ.duration(spent * (100 - p) / p);
    }
  }

  var cancel = document.getElementById("cancel-scan");
  if (cancel) {
    cancel.addEventListener("click", function () {
      cancel.disabled = true;
      cancel.textContent = "Cancelling…";
      window.TSQ.api("POST", root.dataset.cancelUrl).then(function (result) {
        if (result.status === 202) {
          document.getElementById("connection").textContent = "Cancel requested; the worker stops at its next checkpoint.";
          return;
        }
        var error = (result.body && result.body.error) || { code: "http_" + result.status, message: "cancel failed" };
        addWarning({ message: "Cancel failed: " + error.message + " (" + error.code + ")" }, true);
        if (error.code !== "scan_not_running") { cancel.disabled = false; cancel.textContent = "Cancel scan"; }
      });
    });
  }

  tick();
  window.setInterval(tick, 1000);
  connect();
});
