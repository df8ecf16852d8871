// The city summary's weekly line (templates/_city_summary.html): Chart.js, served from /static/vendor, draws the
// figures the page carries as JSON (the Content-Security-Policy runs no inline script). The same figures are in
// the table beside the chart; the two lines differ by dash and point shape as well as colour.
(function () {
  "use strict";
  var canvas = document.getElementById("summary-chart");
  var source = document.getElementById("summary-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);

  function dayMonth(iso) {  // "2020-09-07" → "07.09", as the department writes dates
    var parts = iso.split("-");
    return parts[2] + "." + parts[1];
  }

  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.weeks.map(dayMonth),
      datasets: [
        {label: canvas.dataset.completionsLabel, data: data.completions, borderColor: "#1e7d3a",
         backgroundColor: "#1e7d3a", pointStyle: "circle", pointRadius: 3, borderWidth: 2, spanGaps: false},
        {label: canvas.dataset.deadlinesLabel, data: data.deadlines, borderColor: "#1f5fa8",
         backgroundColor: "#1f5fa8", pointStyle: "triangle", pointRadius: 4, borderWidth: 2, borderDash: [6, 4]}
      ]
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: {mode: "index", intersect: false},
      scales: {y: {beginAtZero: true, ticks: {precision: 0}}},
      plugins: {legend: {labels: {usePointStyle: true}}}
    }
  });
  canvas.setAttribute("data-ready", "true");
}());
