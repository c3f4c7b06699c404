/*
 * The platform's own properties in the modeler's side form (bpmn/README.md):
 * user task — window, windowExpr, formKey, limitDays, dueExpr, onTimeout;
 * process (pool) — itemKind, promisedDays, statutoryDays, leadWindow, upperApproval, defaultWindow;
 * lane — its window, written as the lane id lane_<code> (a lane whose id and window property name none takes
 *   the one window its name is the name or code of, as deployment does: runner/core/conventions.py).
 *
 * They are stored exactly as the shipped diagrams store them:
 *   <bpmn:extensionElements><spiffworkflow:properties>
 *     <spiffworkflow:property name="formKey" value="window_review"/> ...
 * The spiffworkflow namespace stays generic in bpmn-moddle (no descriptor), so every other spiffworkflow
 * element of a diagram survives the round trip untouched; changes go through modeling.updateModdleProperties
 * and are undoable like any drawing.
 */
(function () {
  "use strict";

  var SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  var PROPS = "spiffworkflow:properties";
  var PROP = "spiffworkflow:property";
  var DYNAMIC_LANES = { lead: T("主办窗口（动态）"), related: T("相关窗口（动态）"), applicant: T("申请人（无窗口）"), system: T("系统（无窗口）") };

  function is(bo, type) {
    return bo && typeof bo.$instanceOf === "function" && bo.$instanceOf(type);
  }

  /** name → value of an element's spiffworkflow properties. */
  function read(bo) {
    var out = {};
    var ext = bo && bo.extensionElements;
    (ext && ext.values || []).forEach(function (block) {
      if (block.$type !== PROPS) { return; }
      (block.$children || []).forEach(function (p) {
        if (p.$type === PROP && p.name != null) { out[p.name] = p.value == null ? "" : String(p.value); }
      });
    });
    return out;
  }

  /** Set (or, with an empty value, remove) one property of ``bo``, drawn on ``element``; undoable. */
  function write(modeler, element, bo, name, value) {
    var moddle = modeler.get("moddle");
    var modeling = modeler.get("modeling");
    var ext = bo.extensionElements;
    var values = ext ? (ext.values || []).slice() : [];
    var index = values.findIndex(function (v) { return v.$type === PROPS; });
    var children = index >= 0 ? (values[index].$children || []).slice() : [];
    var at = children.findIndex(function (c) { return c.$type === PROP && c.name === name; });
    var fresh = moddle.createAny(PROP, SPIFF, { name: name, value: String(value) });
    if (value === "" || value == null) {
      if (at >= 0) { children.splice(at, 1); }
    } else if (at >= 0) {
      children[at] = fresh;
    } else {
      children.push(fresh);
    }
    var block = moddle.createAny(PROPS, SPIFF, { $children: children });
    if (index >= 0) {
      if (children.length) { values[index] = block; } else { values.splice(index, 1); }
    } else if (children.length) {
      values.unshift(block);
    }
    var newExt = values.length ? moddle.create("bpmn:ExtensionElements", { values: values }) : undefined;
    if (newExt) {
      newExt.$parent = bo;
      values.forEach(function (v) { v.$parent = newExt; });
    }
    modeling.updateModdleProperties(element, bo, { extensionElements: newExt });
  }

  /** The process whose properties a selected pool (or the bare process canvas) carries. */
  function processOf(element) {
    var bo = element && element.businessObject;
    if (is(bo, "bpmn:Participant")) { return bo.processRef || null; }
    if (is(bo, "bpmn:Process")) { return bo; }
    return null;
  }

  /** The lane a flow node lies in (or the lane of the subprocess around it). */
  function laneOf(bo) {
    var node = bo;
    while (node && is(node, "bpmn:FlowNode")) {
      var lanes = node.get("lanes");
      if (lanes && lanes.length) { return lanes[lanes.length - 1]; }
      node = node.$parent;
      if (!is(node, "bpmn:SubProcess")) { return null; }
    }
    return null;
  }

  function laneWindow(laneId) {
    // only the platform's own convention names a window: bpmn.io's Lane_0k2j3h4 is a plain lane
    return laneId && laneId.indexOf("lane_") === 0 ? laneId.slice(5) : null;
  }

  /** A name as deployment compares it: trimmed of half- and full-width spaces, inner runs one space. */
  function nameKey(text) {
    return String(text || "").replace(/\u3000/g, " ").trim().split(/\s+/).join(" ");
  }

  /** Codes of the windows whose name or code is the lane's name. */
  function laneNameMatches(lane, config) {
    var key = nameKey(lane.name);
    if (!key) { return []; }
    return (config.windows || []).filter(function (w) { return key === nameKey(w.code) || key === nameKey(w.name); })
      .map(function (w) { return w.code; });
  }

  /** Codes of the closed windows the lane's name names, when it names no open one: deployment refuses it. */
  function laneClosedMatches(lane, config) {
    var key = nameKey(lane.name);
    if (!key || laneNameMatches(lane, config).length) { return []; }
    return (config.closedWindows || []).filter(function (w) { return key === nameKey(w.code) || key === nameKey(w.name); })
      .map(function (w) { return w.code; });
  }

  /** The words telling that a lane's name names a closed window, or "" when it does not. */
  function laneClosedText(lane, config) {
    var closed = laneClosedMatches(lane, config);
    return closed.length ? "「" + nameKey(lane.name) + "」" + T("对应的窗口已关闭，部署将被拒绝：") + closed.join(", ") : "";
  }

  /** The window a lane chooses: its id lane_<code>, its window property, else the one window its name names. */
  function laneCode(lane, config) {
    var code = laneWindow(lane.id) || (read(lane).window || "").trim();
    if (code) { return code; }
    var matches = laneNameMatches(lane, config);
    return matches.length === 1 ? matches[0] : null;
  }

  // --- drawing the side form ---------------------------------------------------------------------

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { el.textContent = attrs[k]; } else if (attrs[k] !== undefined && attrs[k] !== null) { el.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { el.appendChild(c); } });
    return el;
  }

  function group(label, input, hint) {
    return h("div", { class: "form-group mb-2" }, [
      h("label", { for: input.id, class: "mb-0", text: label }),
      input,
      hint ? h("small", { class: "form-text text-muted", text: hint }) : null,
    ]);
  }

  function textInput(id, value, attrs) {
    return h("input", Object.assign({ id: id, class: "form-control form-control-sm", value: value || "" }, attrs || {}));
  }

  // --- numeric properties, checked as typed (the server checks them again at validation) ----------

  var WHOLE = /^[+-]?\d+$/;

  /** The problem of a working-days value, or "" when it is fine: a whole number ≥ 0, or (``expression``)
   *  an expression over the item's data — never days written in words (三天, 3天). */
  function daysProblem(value, expression) {
    var v = (value || "").trim();
    if (!v || (WHOLE.test(v) && Number(v) >= 0)) { return ""; }
    if (WHOLE.test(v)) { return T("天数不能为负 (must not be negative)"); }
    if (!expression) { return T("请填写整数个工作日，如 5 (a whole number of working days, e.g. 5)"); }
    if (/[^\x00-\x7f]/.test(v.replace(/(["'])(?:\\.|(?!\1).)*\1/g, ""))) {
      return T("请填写整数个工作日（如 3），或按办件数据计算的表达式（如 review_days） (a whole number such as 3, or an expression over the item's data)");
    }
    return "";
  }

  /** Show ``daysProblem`` under ``input`` while typing; the property is written only when it is fine. */
  function checkDays(input, expression) {
    var note = h("div", { class: "invalid-feedback", id: input.id + "-error", role: "alert" });
    input.insertAdjacentElement("afterend", note);
    function show() {
      var problem = daysProblem(input.value, expression);
      note.textContent = problem;
      input.classList.toggle("is-invalid", !!problem);
      return !problem;
    }
    input.addEventListener("input", show);
    show();
    return show;
  }

  function select(id, value, options) {
    var el = h("select", { id: id, class: "form-control form-control-sm" });
    options.forEach(function (o) {
      var opt = h("option", { value: o[0], text: o[1] });
      if (String(o[0]) === String(value || "")) { opt.selected = true; }
      el.appendChild(opt);
    });
    if (value && !options.some(function (o) { return String(o[0]) === String(value); })) {
      var unknown = h("option", { value: value, text: value + T("（未知）") });
      unknown.selected = true;
      el.appendChild(unknown);
    }
    return el;
  }

  function windowOptions(config, emptyLabel) {
    return [["", emptyLabel]].concat(config.windows.map(function (w) { return [w.code, w.name + "（" + w.code + "）"]; }));
  }

  /** Fill ``container`` with the form of ``element`` (null: nothing or several selected). */
  function render(container, modeler, config, element, readOnly) {
    container.innerHTML = "";
    container.classList.remove("text-muted");
    if (!element || !element.businessObject) {
      container.classList.add("text-muted");
      container.textContent = T("选择一个元素以编辑它的平台属性（窗口、表单、时限、超时处理）。");
      return;
    }
    var bo = element.businessObject;
    var fields = [];
    var onChange = [];
    var numeric = [];  // [input, property, allows an expression, business object]

    container.appendChild(h("p", { class: "mb-1" }, [
      h("code", { id: "prop-element-id", text: bo.id }), h("span", { class: "text-muted", text: " " + bo.$type.replace("bpmn:", "") }),
    ]));

    if (element.type !== "label" && (is(bo, "bpmn:FlowElement") || is(bo, "bpmn:Participant") || is(bo, "bpmn:Lane"))) {
      var name = textInput("prop-name", bo.name);
      fields.push(group(T("名称"), name));
      onChange.push([name, function () { modeler.get("modeling").updateLabel(element, name.value); }]);
    }

    if (is(bo, "bpmn:UserTask")) {
      var props = read(bo);
      var lane = laneOf(bo);
      var code = lane ? laneCode(lane, config) : null;
      var laneText = !lane ? T("不在任何泳道中（交给默认窗口）") : code ? (DYNAMIC_LANES[code] || code) + T(" ← 泳道 ") + lane.id : laneClosedText(lane, config) || T("泳道 ") + lane.id + T(" 未指明窗口（交给默认窗口）");
      fields.push(h("p", { class: "small mb-2", id: "prop-lane-info", text: T("泳道窗口：") + laneText }));
      var win = select("prop-window", props.window, windowOptions(config, T("（按泳道）")));
      fields.push(group(T("窗口 window"), win, T("指定后覆盖泳道的窗口")));
      var winExpr = textInput("prop-windowExpr", props.windowExpr, { placeholder: T("如 related_window") });
      fields.push(group(T("窗口表达式 windowExpr"), winExpr));
      var formKey = textInput("prop-formKey", props.formKey, { list: "designer-form-keys" });
      fields.push(group(T("表单 formKey"), formKey, T("不填则使用通用办理表单（意见、是否同意）")));
      var limit = textInput("prop-limitDays", props.limitDays, { placeholder: T("工作日数，或表达式") });
      fields.push(group(T("时限（工作日）limitDays"), limit));
      var due = textInput("prop-dueExpr", props.dueExpr, { placeholder: T("给出到期时间的表达式") });
      fields.push(group(T("期限表达式 dueExpr"), due));
      var timeout = select("prop-onTimeout", props.onTimeout, [["", T("（无）")]].concat(config.onTimeout.map(function (v) {
        return [v, v === "deemed_assent" ? T("默认议定（视为同意并问责）") : v === "escalate" ? T("上报督查") : v];
      })));
      fields.push(group(T("超时处理 onTimeout"), timeout));
      [[win, "window"], [winExpr, "windowExpr"], [formKey, "formKey"], [due, "dueExpr"], [timeout, "onTimeout"]].forEach(function (pair) {
        onChange.push([pair[0], function () { write(modeler, element, bo, pair[1], pair[0].value.trim()); }]);
      });
      numeric.push([limit, "limitDays", true, bo]);
    }

    var process = processOf(element);
    if (process) {
      var p = read(process);
      fields.push(h("p", { class: "small mb-2 text-muted", text: T("流程 {id} 的办件属性", { id: process.id }) }));
      var kind = select("prop-itemKind", p.itemKind, [["", T("（未指定）")]].concat(config.itemKinds.map(function (k) { return [k.label, k.label + "（" + k.code + "）"]; })));
      fields.push(group(T("办件类型 itemKind"), kind));
      var promised = textInput("prop-promisedDays", p.promisedDays, { inputmode: "numeric" });
      fields.push(group(T("承诺时限（工作日）promisedDays"), promised));
      var statutory = textInput("prop-statutoryDays", p.statutoryDays, { inputmode: "numeric" });
      fields.push(group(T("法定时限（工作日）statutoryDays"), statutory));
      var lead = select("prop-leadWindow", p.leadWindow, windowOptions(config, T("（未指定）")));
      fields.push(group(T("默认主办窗口 leadWindow"), lead));
      var upper = select("prop-upperApproval", p.upperApproval, [["", T("（否）")], ["true", T("需要上级审批")], ["false", T("不需要")]]);
      fields.push(group(T("上级审批 upperApproval"), upper));
      var fallback = select("prop-defaultWindow", p.defaultWindow, windowOptions(config, "（centre）"));
      fields.push(group(T("默认窗口 defaultWindow"), fallback, T("泳道和属性都未指明窗口的任务交给它")));
      [[kind, "itemKind"], [lead, "leadWindow"], [upper, "upperApproval"], [fallback, "defaultWindow"]].forEach(function (pair) {
        onChange.push([pair[0], function () { write(modeler, element, process, pair[1], pair[0].value.trim()); }]);
      });
      numeric.push([promised, "promisedDays", false, process], [statutory, "statutoryDays", false, process]);
    }

    if (is(bo, "bpmn:Lane")) {
      var current = laneWindow(bo.id);
      var laneOptions = windowOptions(config, T("（请选择）")).concat(Object.keys(DYNAMIC_LANES).map(function (k) { return [k, DYNAMIC_LANES[k]]; }));
      var laneSelect = select("prop-lane-window", current, laneOptions);
      fields.push(group(T("泳道的窗口"), laneSelect, T("泳道标识写作 lane_<窗口代码>")));
      var byName = current ? [] : laneNameMatches(bo, config);
      if (!current && byName.length) {
        var nameText = byName.length === 1 ? T("按泳道名称选择窗口：") + byName[0] : T("泳道名称对应多个窗口，未选择：") + byName.join(", ");
        fields.push(h("p", { class: "small mb-2", id: "prop-lane-by-name", text: nameText }));
      } else if (!current && laneClosedText(bo, config)) {
        fields.push(h("p", { class: "small mb-2 text-danger", id: "prop-lane-by-name", text: laneClosedText(bo, config) }));
      }
      onChange.push([laneSelect, function () {
        var value = laneSelect.value;
        if (!value) { return; }
        var id = "lane_" + value;
        if (id === bo.id) { return; }
        if (modeler.get("elementRegistry").get(id)) {
          window.alert(T("已有泳道 ") + id + T("：一个窗口只能有一条泳道 (lane ") + id + " exists)");
          laneSelect.value = current || "";
          return;
        }
        modeler.get("modeling").updateProperties(element, { id: id });
      }]);
    }

    fields.forEach(function (f) { container.appendChild(f); });
    numeric.forEach(function (n) {
      var fine = checkDays(n[0], n[2]);
      onChange.push([n[0], function () { if (fine()) { write(modeler, element, n[3], n[1], n[0].value.trim()); } }]);
    });
    onChange.forEach(function (pair) {
      if (readOnly) { pair[0].disabled = true; return; }
      pair[0].addEventListener("change", pair[1]);
    });
  }

  window.DesignerProperties = { read: read, write: write, render: render, laneOf: laneOf, processOf: processOf, daysProblem: daysProblem };
})();
