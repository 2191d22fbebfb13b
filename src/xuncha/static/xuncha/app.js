/* Xuncha page behaviour. No inline scripts: the Content-Security-Policy forbids them. */
(function () {
  "use strict";

  function applyProgress(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.progress))) + "%";
    });
  }

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var KIND_COLOURS = ["#c0392b", "#d35400", "#f39c12", "#16a085", "#2980b9", "#8e44ad", "#7f8c8d"];

  function renderCharts(root) {
    if (typeof window.echarts === "undefined") { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = readJson(el.dataset.source);
      if (!data) { return; }
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "svg" });
      var option;
      if (el.dataset.chart === "stacked-bar") {
        option = {
          color: KIND_COLOURS,
          tooltip: { trigger: "axis" },
          legend: { type: "scroll", top: 0 },
          grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
          xAxis: { type: "category", data: data.committees },
          yAxis: { type: "value" },
          series: data.series.map(function (s) {
            return { name: s.name, type: "bar", stack: "total", data: s.data };
          })
        };
      } else {
        option = {
          color: KIND_COLOURS,
          tooltip: { trigger: "item" },
          legend: { type: "scroll", bottom: 0 },
          series: [{ type: "pie", radius: ["35%", "65%"], data: data.people }]
        };
      }
      chart.setOption(option);
      el.setAttribute("data-rendered", "true");
    });
  }

  function init(root) {
    applyProgress(root);
    renderCharts(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target.parentNode || document); });
  window.addEventListener("resize", function () {
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });
})();
