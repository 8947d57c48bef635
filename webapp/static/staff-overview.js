/* Charts of the staff overview (Chart.js); the numbers come as JSON in the page. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("overview-data").textContent);
  if (!window.Chart) { return; }

  /* FAQ titles as lines of at most `width` characters: Chart.js draws an
     array label as several lines instead of clipping one long line. */
  function wrap(text, width) {
    var lines = [], line = "";
    String(text).split(/\s+/).forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines;
  }
  new window.Chart(document.getElementById("chart-days"), {
    type: "bar",
    data: {
      labels: data.days,
      datasets: [
        { label: "Conversations", data: data.conversations, backgroundColor: "#0b4f8a" },
        { label: "Booking requests", data: data.bookings, backgroundColor: "#f2a900" }
      ]
    },
    options: { animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  new window.Chart(document.getElementById("chart-share"), {
    type: "doughnut",
    data: {
      labels: ["Answered", "Fallback"],
      datasets: [{ data: [data.answered, data.fallback], backgroundColor: ["#1e6b2e", "#a4161a"] }]
    },
    options: { animation: false, aspectRatio: 1.6 }
  });
  new window.Chart(document.getElementById("chart-topics"), {
    type: "bar",
    data: {
      labels: data.topics.map(function (t) { return wrap(t[0], 28); }),
      datasets: [{ label: "Answers", data: data.topics.map(function (t) { return t[1]; }), backgroundColor: "#0b4f8a" }]
    },
    options: { animation: false, indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
