/* 督查统计: draws the two charts from the page's JSON (a bar per window, a line per month) with Chart.js; the
   legend's words come with the data, in the page language (data.legend). */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var words = data.legend || {};
  function say(key, fallback) { return words[key] || fallback; }
  var bars = document.getElementById("chart-windows");
  if (bars) {
    new Chart(bars, {
      type: "bar",
      data: {
        labels: data.windows,
        datasets: [
          { label: say("accepted", "accepted"), data: data.accepted, backgroundColor: "#4e79a7" },
          { label: say("completed", "completed"), data: data.completed, backgroundColor: "#59a14f" },
          { label: say("overdue", "overdue"), data: data.overdue, backgroundColor: "#e15759" },
          { label: say("deemed", "deemed"), data: data.deemed, backgroundColor: "#f28e2b" }
        ]
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  var line = document.getElementById("chart-trend");
  if (line) {
    new Chart(line, {
      type: "line",
      data: {
        labels: data.months,
        datasets: [
          { label: say("accepted", "accepted"), data: data.trend_accepted, borderColor: "#4e79a7", yAxisID: "y" },
          { label: say("completed", "completed"), data: data.trend_completed, borderColor: "#59a14f", yAxisID: "y" },
          { label: say("rate", "on time %"), data: data.trend_rate, borderColor: "#e15759", borderDash: [4, 4],
            yAxisID: "rate", spanGaps: true }
        ]
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } },
                           rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } } } }
    });
  }
  document.documentElement.setAttribute("data-charts", "drawn");
})();
