// The findings table of a policy-checker report: filter, search, sort, paginate and
// open each finding's evidence timeline. Data comes from the inert JSON block
// #report-data (plain, or gzip+base64 for large reports, decoded with the browser's
// own DecompressionStream: no network request is ever made). Every value from a log
// is written with textContent, never parsed as HTML.
(function () {
  "use strict";

  var SEVERITIES = ["critical", "high", "medium", "low", "info"];
  var F_RULE = 0, F_PLATFORM = 1, F_SELLER = 2, F_EVENT = 3, F_TIME = 4, F_SUBJECT = 5,
      F_MESSAGE = 6, F_FINGERPRINT = 7, F_EVIDENCE = 8, F_STATUS = 9, F_WAIVER = 10;
  var FILTER_INPUTS = { rule: "filter-rule", severity: "filter-severity", platform: "filter-platform",
                        seller: "filter-seller", q: "filter-search", status: "filter-status" };

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  function readData() {
    var node = $("report-data");
    var text = node.textContent;
    if (node.getAttribute("data-encoding") !== "gzip+base64") {
      return Promise.resolve(JSON.parse(text));
    }
    var binary = atob(text.replace(/\s+/g, ""));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function Table(data) {
    this.d = data;
    this.L = data.labels;
    this.rows = data.f;
    this.times = this.rows.map(function (f) { return Date.parse(f[F_TIME]); });
    this.sevRank = data.rules.map(function (r) { return SEVERITIES.indexOf(r[2]); });
    this.hay = null;
    this.filter = { rule: "", severity: "", platform: "", seller: "", q: "", status: "" };
    this.sort = { key: "", dir: 1 };
    this.page = 0;
    this.size = 50;
    this.open = {};
    this.matching = [];
  }

  Table.prototype.haystack = function (i) {
    if (!this.hay) { this.hay = new Array(this.rows.length); }
    if (this.hay[i] === undefined) {
      var f = this.rows[i], r = this.d.rules[f[F_RULE]];
      this.hay[i] = [r[0], r[3], this.d.platforms[f[F_PLATFORM]], this.d.sellers[f[F_SELLER]], f[F_EVENT],
        f[F_TIME], f[F_SUBJECT] || "", f[F_MESSAGE], f[F_FINGERPRINT]].join("\u0000").toLowerCase();
    }
    return this.hay[i];
  };

  Table.prototype.compute = function () {
    var d = this.d, flt = this.filter, q = flt.q.trim().toLowerCase(), out = [];
    for (var i = 0; i < this.rows.length; i++) {
      var f = this.rows[i], rule = d.rules[f[F_RULE]];
      if (flt.rule && rule[0] !== flt.rule) { continue; }
      if (flt.severity && rule[2] !== flt.severity) { continue; }
      if (flt.platform && d.platforms[f[F_PLATFORM]] !== flt.platform) { continue; }
      if (flt.seller && d.sellers[f[F_SELLER]] !== flt.seller) { continue; }
      if (flt.status && d.statuses[f[F_STATUS]] !== flt.status) { continue; }
      if (q && this.haystack(i).indexOf(q) < 0) { continue; }
      out.push(i);
    }
    var key = this.sort.key, dir = this.sort.dir, self = this;
    if (key) {
      var value = {
        severity: function (i) { return self.sevRank[self.rows[i][F_RULE]]; },
        time: function (i) { return self.times[i]; },
        rule: function (i) { return d.rules[self.rows[i][F_RULE]][0]; },
        seller: function (i) { return d.sellers[self.rows[i][F_SELLER]]; },
        platform: function (i) { return d.platforms[self.rows[i][F_PLATFORM]]; },
        event: function (i) { return self.rows[i][F_EVENT]; }
      }[key];
      out.sort(function (a, b) {
        var va = value(a), vb = value(b);
        if (va < vb) { return -dir; }
        if (va > vb) { return dir; }
        return a - b;
      });
    }
    this.matching = out;
  };

  Table.prototype.renderTimeline = function (f) {
    var L = this.L, ol = el("ol", "timeline");
    f[F_EVIDENCE].forEach(function (ref) {
      // each evidence event is [its time in the report's timezone, the record as read]
      var when = (this.d.ev[ref] || [])[0], ev = (this.d.ev[ref] || [])[1] || {};
      var li = el("li", ev.event_id === f[F_EVENT] ? "is-trigger" : "");
      var head = el("div");
      head.appendChild(el("code", "", when || ev.timestamp));
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("strong", "", ev.action));
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("code", "", ev.event_id));
      if (ev.event_id === f[F_EVENT]) { head.appendChild(el("span", "badge", L.trigger)); }
      li.appendChild(head);
      var dl = el("dl");
      var add = function (name, value) {
        dl.appendChild(el("dt", "", name));
        dl.appendChild(el("dd", "", typeof value === "string" ? value : JSON.stringify(value)));
      };
      var walk = function (prefix, obj) {
        Object.keys(obj).forEach(function (k) {
          var v = obj[k];
          if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length) {
            walk(prefix + k + ".", v);
          } else {
            add(prefix + k, v);
          }
        });
      };
      var rest = {};
      Object.keys(ev).forEach(function (k) {
        var shown = k === "action" || k === "event_id" || (k === "timestamp" && ev[k] === when);
        if (!shown) { rest[k] = ev[k]; }
      });
      walk("", rest);
      li.appendChild(dl);
      ol.appendChild(li);
    }, this);
    return ol;
  };

  Table.prototype.renderDetail = function (i) {
    var f = this.rows[i], L = this.L, rule = this.d.rules[f[F_RULE]];
    var tr = el("tr", "detail"), td = el("td");
    td.colSpan = 8;
    td.appendChild(el("p", "", f[F_MESSAGE]));
    var facts = el("dl", "facts");
    var pairs = [[L.rule, rule[0] + " v" + rule[1]], [L.subject, f[F_SUBJECT] || "-"],
                      [L.fingerprint, f[F_FINGERPRINT]]];
    if (this.d.gated) {
      var status = L["status_" + this.d.statuses[f[F_STATUS]]];
      pairs.push([L.gate, f[F_WAIVER] ? status + ": " + f[F_WAIVER] : status]);
    }
    pairs.forEach(function (pair) {
        facts.appendChild(el("dt", "", pair[0]));
        facts.appendChild(el("dd", "mono", pair[1]));
      });
    td.appendChild(facts);
    td.appendChild(el("h4", "", L.evidence + " (" + f[F_EVIDENCE].length + ")"));
    td.appendChild(this.renderTimeline(f));
    tr.appendChild(td);
    return tr;
  };

  Table.prototype.renderRow = function (i) {
    var f = this.rows[i], d = this.d, L = this.L, rule = d.rules[f[F_RULE]], self = this;
    var tr = el("tr");
    tr.setAttribute("data-fingerprint", f[F_FINGERPRINT]);
    var sev = el("td");
    sev.appendChild(el("span", "sev sev-" + rule[2], L[rule[2]] || rule[2]));
    if (d.gated && f[F_STATUS] > 0) {
      sev.appendChild(el("span", "status status-" + d.statuses[f[F_STATUS]], L["status_" + d.statuses[f[F_STATUS]]]));
    }
    tr.appendChild(sev);
    tr.appendChild(el("td", "mono", f[F_TIME]));
    var ruleCell = el("td"), ruleId = el("code");
    // a rule id may break after its dots, and nowhere else
    rule[0].split(".").forEach(function (part, k, parts) {
      ruleId.appendChild(document.createTextNode(part + (k < parts.length - 1 ? "." : "")));
      if (k < parts.length - 1) { ruleId.appendChild(document.createElement("wbr")); }
    });
    ruleCell.appendChild(ruleId);
    ruleCell.appendChild(el("span", "note", " v" + rule[1]));
    tr.appendChild(ruleCell);
    tr.appendChild(el("td", "mono", d.sellers[f[F_SELLER]]));
    tr.appendChild(el("td", "", d.platforms[f[F_PLATFORM]]));
    tr.appendChild(el("td", "mono", f[F_EVENT]));
    tr.appendChild(el("td", "msg", f[F_MESSAGE]));
    var cell = el("td", "toggle-cell");
    var button = el("button", "toggle", (this.open[i] ? L.hide_evidence : L.show_evidence) +
                    " (" + f[F_EVIDENCE].length + ")");
    button.type = "button";
    button.setAttribute("aria-expanded", this.open[i] ? "true" : "false");
    button.addEventListener("click", function () {
      if (self.open[i]) { delete self.open[i]; } else { self.open[i] = true; }
      self.render();
    });
    cell.appendChild(button);
    tr.appendChild(cell);
    return tr;
  };

  Table.prototype.render = function () {
    var L = this.L, n = this.matching.length, pages = Math.max(1, Math.ceil(n / this.size));
    if (this.page >= pages) { this.page = pages - 1; }
    var start = this.page * this.size, end = Math.min(n, start + this.size);
    var body = $("findings-body");
    var fragment = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var i = this.matching[k];
      fragment.appendChild(this.renderRow(i));
      if (this.open[i]) { fragment.appendChild(this.renderDetail(i)); }
    }
    body.textContent = "";
    body.appendChild(fragment);
    var text = n ? fmt(L.showing, { a: start + 1, b: end, n: n }) : (this.rows.length ? L.no_match : L.no_findings);
    if (n !== this.rows.length) { text += " " + fmt(L.filtered_from, { n: this.rows.length }); }
    var count = $("findings-count");
    count.textContent = text;
    count.setAttribute("data-matching", String(n));
    $("findings-table").setAttribute("data-matching", String(n));
    $("page-info").textContent = (this.page + 1) + " / " + pages;
    $("page-prev").disabled = this.page === 0;
    $("page-next").disabled = this.page >= pages - 1;
  };

  Table.prototype.update = function () {
    this.page = 0;
    this.compute();
    this.render();
  };

  Table.prototype.bind = function () {
    var self = this;
    Object.keys(FILTER_INPUTS).forEach(function (key) {
      var node = $(FILTER_INPUTS[key]);
      self.filter[key] = node.value;
      var handler = function () {
        if (self.filter[key] !== node.value) { self.filter[key] = node.value; self.update(); }
      };
      node.addEventListener("input", handler);
      node.addEventListener("change", handler);
    });
    var list = $("seller-list");
    var fragment = document.createDocumentFragment();
    this.d.sellers.slice().sort().forEach(function (s) {
      var option = el("option");
      option.value = s;
      fragment.appendChild(option);
    });
    list.appendChild(fragment);
    $("page-size").addEventListener("change", function () {
      self.size = parseInt(this.value, 10) || 50;
      self.page = 0;
      self.render();
    });
    $("page-prev").addEventListener("click", function () { self.page -= 1; self.render(); });
    $("page-next").addEventListener("click", function () { self.page += 1; self.render(); });
    $("filter-clear").addEventListener("click", function () { self.setFilters({}); });
    Array.prototype.forEach.call(document.querySelectorAll("table.findings th[data-sort]"), function (th) {
      th.querySelector("button").addEventListener("click", function () {
        var key = th.getAttribute("data-sort");
        self.sort = { key: key, dir: self.sort.key === key ? -self.sort.dir : 1 };
        Array.prototype.forEach.call(document.querySelectorAll("table.findings th[data-sort]"), function (o) {
          o.removeAttribute("aria-sort");
        });
        th.setAttribute("aria-sort", self.sort.dir > 0 ? "ascending" : "descending");
        self.compute();
        self.render();
      });
    });
    // "filter" buttons of the summary tables narrow the findings table to one rule, platform or seller
    Array.prototype.forEach.call(document.querySelectorAll("button[data-filter-key]"), function (button) {
      button.addEventListener("click", function () {
        var values = {};
        values[button.getAttribute("data-filter-key")] = button.getAttribute("data-filter-value");
        self.setFilters(values);
        $("findings").scrollIntoView();
      });
    });
  };

  Table.prototype.setFilters = function (values) {
    Object.keys(FILTER_INPUTS).forEach(function (key) {
      var value = values[key] || "";
      $(FILTER_INPUTS[key]).value = value;
      this.filter[key] = value;
    }, this);
    this.update();
  };

  function start() {
    var status = $("findings-status");
    readData().then(function (data) {
      var table = new Table(data);
      table.bind();
      table.compute();
      table.render();
      status.textContent = "";
      document.documentElement.setAttribute("data-ready", "true");
    }, function (error) {
      status.textContent = status.getAttribute("data-failed") + " (" + error + ")";
      document.documentElement.setAttribute("data-ready", "failed");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
