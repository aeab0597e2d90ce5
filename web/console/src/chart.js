// Durations of runs as bars coloured by status (uPlot): how an operator sees at a glance that last night's backup
// took three times as long, or failed. A click on a bar (or Enter on its row in the table below) opens the run.
import uPlot from 'uplot';
import { h } from './dom.js';
import { durationText, statusText, statusTone, timeSpanMs, timeText } from './format.js';
import { navigate } from './nav.js';

function toneColour(tone) {
  return getComputedStyle(document.documentElement).getPropertyValue(`--tone-${tone}`).trim() || '#888';
}

/**
 * A chart of `sessions` (newest first, as the API lists them), drawn oldest on the left. Returns the element
 * and a function that removes the chart.
 */
export function durationChart(sessions, { label }) {
  const runs = [...sessions].reverse();
  const xs = runs.map((_, i) => i);
  const seconds = runs.map((s) => timeSpanMs(s.executionDuration) / 1000);
  const colours = runs.map((s) => toneColour(statusTone(s.status)));
  const plot = h('div', { class: 'chart-plot', role: 'img',
    'aria-label': `${label}: durations of the last ${runs.length} runs; the table below lists them.` });
  const rows = runs.map((s) => h('tr', {},
    h('td', {}, h('a', { href: `/sessions/${encodeURIComponent(s.id)}` }, `#${s.id}`)),
    h('td', {}, statusText(s.status)), h('td', {}, timeText(s.executionStartTime)),
    h('td', { class: 'number' }, durationText(timeSpanMs(s.executionDuration)))));
  const table = h('details', { class: 'chart-table' }, h('summary', {}, 'The runs as a table'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Session', 'Status', 'Start', 'Duration']
      .map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows.reverse())));
  const element = h('figure', { class: 'chart' }, h('figcaption', {}, label), plot, table);
  if (runs.length === 0) {
    plot.replaceWith(h('p', { class: 'empty' }, 'No runs yet.'));
    return { element, remove: () => {} };
  }

  const axisColour = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#666';
  const options = {
    width: 600,
    height: 220,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: { x: { time: false, range: [-0.5, runs.length - 0.5] }, y: { range: (u, min, max) => [0, max * 1.1 || 1] } },
    axes: [
      { stroke: axisColour, grid: { show: false }, ticks: { show: false },
        values: (u, values) => values.map((v) => (Number.isInteger(v) && runs[v] ? `#${runs[v].id}` : '')) },
      { stroke: axisColour, size: 70, values: (u, values) => values.map((v) => durationText(v * 1000)) },
    ],
    series: [
      {},
      {
        label: 'Duration',
        width: 0,
        paths: uPlot.paths.bars({ size: [0.8, 48], disp: { fill: { unit: 3, values: () => colours } } }),
        points: { show: false },
      },
    ],
  };
  const chart = new uPlot(options, [xs, seconds], plot);
  chart.over.addEventListener('click', () => {
    const index = chart.cursor.idx;
    if (index !== null && index !== undefined && runs[index]) {
      navigate(`/sessions/${encodeURIComponent(runs[index].id)}`);
    }
  });
  chart.over.title = 'Open a run';
  const resize = new ResizeObserver(() => {
    chart.setSize({ width: Math.max(240, plot.clientWidth), height: 220 });
  });
  resize.observe(plot);
  return {
    element,
    remove: () => {
      resize.disconnect();
      chart.destroy();
    },
  };
}
