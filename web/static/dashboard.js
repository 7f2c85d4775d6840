// The dashboard's charts, drawn from the API's answers embedded in the page
// (#dashboard-data): nothing here computes what the API does not return.
"use strict";

(function () {
  const source = document.getElementById("dashboard-data");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const colors = {
    tactical: "#d9822b",
    operational: "#f2c14e",
    strategic: "#2b6cb0",
    capability_building: "#38a169",
    line: "#1a202c",
    contract: "#c53030",
  };
  const labels = {
    tactical: "Tactical",
    operational: "Operational",
    strategic: "Strategic",
    capability_building: "Capability building",
  };

  function hours() {
    const canvas = document.getElementById("hours-chart");
    const weeks = data.engagement.weeks;
    if (!canvas || !weeks.length) return;
    const bars = Object.keys(labels).map(function (key) {
      return {
        type: "bar",
        label: labels[key],
        data: weeks.map(function (w) { return w.hours[key] || 0; }),
        backgroundColor: colors[key],
        stack: "hours",
        yAxisID: "y",
        order: 2,
      };
    });
    const share = {
      type: "line",
      label: "Strategic share (%)",
      data: weeks.map(function (w) { return w.strategic_pct; }),
      borderColor: colors.line,
      backgroundColor: colors.line,
      yAxisID: "share",
      tension: 0.2,
      order: 1,
    };
    const datasets = bars.concat([share]);
    const coverage = data.engagement.coverage;
    if (coverage) {
      datasets.push({
        type: "line",
        label: "Contracted hours per week",
        data: weeks.map(function () { return coverage.contracted_hours_per_week; }),
        borderColor: colors.contract,
        borderDash: [6, 4],
        pointRadius: 0,
        yAxisID: "y",
        order: 0,
      });
    }
    new window.Chart(canvas, {
      data: { labels: weeks.map(function (w) { return w.week; }), datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: "Hours" } },
          share: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "Strategic %" } },
        },
      },
    });
  }

  function ladder() {
    const canvas = document.getElementById("ladder-chart");
    const history = data.positioning.history;
    if (!canvas || !history.length) return;
    const levels = data.ladder;
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: history.map(function (p) { return p.date; }),
        datasets: [{
          label: "Value Ladder level",
          data: history.map(function (p) { return levels.indexOf(p.level); }),
          stepped: true,
          borderColor: colors.strategic,
          backgroundColor: colors.strategic,
        }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: {
          y: { min: 0, max: levels.length - 1, ticks: { stepSize: 1, callback: function (v) { return levels[v] || ""; } } },
        },
      },
    });
  }

  function usage() {
    const canvas = document.getElementById("usage-chart");
    const days = data.usage.days;
    if (!canvas || !days.length) return;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: days.map(function (d) { return d.date; }),
        datasets: [{ label: "Tokens", data: days.map(function (d) { return d.spend.usage.total_tokens; }), backgroundColor: colors.strategic }],
      },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } } },
    });
  }

  hours();
  ladder();
  usage();
})();
