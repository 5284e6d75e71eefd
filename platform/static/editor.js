// The pack source editor: a textarea over a highlighted copy of its text, live diagnostics
// (asked of the server 400 ms after the last keystroke) and completion (Ctrl+Space, or after "."),
// both answered by the editor engine behind jiceng lint and jiceng lsp.
(function () {
  "use strict";
  var box = document.getElementById("editor");
  if (!box) return;
  var area = document.getElementById("source"), view = document.getElementById("editor-view");
  var list = document.getElementById("diagnostics"), status = document.getElementById("diag-status");
  var form = document.getElementById("source-form");
  var csrf = document.body.dataset.csrf, csrfField = document.body.dataset.csrfField;
  var KEYWORDS = ("pack title source requirement param list rule disable standard test when then and or not in " +
    "cite reject require warn unknown requires extends version kind expect given by with true false null any all " +
    "count sum floor ceiling fixed free narrow overridable export measure where per over contains remove file fires on as").split(" ");
  var KW = new Set(KEYWORDS);
  var TOKEN = /(#[^\n]*)|("(?:[^"\\\n]|\\.)*"?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff]*)/g;
  var diagnostics = [], timer = null, seq = 0;

  function esc(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }

  function highlightLine(text, lineNo) {
    var marks = diagnostics.filter(function (d) { return d.in_source !== false && d.line === lineNo && d.severity === "error"; });
    var out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text))) {
      out += esc(text.slice(last, m.index));
      var cls = m[1] ? "tok-com" : m[2] ? "tok-str" : m[3] ? "tok-num" : (KW.has(m[4]) ? "tok-kw" : "");
      var bad = marks.some(function (d) { return m.index + 1 < (d.end_line === lineNo ? d.end_column : 1e9) && m.index + m[0].length + 1 > d.column; });
      out += cls || bad ? '<span class="' + cls + (bad ? " tok-err" : "") + '">' + esc(m[0]) + "</span>" : esc(m[0]);
      last = m.index + m[0].length;
    }
    return out + esc(text.slice(last));
  }

  function render() {
    var lines = area.value.split("\n");
    view.innerHTML = lines.map(function (l, i) {
      return '<span class="ln">' + (i + 1) + "</span>" + highlightLine(l, i + 1);
    }).join("\n") + "\n";
    view.scrollTop = area.scrollTop; view.scrollLeft = area.scrollLeft;
  }

  function post(url, fields) {
    var body = new URLSearchParams(fields);
    body.set(csrfField, csrf);
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"Accept": "application/json"}}).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function fields() {
    return {base: form.elements.base.value, file: form.elements.file.value, source: area.value};
  }

  function check() {
    var mine = ++seq;
    status.textContent = "检查中……";
    post(box.dataset.diagnostics, fields()).then(function (found) {
      if (mine !== seq) return;  // a later keystroke's answer will come
      diagnostics = found;
      list.innerHTML = found.map(function (d) {
        var where = d.in_source === false ? esc(d.file) + " " : "";
        return '<li class="' + esc(d.severity) + '" data-code="' + esc(d.code) + '">' + where + "第 " + d.line + " 行第 " +
          d.column + " 列 " + esc(d.code) + ":" + esc(d.message) + "</li>";
      }).join("");
      var errors = found.filter(function (d) { return d.severity === "error"; }).length;
      status.textContent = errors ? errors + " 个错误" : (found.length ? "没有错误," + found.length + " 个提醒" : "没有错误");
      status.dataset.errors = String(errors);
      render();
    }).catch(function () { status.textContent = "无法检查(连接中断或登录已失效)"; });
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(check, 400); }

  // ---------------------------------------------------------------- completion
  var menu = null, items = [], chosen = 0;
  function cursor() {
    var before = area.value.slice(0, area.selectionStart).split("\n");
    return {line: before.length, column: before[before.length - 1].length + 1, word: (before[before.length - 1].match(/[\w\u4e00-\u9fff]*$/) || [""])[0]};
  }
  function closeMenu() { if (menu) { menu.remove(); menu = null; } }
  function showMenu(found, word) {
    closeMenu();
    if (!found.length) return;
    items = found; chosen = 0;
    menu = document.createElement("ul");
    menu.className = "completions"; menu.setAttribute("role", "listbox"); menu.id = "completions";
    found.forEach(function (c, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option"); li.setAttribute("aria-selected", i === 0 ? "true" : "false");
      li.innerHTML = esc(c.label) + '<span class="kind">' + esc(c.kind) + "</span>";
      li.title = c.detail || "";
      li.addEventListener("mousedown", function (e) { e.preventDefault(); accept(i, word); });
      menu.appendChild(li);
    });
    var c = cursor();
    menu.style.top = Math.min(box.clientHeight - 40, c.line * 21 + 8 - area.scrollTop) + "px";
    menu.style.left = "4em";
    box.appendChild(menu);
  }
  function accept(i, word) {
    var c = items[i], at = area.selectionStart;
    area.setRangeText(c.label.slice(word.length), at, at, "end");
    closeMenu(); render(); schedule(); area.focus();
  }
  function complete() {
    var c = cursor();
    var f = fields();
    f.line = c.line; f.column = c.column;
    post(box.dataset.completions, f).then(function (found) {
      showMenu(found, c.word);
    });
  }

  area.addEventListener("input", function (e) {
    render(); schedule();
    if (e.data === ".") complete(); else if (menu) complete();
  });
  area.addEventListener("scroll", function () { view.scrollTop = area.scrollTop; view.scrollLeft = area.scrollLeft; });
  area.addEventListener("keydown", function (e) {
    if (e.ctrlKey && (e.key === " " || e.code === "Space")) { e.preventDefault(); complete(); return; }
    if (!menu) { if (e.key === "Tab") { e.preventDefault(); area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end"); render(); schedule(); } return; }
    var options = menu.children;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      options[chosen].setAttribute("aria-selected", "false");
      chosen = (chosen + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      options[chosen].setAttribute("aria-selected", "true");
      options[chosen].scrollIntoView({block: "nearest"});
    } else if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); accept(chosen, cursor().word); }
    else if (e.key === "Escape") { closeMenu(); }
  });
  area.addEventListener("blur", function () { setTimeout(closeMenu, 150); });
  var select = document.getElementById("file-select");
  select.addEventListener("change", function () {
    var url = new URL(select.dataset.url, location.href);
    url.searchParams.set("file", select.value);
    location.href = url.toString();
  });
  render(); check();
})();
