// Draws every chart of a board from its JSON data block, and refreshes live boards.
// Options are parsed as JSON (never evaluated), so nothing from the data runs as code.
(function () {
  "use strict";

  function draw(element) {
    const block = document.getElementById(element.dataset.options);
    const chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(JSON.parse(block.textContent));
    return chart;
  }

  const charts = Array.from(document.querySelectorAll("[data-chart]")).map(draw);
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
  document.body.dataset.rendered = String(charts.length);

  // A live board (served, not a file on disk) asks for fresh data every few seconds.
  const seconds = Number(document.body.dataset.refresh || 0);
  if (!seconds || location.protocol === "file:") return;
  const url = document.body.dataset.refreshUrl + location.search;
  let refreshes = 0;

  function apply(data) {
    Object.entries(data.charts).forEach(function ([key, options]) {
      const element = document.querySelector('[data-chart="' + CSS.escape(key) + '"]');
      if (element) echarts.getInstanceByDom(element).setOption(options, { notMerge: true });
    });
    Object.entries(data.cards).forEach(function ([key, texts]) {
      const card = document.querySelector('[data-card="' + CSS.escape(key) + '"]');
      if (!card) return;
      card.querySelector(".value").textContent = texts.value;
      card.querySelector(".change").textContent = texts.change;
    });
    refreshes += 1;
    document.body.dataset.refreshes = String(refreshes);
  }

  setInterval(function () {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("refresh failed: HTTP " + response.status);
        return response.json();
      })
      .then(apply)
      .catch(function (error) { console.warn(String(error)); });
  }, seconds * 1000);
})();
