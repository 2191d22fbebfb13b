/* The coverage page's chart: per method (and group), how often used and the minimum.
   No inline scripts: the data comes from a json_script element. */
(function () {
  "use strict";

  function render() {
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll("[data-coverage-chart]").forEach(function (el) {
      var node = document.getElementById(el.dataset.coverageChart);
      if (!node) { return; }
      var data = JSON.parse(node.textContent);
      // One bar pair per line: grow the chart with the number of lines.
      el.style.height = Math.max(240, 48 + data.categories.length * 34) + "px";
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption({
        color: ["#2980b9", "#c0392b"],
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: data.categories, inverse: true,
          axisLabel: { width: 180, overflow: "truncate" } },
        series: data.series.map(function (s, i) {
          return { name: s.name, type: "bar", data: s.data, barGap: "10%",
            itemStyle: i === 1 ? { opacity: 0.45 } : undefined };
        })
      });
      chart.resize();
      el.setAttribute("data-rendered", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", render);
  window.addEventListener("resize", function () {
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll("[data-coverage-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });
})();
