// The form designer: re-render the preview and re-check the sample 400 ms after the last keystroke;
// "加入" adds a property to the schema's JSON.
(function () {
  "use strict";
  var form = document.getElementById("schema-form");
  if (!form) return;
  var schema = document.getElementById("schema"), sample = document.getElementById("sample");
  var status = document.getElementById("preview-status"), timer = null, seq = 0;
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
  function list(el, errors, empty) {
    el.innerHTML = errors.length ? errors.map(function (e) {
      return '<li class="error">' + esc(e.path || "(整份数据)") + ":" + esc(e.message) + "</li>";
    }).join("") : (empty ? '<li class="muted">' + empty + "</li>" : "");
  }
  function refresh() {
    var mine = ++seq, body = new URLSearchParams();
    body.set(document.body.dataset.csrfField, document.body.dataset.csrf);
    body.set("schema", schema.value); body.set("sample", sample.value);
    status.textContent = "更新中……";
    fetch(form.dataset.preview, {method: "POST", body: body, credentials: "same-origin"}).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (a) {
      if (mine !== seq) return;
      list(document.getElementById("schema-errors"), a.schema_errors);
      if (!a.schema_errors.length) document.getElementById("preview").innerHTML = a.html;
      list(document.getElementById("data-errors"), a.data_errors, "样例数据符合表单");
      status.textContent = a.schema_errors.length ? "表单有问题" : "已更新";
    }).catch(function () { status.textContent = "无法预览(连接中断或登录已失效)"; });
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 400); }
  schema.addEventListener("input", schedule);
  sample.addEventListener("input", schedule);
  document.getElementById("add-field-button").addEventListener("click", function () {
    var name = document.getElementById("new-name").value.trim();
    var title = document.getElementById("new-title").value.trim();
    var type = document.getElementById("new-type").value;
    var doc;
    try { doc = JSON.parse(schema.value); } catch (e) { status.textContent = "表单不是有效的 JSON,无法加入字段"; return; }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) { status.textContent = "字段名只能用字母、数字和下划线"; return; }
    var prop = type === "date" ? {type: "string", format: "date"} : {type: type};
    if (title) prop.title = title;
    doc.properties = doc.properties || {};
    doc.properties[name] = prop;
    if (document.getElementById("new-required").checked) {
      doc.required = (doc.required || []).filter(function (r) { return r !== name; }).concat([name]);
    }
    schema.value = JSON.stringify(doc, null, 2);
    refresh();
  });
})();
