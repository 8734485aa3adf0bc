(function () {
  "use strict";
  // Model output is untrusted: every value goes into the page through textContent, never innerHTML.
  var data = JSON.parse(document.getElementById("assay-data").textContent);
  var samples = data.samples, runs = data.runs;
  var el = function (id) { return document.getElementById(id); };
  var search = el("sample-search"), taskSel = el("sample-task"), runSel = el("sample-run"),
      wrongOnly = el("sample-wrong"), sizeSel = el("page-size"), body = el("sample-rows"),
      status = el("page-status"), prev = el("page-prev"), next = el("page-next");
  if (!body) { return; }
  var page = 0, filtered = samples, hay = new Array(samples.length);

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value; o.textContent = label; select.appendChild(o);
  }
  var tasks = [];
  samples.forEach(function (s) { if (tasks.indexOf(s.t) < 0) { tasks.push(s.t); } });
  tasks.forEach(function (t) { option(taskSel, t, t); });
  runs.forEach(function (r, i) { option(runSel, String(i), r.model + " · " + r.run_id); });
  if (runs.length < 2) { runSel.hidden = true; }

  function haystack(i) {
    if (hay[i] === undefined) {
      var s = samples[i];
      hay[i] = [s.i, s.t, s.p, s.o, s.x, s.y, s.e || "", runs[s.r].model].join("\n").toLowerCase();
    }
    return hay[i];
  }
  function scoreText(s) {
    return Object.keys(s.s).map(function (k) { return k + "=" + (s.s[k] === null ? "—" : s.s[k]); }).join(" ");
  }
  function cell(tr, text, cls, full) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    td.title = full === undefined ? text : full;
    tr.appendChild(td);
    return td;
  }
  function cut(text, n) { return text.length > n ? text.slice(0, n) + "…" : text; }
  function label(parent, text) {
    var b = document.createElement("strong"); b.textContent = text; parent.appendChild(b);
  }
  function block(parent, title, text) {
    label(parent, title);
    var pre = document.createElement("pre"); pre.textContent = text; parent.appendChild(pre);
  }
  function detail(s, tr) {
    var d = document.createElement("tr"); d.className = "detail";
    var td = document.createElement("td"); td.colSpan = 7;
    var meta = Object.keys(s.m).map(function (k) { return k + ": " + JSON.stringify(s.m[k]); }).join("\n");
    block(td, "prompt", s.p);
    block(td, "response", s.o);
    block(td, "extracted answer · target", s.x + "   ·   target: " + s.y);
    block(td, "scores", scoreText(s) + (s.e ? "\nerror: " + s.e : ""));
    block(td, "metadata (format: " + s.f + ")", meta);
    d.appendChild(td);
    tr.parentNode.insertBefore(d, tr.nextSibling);
    return d;
  }
  function render() {
    var size = parseInt(sizeSel.value, 10);
    var pages = Math.max(1, Math.ceil(filtered.length / size));
    if (page >= pages) { page = pages - 1; }
    body.textContent = "";
    filtered.slice(page * size, page * size + size).forEach(function (i) {
      var s = samples[i], tr = document.createElement("tr"), open = null;
      tr.className = "item";
      tr.dataset.index = String(i);
      cell(tr, runs[s.r].model, "");
      cell(tr, s.t, "");
      cell(tr, s.i, "");
      cell(tr, cut(s.p, 200), "", s.p);
      cell(tr, cut(s.o, 200), "", s.o);
      cell(tr, s.x + " | " + s.y, "");
      var sc = cell(tr, s.e ? "error" : (s.ok === null ? "—" : String(s.ok)), s.e ? "err" : (s.ok >= 1 ? "ok" : "bad"),
                    scoreText(s));
      sc.classList.add("num");
      tr.addEventListener("click", function () {
        if (open) { open.remove(); open = null; } else { open = detail(s, tr); }
      });
      body.appendChild(tr);
    });
    var first = filtered.length ? page * size + 1 : 0;
    status.textContent = first + "–" + Math.min(filtered.length, (page + 1) * size) + " of " + filtered.length +
      (filtered.length !== samples.length ? " (filtered from " + samples.length + ")" : "") +
      " · page " + (page + 1) + " of " + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  function apply() {
    var q = search.value.trim().toLowerCase(), task = taskSel.value, run = runSel.value, wrong = wrongOnly.checked;
    filtered = [];
    for (var i = 0; i < samples.length; i++) {
      var s = samples[i];
      if (task && s.t !== task) { continue; }
      if (run && String(s.r) !== run) { continue; }
      if (wrong && !(s.e || (s.ok !== null && s.ok < 1))) { continue; }
      if (q && haystack(i).indexOf(q) < 0) { continue; }
      filtered.push(i);
    }
    page = 0;
    render();
  }
  var timer = null;
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  [taskSel, runSel, wrongOnly].forEach(function (c) { c.addEventListener("change", apply); });
  sizeSel.addEventListener("change", render);
  prev.addEventListener("click", function () { if (page > 0) { page--; render(); } });
  next.addEventListener("click", function () { page++; render(); });
  apply();
  document.body.dataset.ready = "1";
})();
