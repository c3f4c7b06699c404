/* The instance page's diagram: bpmn-js navigated viewer with the path taken and the current tokens.
 * Reads {xml, completed, current} from <script id="diagram-data" type="application/json">; marks completed
 * elements "bj-done", current ones "bj-current" (with a token overlay); sets data-state on #diagram to
 * "ready", "empty" (no diagram layout in the file) or "error" so that tests and people can tell. */
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  var source = document.getElementById("diagram-data");
  if (!container || !source) { return; }
  var data = JSON.parse(source.textContent);

  function fail(text) {
    container.dataset.state = "error";
    container.textContent = text;
  }

  if (typeof window.BpmnJS !== "function") {
    fail(T("流程图组件未加载（bpmn-js missing: run npm ci）"));
    return;
  }
  var viewer = new window.BpmnJS({ container: container });
  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    if (registry.getAll().length <= 1) {
      container.dataset.state = "empty";
      container.insertAdjacentHTML("afterbegin",
        T('<p class="diagram-note">该流程文件没有图形布局信息（no diagram layout in the BPMN file）</p>'));
      return;
    }
    canvas.zoom("fit-viewport", "auto");
    var current = new Set(data.current);
    var shown = [];
    // a subprocess holding the tokens is outlined only, so that the task inside it stands out
    function isContainer(id) { return /SubProcess|Transaction/.test(registry.get(id).type); }
    data.completed.forEach(function (id) {
      if (registry.get(id) && !current.has(id)) {
        canvas.addMarker(id, isContainer(id) ? "bj-done-container" : "bj-done");
      }
    });
    current.forEach(function (id) {
      if (!registry.get(id)) { return; }
      if (isContainer(id)) { canvas.addMarker(id, "bj-current-container"); return; }
      canvas.addMarker(id, "bj-current");
      overlays.add(id, "token", {
        position: { top: -10, right: 10 },
        html: '<span class="bj-token" title="' + T("当前位置") + '">●</span>'
      });
      shown.push(id);
    });
    container.dataset.current = shown.join(",");
    container.dataset.state = "ready";
  }).catch(function (err) {
    fail(T("流程图无法显示（cannot show the diagram）：") + (err && err.message ? err.message : err));
  });
})();
