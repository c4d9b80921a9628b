/**
 * The page's own script: reads the chart configurations embedded as JSON and hands each to
 * Chart.js. Kept as a string of plain browser JavaScript because the project compiles without the
 * DOM typings (adding them would change globals for every module); all logic that benefits from
 * types (what to plot, how) lives in charts.ts, so this stays a few lines.
 *
 * When done it sets data-charts-rendered on <html> to the number of charts drawn (or
 * data-charts-error), which the browser test and screenshot tools wait for.
 */
export const CLIENT_SCRIPT = `(function () {
  'use strict';
  var root = document.documentElement;
  try {
    var payload = JSON.parse(document.getElementById('deepcut-report-data').textContent);
    if (typeof Chart === 'undefined') throw new Error('Chart.js did not load');
    var body = getComputedStyle(document.body);
    Chart.defaults.font.family = body.fontFamily;
    Chart.defaults.color = body.color;
    var drawn = 0;
    payload.charts.forEach(function (spec) {
      var canvas = document.getElementById(spec.id);
      if (!canvas) return;
      new Chart(canvas, spec.config);
      drawn += 1;
    });
    root.setAttribute('data-charts-rendered', String(drawn));
  } catch (err) {
    root.setAttribute('data-charts-error', String(err && err.message || err));
    var note = document.getElementById('charts-error');
    if (note) { note.hidden = false; note.textContent = 'Charts could not be drawn: ' + (err && err.message || err); }
    throw err;
  }
})();
`;
