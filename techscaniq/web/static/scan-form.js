/* Request-a-scan form: thesis picker, custom criteria with a live weight check, API field errors by the fields. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("scan-form");
  if (!form) return;
  var el = window.TSQ.el;
  var TOTAL = parseInt(form.dataset.totalWeight, 10) || 100;
  var MAX_CRITERIA = parseInt(form.dataset.maxCriteria, 10) || 10;
  var DEFAULT_CRITERIA = [
    ["Technical Excellence", "technology-modernity", 40],
    ["Scalability Potential", "infrastructure-scalability", 30],
    ["Market Opportunity", "market-expansion-readiness", 30]
  ];
  var custom = document.getElementById("custom-thesis");
  var rows = document.getElementById("criteria-rows");
  var template = document.getElementById("criterion-row");
  var sumLine = document.getElementById("weight-sum");
  var addButton = document.getElementById("add-criterion");
  var summary = document.getElementById("error-summary");
  var summaryList = document.getElementById("error-summary-list");
  var submit = document.getElementById("submit-scan");
  var status = document.getElementById("submit-status");
  var rowCounter = 0;

  function selectedThesis() {
    var checked = form.querySelector('input[name="primary_criteria"]:checked');
    return checked ? checked.value : "";
  }

  function addRow(name, basis, weight) {
    if (rows.children.length >= MAX_CRITERIA) return;
    rowCounter += 1;
    var fragment = template.content.cloneNode(true);
    var row = fragment.querySelector("tr");
    ["name", "basis", "weight"].forEach(function (key) {
      var input = row.querySelector('[data-key="' + key + '"]');
      var label = row.querySelector('[data-for="' + key + '"]');
      var error = row.querySelector('[data-error="' + key + '"]');
      input.id = "crit-" + rowCounter + "-" + key;
      label.setAttribute("for", input.id);
      error.id = input.id + "-error";
      input.setAttribute("aria-describedby", error.id);
    });
    row.querySelector('[data-key="name"]').value = name || "";
    if (basis) row.querySelector('[data-key="basis"]').value = basis;
    row.querySelector('[data-key="weight"]').value = weight === undefined ? "" : weight;
    rows.appendChild(fragment);
    updateSum();
  }

  function criteriaRows() { return Array.prototype.slice.call(rows.querySelectorAll("tr.criterion-row")); }

  function weightOf(row) {
    var raw = row.querySelector('[data-key="weight"]').value.trim();
    return /^\d+$/.test(raw) ? parseInt(raw, 10) : NaN;
  }

  function updateSum() {
    var total = 0, complete = true;
    criteriaRows().forEach(function (row) {
      var w = weightOf(row);
      if (isNaN(w)) complete = false; else total += w;
    });
    var ok = complete && total === TOTAL;
    sumLine.textContent = "Total weight " + total + " / " + TOTAL + (ok ? " ✓" : total < TOTAL ? " — " + (TOTAL - total) + " to allocate" : " — " + (total - TOTAL) + " too many");
    sumLine.className = "weight-sum " + (ok ? "sum-ok" : "sum-bad");
    addButton.disabled = rows.children.length >= MAX_CRITERIA;
    return ok;
  }

  function toggleCustom() {
    var isCustom = selectedThesis() === "custom";
    custom.hidden = !isCustom;
    if (isCustom && !rows.children.length) {
      DEFAULT_CRITERIA.forEach(function (c) { addRow(c[0], c[1], c[2]); });
    }
    form.querySelectorAll(".thesis-card").forEach(function (card) {
      card.classList.toggle("selected", card.querySelector("input").checked);
    });
  }

  function kebab(text, used) {
    var base = text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "criterion";
    var id = base, n = 2;
    while (used[id]) { id = base + "-" + n; n += 1; }
    used[id] = true;
    return id;
  }

  function value(id) { var node = document.getElementById(id); return node ? node.value.trim() : ""; }

  function buildBody() {
    var body = {
      company_name: value("company_name"),
      website_url: value("website_url"),
      company_description: value("company_description") || null,
      requestor_name: value("requestor_name") || null,
      organization_name: value("organization_name") || null
    };
    var tags = Array.prototype.map.call(form.querySelectorAll('input[name="thesis_tags"]:checked'), function (i) { return i.value; });
    if (tags.length) body.thesis_tags = tags;
    var thesis = selectedThesis();
    if (thesis === "custom") {
      var used = {};
      var threshold = value("custom_threshold");
      body.primary_criteria = "custom";
      body.investment_thesis_data = {
        thesisType: "custom",
        customThesisName: value("custom_name"),
        customThesisDescription: value("custom_description"),
        threshold: /^\d+$/.test(threshold) ? parseInt(threshold, 10) : threshold === "" ? null : threshold,
        focusAreas: tags,
        criteria: criteriaRows().map(function (row) {
          var name = row.querySelector('[data-key="name"]').value.trim();
          var w = weightOf(row);
          return { id: kebab(name, used), name: name, weight: isNaN(w) ? null : w, description: "", basis: row.querySelector('[data-key="basis"]').value };
        })
      };
    } else {
      body.primary_criteria = thesis;
    }
    return body;
  }

  /* Where an error path from the API (or the client checks) is shown. */
  function errorTarget(path) {
    var direct = { "investment_thesis_data.customThesisName": "custom_name", "investment_thesis_data.threshold": "custom_threshold", "investment_thesis_data.criteria": "criteria", "investment_thesis_data.focusAreas": "thesis_tags" };
    var match = /^investment_thesis_data\.criteria\[(\d+)\]\.?(\w*)$/.exec(path);
    if (match) {
      var row = criteriaRows()[parseInt(match[1], 10)];
      var key = { weight: "weight", basis: "basis" }[match[2]] || "name";
      if (row) return row.querySelector('[data-key="' + key + '"]').id;
      return "criteria";
    }
    var base = direct[path] || path.replace(/\[\d+\]$/, "");
    if (/^investment_thesis_data\.focusAreas/.test(path)) base = "thesis_tags";
    return document.getElementById(base + "-error") ? base : null;
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (node) { node.hidden = true; node.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
    summary.hidden = true;
    while (summaryList.firstChild) summaryList.removeChild(summaryList.firstChild);
  }

  function showErrors(fields, fallback) {
    var paths = Object.keys(fields);
    paths.forEach(function (path) {
      var target = errorTarget(path);
      var message = fields[path];
      if (target) {
        var slot = document.getElementById(target + "-error");
        slot.textContent = slot.textContent ? slot.textContent + " " + message : message;
        slot.hidden = false;
        var input = document.getElementById(target);
        if (input) {
          input.setAttribute("aria-invalid", "true");
          var holder = input.closest(".field, td");
          if (holder) holder.classList.add("has-error");
        }
      }
      var link = el("a", { href: "#" + (target && document.getElementById(target) ? target : target ? target + "-error" : "scan-form"), text: message });
      summaryList.appendChild(el("li", {}, [link]));
    });
    if (!paths.length && fallback) summaryList.appendChild(el("li", { text: fallback }));
    summary.hidden = false;
    summary.focus();
  }

  function clientErrors(body) {
    var errors = {};
    if (!body.company_name) errors.company_name = "Enter the company's name.";
    if (!body.website_url) errors.website_url = "Enter the company's website address.";
    else if (/\s/.test(body.website_url) || !/[.:]/.test(body.website_url)) errors.website_url = "Enter a web address such as https://www.example.com.";
    var data = body.investment_thesis_data;
    if (data) {
      if (!data.customThesisName) errors["investment_thesis_data.customThesisName"] = "Name the custom thesis.";
      if (data.threshold !== null && (typeof data.threshold !== "number" || data.threshold > 100)) errors["investment_thesis_data.threshold"] = "Enter a whole number from 0 to 100.";
      data.criteria.forEach(function (c, i) {
        if (!c.name) errors["investment_thesis_data.criteria[" + i + "].name"] = "Name this criterion.";
        if (c.weight === null || c.weight < 1 || c.weight > 100) errors["investment_thesis_data.criteria[" + i + "].weight"] = "1–100";
      });
      if (!data.criteria.length) errors["investment_thesis_data.criteria"] = "Add at least one criterion.";
      else if (!updateSum()) errors["investment_thesis_data.criteria"] = "The weights must add up to exactly " + TOTAL + ".";
    }
    return errors;
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "primary_criteria") toggleCustom();
  });
  rows.addEventListener("input", updateSum);
  rows.addEventListener("click", function (event) {
    var button = event.target.closest('[data-action="remove"]');
    if (!button) return;
    button.closest("tr").remove();
    updateSum();
    addButton.focus();
  });
  addButton.addEventListener("click", function () {
    addRow("", "technology-modernity", undefined);
    var last = criteriaRows().pop();
    if (last) last.querySelector('[data-key="name"]').focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var body = buildBody();
    var errors = clientErrors(body);
    if (Object.keys(errors).length) { showErrors(errors); return; }
    submit.disabled = true;
    status.textContent = "Submitting…";
    window.TSQ.api("POST", "/api/scans", body).then(function (result) {
      if (result.status === 201 && result.body && result.body.scanRequestId) {
        status.textContent = "Scan queued. Opening its progress page…";
        window.location.assign("/scans/" + encodeURIComponent(result.body.scanRequestId) + "/progress");
        return;
      }
      submit.disabled = false;
      status.textContent = "";
      var error = (result.body && result.body.error) || { code: "http_" + result.status, message: "the server answered " + result.status };
      if (result.status === 401) { window.location.assign("/signin?next=/scans/new"); return; }
      showErrors(error.fields || {}, error.message + " (" + error.code + ")");
    });
  });

  toggleCustom();
  updateSum();
});
