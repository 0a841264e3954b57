// The 公示 table: rows come from the JSON next to each table and are drawn a page at a
// time, so a case of 100k items stays usable. Text is only ever set with textContent.
(function () {
  "use strict";
  function setup(section) {
    var data = JSON.parse(section.querySelector("script.table-data").textContent);
    // the page's words in the report's language (the catalog's messages, `{name}` placeholders)
    function say(key, values) {
      return data.words[key].replace(/\{(\w+)\}/g, function (all, name) { return String(values[name]); });
    }
    var columns = data.columns, rows = data.rows, traces = data.traces;
    var table = section.querySelector("table.publication-table");
    var tbody = table.querySelector("tbody");
    var search = section.querySelector("input.search");
    var levelFilters = Array.prototype.slice.call(section.querySelectorAll("select.level-filter"));
    var groupColumn = section.querySelector("select.group-column");
    var groupValue = section.querySelector("select.group-value");
    var pageSizeSelect = section.querySelector("select.page-size");
    var info = section.querySelector(".page-info");
    var state = { sort: -1, dir: 1, page: 0, size: data.pageSize, open: {} };
    var shown = [];
    var lower = rows.map(function (r) { return r.join("\u0001").toLowerCase(); });
    var levelIndex = columns.map(function (c) {
      var m = Object.create(null);  // a level named "constructor" is still only a level
      (c.levels || []).forEach(function (lv, k) { m[lv] = k; });
      return m;
    });
    function columnIndex(name) {
      for (var k = 0; k < columns.length; k++) { if (columns[k].name === name) { return k; } }
      return -1;
    }
    function compare(a, b) {
      var k = state.sort, c = columns[k], x = rows[a][k], y = rows[b][k], d;
      if (c.kind === "number") {
        d = (x === "" ? -Infinity : Number(x)) - (y === "" ? -Infinity : Number(y));
      } else if (c.kind === "level") {
        d = (x in levelIndex[k] ? levelIndex[k][x] : 1e9) - (y in levelIndex[k] ? levelIndex[k][y] : 1e9);
      } else {
        d = x < y ? -1 : x > y ? 1 : 0;
      }
      return d !== 0 ? d * state.dir : a - b;
    }
    function refilter() {
      var text = search.value.trim().toLowerCase();
      var levels = levelFilters.map(function (s) { return [Number(s.dataset.column), s.value]; })
        .filter(function (p) { return p[1] !== ""; });
      var gk = groupColumn.value === "" ? -1 : columnIndex(groupColumn.value);
      var gv = groupValue.value;
      shown = [];
      for (var i = 0; i < rows.length; i++) {
        var r = rows[i], ok = true;
        for (var j = 0; j < levels.length; j++) { if (r[levels[j][0]] !== levels[j][1]) { ok = false; break; } }
        if (ok && gk >= 0 && gv !== "" && r[gk] !== gv) { ok = false; }
        if (ok && text !== "" && lower[i].indexOf(text) < 0) { ok = false; }
        if (ok) { shown.push(i); }
      }
      if (state.sort >= 0) { shown.sort(compare); }
      state.page = 0;
      draw();
    }
    function cellFor(c, k, value) {
      var td = document.createElement("td");
      td.textContent = value;
      if (c.kind === "number") { td.className = "number"; }
      // an id is looked up as a whole: never broken across lines on screen or on paper
      if (c.name === "id") { td.className = "id"; }
      if (c.kind === "level" && value in levelIndex[k]) {
        td.className = "level";
        var colour = c.colours[levelIndex[k][value]];
        td.style.borderLeft = "6px solid " + colour;
        // a light wash of the level's colour (#rrggbb plus an alpha byte)
        if (colour.length === 7) { td.style.backgroundColor = colour + "2e"; }
        td.dataset.level = value;
      }
      return td;
    }
    function traceRow(i) {
      var tr = document.createElement("tr");
      tr.className = "trace";
      var td = document.createElement("td");
      td.colSpan = columns.length;
      var pre = document.createElement("pre");
      pre.textContent = traces[i];
      td.appendChild(pre);
      tr.appendChild(td);
      return tr;
    }
    function draw(all) {
      var size = all ? 0 : state.size;
      var pages = size > 0 ? Math.max(1, Math.ceil(shown.length / size)) : 1;
      if (state.page >= pages) { state.page = pages - 1; }
      var start = size > 0 ? state.page * size : 0;
      var end = size > 0 ? Math.min(shown.length, start + size) : shown.length;
      var fragment = document.createDocumentFragment();
      for (var n = start; n < end; n++) {
        var i = shown[n];
        var tr = document.createElement("tr");
        tr.className = "item";
        tr.dataset.index = String(i);
        for (var k = 0; k < columns.length; k++) { tr.appendChild(cellFor(columns[k], k, rows[i][k])); }
        fragment.appendChild(tr);
        if (traces && state.open[i]) { fragment.appendChild(traceRow(i)); }
      }
      tbody.textContent = "";
      tbody.appendChild(fragment);
      info.textContent = shown.length === 0 ? say("none", {total: rows.length})
        : say("page", {first: start + 1, last: end, shown: shown.length, total: rows.length});
      section.querySelector("button.prev").disabled = state.page === 0;
      section.querySelector("button.next").disabled = state.page >= pages - 1;
    }
    table.querySelectorAll("th.sortable").forEach(function (th) {
      th.addEventListener("click", function () {
        var k = Number(th.dataset.column);
        state.dir = state.sort === k ? -state.dir : 1;
        state.sort = k;
        table.querySelectorAll("th.sortable").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
        refilter();
      });
    });
    tbody.addEventListener("click", function (event) {
      var tr = event.target.closest("tr.item");
      if (!tr || !traces) { return; }
      var i = Number(tr.dataset.index);
      if (state.open[i]) {
        delete state.open[i];
        if (tr.nextSibling && tr.nextSibling.className === "trace") { tbody.removeChild(tr.nextSibling); }
      } else {
        state.open[i] = true;
        tbody.insertBefore(traceRow(i), tr.nextSibling);
      }
    });
    groupColumn.addEventListener("change", function () {
      var k = columnIndex(groupColumn.value), values = [];
      groupValue.textContent = "";
      var any = document.createElement("option");
      any.value = "";
      any.textContent = say("all", {});
      groupValue.appendChild(any);
      if (k >= 0) {
        var seen = Object.create(null);
        rows.forEach(function (r) { if (!(r[k] in seen)) { seen[r[k]] = true; values.push(r[k]); } });
        values.sort().forEach(function (v) {
          var o = document.createElement("option");
          o.value = v;
          o.textContent = v === "" ? say("empty", {}) : v;
          groupValue.appendChild(o);
        });
      }
      groupValue.disabled = k < 0;
      refilter();
    });
    groupValue.addEventListener("change", refilter);
    levelFilters.forEach(function (s) { s.addEventListener("change", refilter); });
    search.addEventListener("input", refilter);
    pageSizeSelect.addEventListener("change", function () { state.size = Number(pageSizeSelect.value); state.page = 0; draw(); });
    section.querySelector("button.prev").addEventListener("click", function () { state.page -= 1; draw(); });
    section.querySelector("button.next").addEventListener("click", function () { state.page += 1; draw(); });
    // Printing shows every row that passes the filters, not only the page on screen, up to
    // PRINT_ALL rows (a browser asked to lay out 100k rows at once stalls); beyond, the page
    // on screen is printed and the printed note says so.
    var PRINT_ALL = 5000;
    var printNote = section.querySelector(".print-note");
    window.addEventListener("beforeprint", function () {
      if (shown.length <= PRINT_ALL) { draw(true); printNote.textContent = ""; }
      else { printNote.textContent = say("print", {page: info.textContent, limit: PRINT_ALL}); }
    });
    window.addEventListener("afterprint", function () { draw(); });
    refilter();
  }
  document.querySelectorAll("section.publication").forEach(setup);
})();
