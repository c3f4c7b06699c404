/*
 * The form-schema editor: the preview is redrawn by the server (the workspace's own form code) a moment
 * after each edit; save keeps a draft (revision-checked: a colleague's save in between is a conflict),
 * publish makes the saved draft the schema the workspace uses, withdraw puts the file back in force.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("schema-config").textContent);
  var csrfToken = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var body = document.getElementById("schema-body");
  var sample = document.getElementById("sample-data");
  var processInput = document.getElementById("preview-process");
  var frame = document.getElementById("schema-preview");
  var previewError = document.getElementById("preview-error");
  var previewState = document.getElementById("preview-state");
  var statusBox = document.getElementById("schema-status");
  var revisionBadge = document.getElementById("schema-revision");
  var publishedBadge = document.getElementById("schema-published");
  var withdrawButton = document.getElementById("btn-schema-withdraw");
  var state = { revision: config.revision, saved: body.value, timer: null, sequence: 0 };

  function status(level, text) {
    statusBox.className = "alert alert-" + level + " py-1 px-2 small";
    statusBox.textContent = text;
  }

  async function call(url, payload) {
    var response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify(payload),
      });
    } catch (err) {
      return { status: 0, data: { ok: false, message: T("无法连接服务器 (") + err + ")" } };
    }
    try {
      return { status: response.status, data: await response.json() };
    } catch (err) {
      return { status: response.status, data: { ok: false, message: response.status === 400 ? T("页面已过期，请复制内容后刷新页面") : T("服务器返回 ") + response.status } };
    }
  }

  async function preview() {
    var data;
    try {
      data = JSON.parse(sample.value || "{}");
    } catch (err) {
      previewError.textContent = T("示例数据不是合法的 JSON：") + err.message;
      previewError.classList.remove("d-none");
      return;
    }
    var sequence = ++state.sequence;
    previewState.textContent = T("更新中……");
    var answer = await call(config.urls.preview, { body: body.value, data: data, process: processInput.value.trim() });
    if (sequence !== state.sequence) { return; }  // a newer edit is on its way
    previewState.textContent = "";
    if (answer.data.ok) {
      previewError.classList.add("d-none");
      frame.srcdoc = answer.data.html;
      previewState.textContent = T("（{n} 个字段）", { n: answer.data.fields });
    } else {
      previewError.textContent = answer.data.message;
      previewError.classList.remove("d-none");
    }
  }

  function schedulePreview() {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(preview, 400);
    if (body.value !== state.saved) { status("warning", T("有未保存的修改。")); }
  }

  function showDraft(draft) {
    state.revision = draft.revision;
    revisionBadge.textContent = T("第 {n} 版草稿", { n: draft.revision });
    if (draft.published_revision) {
      publishedBadge.className = "badge mr-2 badge-success";
      publishedBadge.textContent = T("工作台使用控制台发布的第 {n} 版", { n: draft.published_revision });
    }
    withdrawButton.disabled = !draft.published_revision;
  }

  async function save() {
    var text = body.value;
    var answer = await call(config.urls.save, { body: text, revision: state.revision });
    if (!answer.data.ok) {
      status("danger", (answer.status === 409 ? T("冲突：") : T("保存失败：")) + answer.data.message);
      return false;
    }
    state.saved = text;
    showDraft(answer.data.draft);
    if (answer.data.problem) {
      status("warning", T("草稿已保存（第 ") + state.revision + T(" 版），但定义有误，不能发布：") + answer.data.problem);
    } else {
      status("success", T("草稿已保存（第 ") + state.revision + T(" 版）。"));
    }
    return !answer.data.problem;
  }

  document.getElementById("btn-schema-save").addEventListener("click", save);
  document.getElementById("btn-schema-publish").addEventListener("click", async function () {
    if (body.value !== state.saved || state.revision === 0) {
      if (!(await save())) { return; }
    }
    var answer = await call(config.urls.publish, { revision: state.revision });
    if (!answer.data.ok) { status("danger", T("未发布：") + answer.data.message); return; }
    showDraft(answer.data.draft);
    status("success", T("已发布第 ") + state.revision + T(" 版：工作台的新任务立即使用此表单。"));
  });
  withdrawButton.addEventListener("click", async function () {
    if (!window.confirm(T("撤销发布？工作台将改用表单文件（如有）。"))) { return; }
    var answer = await call(config.urls.withdraw, {});
    if (!answer.data.ok) { status("danger", T("未撤销：") + answer.data.message); return; }
    publishedBadge.className = "badge mr-2 badge-light";
    publishedBadge.textContent = T("已撤销发布");
    withdrawButton.disabled = true;
    status("success", T("已撤销发布。"));
  });
  body.addEventListener("input", schedulePreview);
  sample.addEventListener("input", schedulePreview);
  processInput.addEventListener("input", schedulePreview);
  window.addEventListener("beforeunload", function (event) {
    if (body.value !== state.saved) { event.preventDefault(); event.returnValue = ""; }
  });
  preview();
})();
