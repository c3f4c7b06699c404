/*
 * The designer's modeler page: bpmn-js Modeler (UMD bundle, global BpmnJS), saved as a draft on the server,
 * validated there (problems listed, offending elements marked and selectable), deployed as a new version.
 *
 * Every request names the draft revision it was made from; the server answers 409 when a colleague saved
 * in between, and the page offers to load their version or download this one (nothing is lost).
 * Unsaved changes are saved automatically after a pause and guarded when leaving the page.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("designer-config").textContent);
  var csrfToken = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var urls = config.urls;
  var readOnly = config.draft.status !== "open";
  var AUTOSAVE_MS = 15000;

  var statusBox = document.getElementById("designer-status");
  var problemList = document.getElementById("problem-list");
  var problemCount = document.getElementById("problem-count");
  var propertiesBody = document.getElementById("properties-body");
  var revisionBadge = document.getElementById("draft-revision");
  var buttons = ["btn-save", "btn-validate", "btn-deploy"].map(function (id) { return document.getElementById(id); });

  var state = { revision: config.draft.revision, changes: 0, savedChanges: 0, busy: false, markers: [], timer: null };
  var modeler = new window.BpmnJS({ container: "#canvas" });
  window.designer = { modeler: modeler, state: state, config: config };

  // --- status line ---------------------------------------------------------------------------------

  function status(level, text, extra) {
    statusBox.className = "alert alert-" + level + " py-1 px-2 small";
    statusBox.textContent = text;
    (extra || []).forEach(function (el) { statusBox.appendChild(document.createTextNode(" ")); statusBox.appendChild(el); });
  }

  function button(label, id, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm btn-outline-dark ml-1";
    b.id = id;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function dirty() { return state.changes !== state.savedChanges; }

  // --- keep the variable names of multi-instance activities ------------------------------------------
  // SpiffWorkflow reads loopDataInputRef / loopDataOutputRef as task-data variable names; bpmn-moddle
  // takes them for id references and would drop the unresolved ones on export. Give each a stand-in
  // element whose id is the name, so that it is written back exactly as it was.

  var keptRefs = {};
  modeler.on("import.parse.complete", function (event) {
    keptRefs = {};
    if (!event.references) { return; }
    var moddle = modeler.get("moddle");
    event.references.forEach(function (ref) {
      if (event.elementsById[ref.id]) { return; }
      if (ref.property !== "bpmn:loopDataInputRef" && ref.property !== "bpmn:loopDataOutputRef") { return; }
      ref.element.set(ref.property, moddle.create("bpmn:DataInput", { id: ref.id }));
      keptRefs[ref.id] = true;
    });
  });

  function importWarnings(warnings) {
    return (warnings || []).filter(function (w) {
      var m = /unresolved reference <([^>]*)>/.exec(w.message || "");
      return !(m && keptRefs[m[1]]);
    });
  }

  async function load(xml) {
    var result = await modeler.importXML(xml);
    state.changes = state.savedChanges = 0;
    modeler.get("canvas").zoom("fit-viewport", "auto");
    var warnings = importWarnings(result.warnings);
    if (warnings.length) {
      status("warning", T("流程图已载入，但有 ") + warnings.length + T(" 处内容未能识别，保存时可能丢失：") +
        warnings.map(function (w) { return w.message; }).join("；"));
    } else {
      status(readOnly ? "secondary" : "info", readOnly ? T("此草稿已关闭，只能查看。") : T("已载入第 ") + state.revision + T(" 次保存的草稿。"));
    }
    renderProperties();
  }

  // --- server calls ----------------------------------------------------------------------------------

  async function call(url, body, method) {
    var response;
    try {
      response = await fetch(url, {
        method: method || "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
        body: method === "GET" ? undefined : JSON.stringify(body || {}),
      });
    } catch (err) {
      return { status: 0, data: { ok: false, message: T("无法连接服务器，修改仍在页面中，请稍后再保存 (") + err + ")" } };
    }
    var data;
    try {
      data = await response.json();
    } catch (err) {
      data = { ok: false, message: response.status === 400 ? T("页面已过期（安全令牌失效），请先下载流程图再刷新页面") : T("服务器返回 ") + response.status };
    }
    return { status: response.status, data: data };
  }

  function download(xml) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
    link.download = config.draft.key + "-mine.bpmn";
    link.click();
  }

  async function reloadTheirs() {
    var answer = await call(urls.xml, null, "GET");
    if (!answer.data.ok) { status("danger", answer.data.message); return; }
    state.revision = answer.data.draft.revision;
    revisionBadge.textContent = T("第 {n} 次保存", { n: state.revision });
    clearProblems();
    await load(answer.data.draft.xml);
  }

  async function conflict(message) {
    var mine = (await modeler.saveXML({ format: true })).xml;
    status("danger", message, [
      button(T("下载我的版本"), "btn-download-mine", function () { download(mine); }),
      button(T("载入最新版本（放弃我的修改）"), "btn-reload", function () { reloadTheirs(); }),
    ]);
  }

  /** Save when there are changes; true when the server holds what the page shows. */
  async function save(quiet) {
    if (readOnly) { return false; }
    if (!dirty()) { return true; }
    var upTo = state.changes;
    var xml = (await modeler.saveXML({ format: true })).xml;
    var answer = await call(urls.save, { xml: xml, revision: state.revision });
    if (answer.data.ok) {
      state.revision = answer.data.draft.revision;
      state.savedChanges = upTo;
      revisionBadge.textContent = T("第 {n} 次保存", { n: state.revision });
      if (!quiet || !dirty()) { status("success", T("草稿已保存（第 ") + state.revision + T(" 次）。")); }
      return !dirty();
    }
    if (answer.status === 409) { await conflict(answer.data.message); return false; }
    status("danger", T("保存失败：") + answer.data.message);
    if (answer.data.problems) { showProblems(answer.data.problems); }
    return false;
  }

  /** Run one server exchange at a time; false when another is still running. */
  async function exclusive(work) {
    if (state.busy) { return false; }
    state.busy = true;
    buttons.forEach(function (b) { b.disabled = true; });
    try { await work(); } finally {
      state.busy = false;
      buttons.forEach(function (b) { b.disabled = readOnly; });
      document.getElementById("canvas").classList.toggle("designer-readonly", readOnly);
    }
    return true;
  }

  function scheduleAutosave() {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(async function () {
      if (!(await exclusive(function () { return save(true); }))) { scheduleAutosave(); }
    }, AUTOSAVE_MS);
  }

  async function validate() {
    if (!(await save(true))) { return; }
    status("info", T("正在校验……"));
    var answer = await call(urls.validate, {});
    if (!answer.data.ok) { status("danger", T("校验失败：") + answer.data.message); return; }
    showProblems(answer.data.problems);
    var errors = answer.data.problems.filter(function (p) { return p.severity === "error"; }).length;
    if (answer.data.valid) {
      status("success", T("校验通过（第 ") + answer.data.revision + T(" 次保存）") + (answer.data.problems.length ? T("，有 ") + answer.data.problems.length + T(" 条提示。") : T("，可以部署。")));
    } else {
      status("danger", T("校验发现 ") + errors + T(" 处错误，已在图中标出；点击列表中的一项可选中对应元素。"));
    }
  }

  async function deploy() {
    if (!(await save(true))) { return; }
    if (!window.confirm(T("将第 ") + state.revision + T(" 次保存的草稿部署为流程 ") + config.draft.key + T(" 的新版本？"))) { return; }
    status("info", T("正在部署……"));
    var answer = await call(urls.deploy, { revision: state.revision });
    if (answer.data.ok) {
      clearProblems();
      if (answer.data.warnings && answer.data.warnings.length) { showProblems(answer.data.warnings); }
      readOnly = true;
      renderProperties();
      var text = answer.data.created ? T("已部署为版本 ") + answer.data.version + "。" : T("内容与版本 ") + answer.data.version + T(" 相同，未生成新版本。");
      status("success", text + T(" 草稿已关闭；再次修改请从流程列表打开。"));
      var back = document.createElement("a");
      back.href = urls.index;
      back.id = "back-to-list";
      back.textContent = T("返回流程列表");
      statusBox.appendChild(document.createTextNode(" "));
      statusBox.appendChild(back);
      return;
    }
    if (answer.status === 409) { await conflict(answer.data.message); return; }
    if (answer.data.problems) { showProblems(answer.data.problems); }
    status("danger", T("未部署：") + answer.data.message);
  }

  // --- problems: list and markers ----------------------------------------------------------------------

  function shapeFor(elementId) {
    if (!elementId) { return null; }
    var registry = modeler.get("elementRegistry");
    var shape = registry.get(elementId);
    if (shape) { return shape; }
    // a process is drawn as its pool (or is the canvas itself)
    return registry.find(function (el) {
      var bo = el.businessObject;
      return bo && ((bo.processRef && bo.processRef.id === elementId) || (el === modeler.get("canvas").getRootElement() && bo.id === elementId));
    }) || null;
  }

  function clearProblems() {
    var canvas = modeler.get("canvas");
    state.markers.forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    state.markers = [];
    problemList.innerHTML = "";
    problemCount.textContent = "";
  }

  function showProblems(problems) {
    clearProblems();
    var canvas = modeler.get("canvas");
    if (!problems.length) {
      problemList.innerHTML = T('<li class="text-success" id="no-problems">没有发现问题。</li>');
      return;
    }
    problemCount.textContent = String(problems.length);
    problems.forEach(function (p) {
      var severity = p.severity === "warning" ? "warning" : "error";
      var shape = shapeFor(p.element);
      if (shape && shape !== canvas.getRootElement()) {
        canvas.addMarker(shape, "designer-" + severity);
        state.markers.push([shape, "designer-" + severity]);
      }
      var item = document.createElement("li");
      item.className = "problem problem-" + severity + (shape ? " problem-link" : "");
      item.setAttribute("data-element", p.element || "");
      var name = shape && shape.businessObject && shape.businessObject.name;
      item.textContent = (severity === "error" ? T("错误") : T("提示")) + (p.line ? T(" · 第 {n} 行", { n: p.line }) : "") +
        (p.element ? " · " + (name ? name + "（" + p.element + "）" : p.element) : "") + "：" + p.message;
      if (shape) {
        item.addEventListener("click", function () {
          modeler.get("selection").select(shape);
          if (shape !== canvas.getRootElement()) { canvas.scrollToElement(shape); }
        });
      }
      problemList.appendChild(item);
    });
  }

  // --- properties ------------------------------------------------------------------------------------

  function selected() {
    var items = modeler.get("selection").get();
    return items.length === 1 ? items[0] : (items.length === 0 ? modeler.get("canvas").getRootElement() : null);
  }

  function renderProperties() {
    window.DesignerProperties.render(propertiesBody, modeler, config, selected(), readOnly);
  }

  var list = document.createElement("datalist");
  list.id = "designer-form-keys";
  config.forms.forEach(function (key) { var o = document.createElement("option"); o.value = key; list.appendChild(o); });
  document.body.appendChild(list);

  modeler.on("selection.changed", renderProperties);
  modeler.on("commandStack.changed", function () {
    if (readOnly) { return; }
    state.changes += 1;
    status("warning", T("有未保存的修改（") + Math.round(AUTOSAVE_MS / 1000) + T(" 秒后自动保存）。"));
    var active = document.activeElement;
    if (!active || !propertiesBody.contains(active)) { renderProperties(); }
    scheduleAutosave();
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty() && !readOnly) { event.preventDefault(); event.returnValue = ""; }
  });

  document.getElementById("btn-save").addEventListener("click", function () {
    exclusive(async function () {
      if (!dirty()) { status("success", T("没有需要保存的修改（第 ") + state.revision + T(" 次保存）。")); return; }
      await save(false);
    });
  });
  document.getElementById("btn-validate").addEventListener("click", function () { exclusive(validate); });
  document.getElementById("btn-deploy").addEventListener("click", function () { exclusive(deploy); });

  document.getElementById("canvas").classList.toggle("designer-readonly", readOnly);
  load(config.draft.xml).catch(function (err) {
    status("danger", T("流程图无法载入：") + (err && err.message ? err.message : err));
  });
})();
