/* Report page: citations open their evidence in place; the evidence table filters by category and text. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var island = document.getElementById("evidence-data");
  if (!island) return;
  var evidence = {};
  try {
    JSON.parse(island.textContent).forEach(function (item) { evidence[item.id] = item; });
  } catch (e) { evidence = {}; }

  var popover = document.getElementById("evidence-popover");
  var opener = null;

  function evidenceBlock(item) {
    var el = window.TSQ.el;
    var source = /^https?:\/\//i.test(item.source_url || "")
      ? el("a", { href: item.source_url, rel: "noopener noreferrer nofollow", target: "_blank", text: item.source_url })
      : el("span", { text: item.source_url || "" });
    var rowLink = el("a", { href: "#ev-" + item.id, className: "popover-row", text: "Show in the evidence table" });
    rowLink.addEventListener("click", function (event) { event.preventDefault(); showRow(item.id); });
    return el("div", { className: "popover-item" }, [
      el("p", { className: "eyebrow", text: item.category.replace(/_/g, " ") + " · " + item.type.replace(/_/g, " ") }),
      el("h3", { className: "popover-title", text: item.title }),
      el("p", { className: "muted small", text: "Collected " + item.collected_at.slice(0, 19).replace("T", " ") + " UTC by " + item.collector + " · confidence " + Number(item.confidence).toFixed(2) }),
      item.summary ? el("p", { text: item.summary }) : null,
      el("p", { className: "small" }, ["Source: ", source]),
      el("details", {}, [el("summary", { text: "Recorded data" }), el("pre", { text: JSON.stringify(item.data || {}, null, 2) })]),
      el("p", { className: "small" }, [rowLink])
    ]);
  }

  function showRow(id) {
    var row = document.getElementById("ev-" + id);
    closePopover();
    if (!row) return;
    category.value = "";
    search.value = "";
    filter();
    row.classList.add("highlight");
    var details = row.querySelector("details");
    if (details) details.open = true;
    row.scrollIntoView({ block: "center" });
    window.setTimeout(function () { row.classList.remove("highlight"); }, 2500);
  }

  function openEvidence(link) {
    var ids = (link.dataset.evidenceIds || "").split(" ").filter(function (id) { return evidence[id]; });
    if (!ids.length) return false;
    opener = link;
    var number = link.dataset.number;
    document.getElementById("popover-ref").textContent = (number ? "Citation [" + number + "]" : "Evidence") + " · " + ids.length + (ids.length === 1 ? " item" : " items");
    var holder = document.getElementById("popover-items");
    while (holder.firstChild) holder.removeChild(holder.firstChild);
    ids.forEach(function (id) { holder.appendChild(evidenceBlock(evidence[id])); });
    // Place the panel under the citation (inside the viewport), or as a bottom sheet on small screens.
    popover.hidden = false;
    var rect = link.getBoundingClientRect();
    var width = popover.offsetWidth;
    if (window.innerWidth > 720) {
      var left = Math.min(Math.max(8, rect.left + window.scrollX - 40), window.scrollX + window.innerWidth - width - 16);
      popover.style.left = left + "px";
      popover.style.top = (rect.bottom + window.scrollY + 8) + "px";
    } else {
      popover.style.left = "";
      popover.style.top = "";
    }
    popover.focus();
    return true;
  }

  function closePopover() {
    if (popover.hidden) return;
    popover.hidden = true;
    if (opener) opener.focus();
    opener = null;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.cite");
    if (link) {
      if (openEvidence(link)) event.preventDefault();
      return;
    }
    if (!popover.hidden && !popover.contains(event.target)) closePopover();
  });
  document.getElementById("popover-close").addEventListener("click", closePopover);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") closePopover(); });

  var category = document.getElementById("evidence-category");
  var search = document.getElementById("evidence-search");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#evidence-table tbody tr.evidence-row"));
  var count = document.getElementById("evidence-count");
  var none = document.getElementById("evidence-none");

  function filter() {
    var wanted = category.value;
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var hay = row.dataset.search;
      var match = (!wanted || row.dataset.category === wanted) && words.every(function (w) { return hay.indexOf(w) !== -1; });
      row.hidden = !match;
      if (match) shown += 1;
    });
    count.textContent = shown === rows.length ? rows.length + " items" : "Showing " + shown + " of " + rows.length + " items";
    none.hidden = shown !== 0;
  }
  category.addEventListener("change", filter);
  search.addEventListener("input", filter);
});
