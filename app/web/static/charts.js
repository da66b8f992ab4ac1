// Draws every chart whose figure the page embedded as JSON: <div id="X"> with <script id="X-data">.
(function () {
  document.querySelectorAll("div.chart").forEach(function (el) {
    var source = document.getElementById(el.id + "-data");
    if (!source || !window.Plotly) { return; }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(el, figure.data, figure.layout, { responsive: true, displaylogo: false });
  });
})();
