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
      if (el.dataset.chart === "gantt") {
        option = ganttOption(data);
      } else if (el.dataset.chart === "stacked-bar") {
        option = {
          color: data.colors || KIND_COLOURS,
          tooltip: { trigger: "axis" },
          legend: { type: "scroll", top: 0 },
          grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
          xAxis: { type: "category", data: data.committees || data.categories },
          yAxis: { type: "value" },
          series: data.series.map(function (s) {
            return { name: s.name, type: "bar", stack: "total", data: s.data };
          })
        };
      } else if (el.dataset.chart === "hbar") {
        // Stacked horizontal bars: long category names (rule names) stay readable.
        el.style.height = Math.max(160, 48 + 28 * data.categories.length) + "px";
        chart.resize();
        option = {
          color: data.colors || KIND_COLOURS,
          tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
          legend: { type: "scroll", top: 0 },
          grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
          yAxis: { type: "category", data: data.categories, inverse: true,
                   axisLabel: { width: 160, overflow: "truncate", interval: 0 } },
          xAxis: { type: "value", minInterval: 1 },
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

  var DAY = 24 * 3600 * 1000;

  function parseDay(text) {
    var parts = text.split("-");
    return Date.UTC(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
  }

  // A Gantt chart as an ECharts custom series: one bar per stage from start to end.
  function ganttOption(data) {
    var names = data.stages.map(function (s) { return s.stage; });
    var items = data.stages.map(function (s, i) {
      return { name: s.stage, value: [i, parseDay(s.start), parseDay(s.end) + DAY, s.start, s.end] };
    });
    var markLine = data.today ? { silent: true, symbol: "none", data: [{ xAxis: parseDay(data.today) }],
      lineStyle: { color: "#9b1c1c", type: "dashed" }, label: { formatter: "" } } : undefined;
    return {
      tooltip: { formatter: function (p) { return p.name + ": " + p.value[3] + " – " + p.value[4]; } },
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "time" },
      yAxis: { type: "category", data: names, inverse: true },
      series: [{
        type: "custom",
        renderItem: function (params, api) {
          var start = api.coord([api.value(1), api.value(0)]);
          var end = api.coord([api.value(2), api.value(0)]);
          var height = api.size([0, 1])[1] * 0.6;
          return { type: "rect", shape: { x: start[0], y: start[1] - height / 2,
            width: Math.max(2, end[0] - start[0]), height: height },
            style: api.style({ fill: KIND_COLOURS[params.dataIndex % KIND_COLOURS.length] }) };
        },
        encode: { x: [1, 2], y: 0 },
        data: items,
        markLine: markLine
      }]
    };
  }

  // A table frame that scrolls sideways fades at the edge where more columns hide, so a
  // phone user sees there is more to the right (or left) without a scroll bar.
  function markScrollEdges(frame) {
    var more = frame.scrollWidth - frame.clientWidth;
    frame.classList.toggle("xc-more-right", more > 1 && frame.scrollLeft < more - 1);
    frame.classList.toggle("xc-more-left", more > 1 && frame.scrollLeft > 1);
  }

  function watchScrollFrames(root) {
    root.querySelectorAll(".table-responsive").forEach(function (frame) {
      if (!frame.dataset.xcEdges) {
        frame.dataset.xcEdges = "1";
        frame.addEventListener("scroll", function () { markScrollEdges(frame); }, { passive: true });
      }
      markScrollEdges(frame);
    });
  }

  function init(root) {
    applyProgress(root);
    renderCharts(root);
    watchScrollFrames(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target.parentNode || document); });
  // A select with data-reload-param opens the page again with its value in that query
  // parameter (and the anchor data-reload-anchor), so the form shows what the chosen
  // item holds now instead of what was ticked for another.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-reload-param]")) { return; }
    var url = new URL(window.location.href);
    if (select.value) { url.searchParams.set(select.dataset.reloadParam, select.value); }
    else { url.searchParams.delete(select.dataset.reloadParam); }
    url.hash = select.dataset.reloadAnchor || "";
    window.location.assign(url.toString());
  });
  // A search box with data-filter-for="ID" narrows the options of the select with that id
  // to those whose text holds what is typed (groups left empty are hidden too); the
  // chosen option always stays, so the form never sends something else unseen.
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-filter-for]")) { return; }
    var select = document.getElementById(box.dataset.filterFor);
    if (!select) { return; }
    var query = box.value.trim().toLowerCase();
    Array.prototype.forEach.call(select.options, function (option) {
      var keep = !query || !option.value || option.selected ||
        option.text.toLowerCase().indexOf(query) !== -1;
      option.hidden = !keep;
    });
    Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
      group.hidden = !Array.prototype.some.call(group.children, function (o) { return !o.hidden; });
    });
  });
  // A form with data-confirm asks before it is sent (the page has no inline script).
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // A box ticked when the page came (data-confirm-unchecked) and now unticked asks too:
    // unticking it undoes a decision.
    var boxes = event.target.querySelectorAll ? event.target.querySelectorAll("[data-confirm-unchecked]") : [];
    Array.prototype.some.call(boxes, function (box) {
      if (box.defaultChecked && !box.checked && !window.confirm(box.getAttribute("data-confirm-unchecked"))) {
        event.preventDefault();
        return true;
      }
      return false;
    });
  });
  // A page whose content depends on a job's result (data-reload-on-finish) reloads once
  // the job it follows has finished, so badges and results outside the bar are current.
  document.addEventListener("htmx:afterSwap", function () {
    if (document.querySelector("[data-reload-on-finish] [data-job-finished]")) { window.location.reload(); }
  });
  window.addEventListener("resize", function () {
    document.querySelectorAll(".table-responsive").forEach(markScrollEdges);
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });
})();
