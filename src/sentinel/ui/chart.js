// Line charts on uPlot (vendor/uplot, window.uPlot). Canvas needs real colours, so they are read
// from the CSS variables of the current theme; app.js redraws the page when the theme changes.
//
// For tests and screen readers the container says what it draws: data-series (JSON list of the
// series names) and data-points (values drawn, all series); pages put it in a <figure> whose
// caption and nearby table say the same in words.

import { money, moneyShort, utcChosen } from "./format.js";

const PALETTE = 10;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export function colour(i) {
  return cssVar(`--chart-${(i % PALETTE) + 1}`);
}

export function themeColours() {
  return {
    text: cssVar("--text"),
    grid: cssVar("--grid"),
    band: cssVar("--band"),
    expected: cssVar("--expected"),
    flag: cssVar("--flag"),
  };
}

// The chart's time axis and legend in the zone the viewer chose (uPlot works in local time
// unless given a tzDate); day buckets are UTC days, so they are always shown in UTC.
function tzDate(utc) {
  return utc || utcChosen() ? (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC") : undefined;
}

/**
 * Draw a line chart into `container`.
 * xs: bucket times in seconds; series: [{label, values, stroke?, dash?, fill?, pointsOnly?,
 * hidden?, width?, spanGaps?, noPoints?}]; bands: [[upperIndex, lowerIndex]] (indexes into series, 0-based);
 * utc: draw the time axis in UTC whatever the viewer chose (day buckets).
 */
export function lineChart(container, { xs, series, bands = [], height = 320, utc = false }) {
  const theme = themeColours();
  const axis = { stroke: theme.text, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid } };
  const options = {
    width: Math.max(container.clientWidth, 300),
    height,
    tzDate: tzDate(utc),
    cursor: { focus: { prox: 16 } },
    focus: { alpha: 0.4 },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [axis, { ...axis, size: 70, values: (u, values) => values.map(moneyShort) }],
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        stroke: s.stroke ?? colour(i),
        width: s.width ?? 1.5,
        dash: s.dash,
        fill: s.fill,
        show: !s.hidden,
        value: (u, v) => (v === null || v === undefined ? "—" : money(v)),
        spanGaps: s.spanGaps ?? false,
        ...(s.pointsOnly
          ? { paths: () => null, points: { show: true, size: 9, width: 2, stroke: s.stroke, fill: s.stroke } }
          : s.noPoints
            ? { points: { show: false } }
            : {}), // uPlot shows a line's points only where they are far enough apart
      })),
    ],
    bands: bands.map(([upper, lower]) => ({ series: [upper + 1, lower + 1], fill: theme.band })),
  };
  container.replaceChildren();
  const chart = new uPlot(options, [xs, ...series.map((s) => s.values)], container);

  const drawn = series.filter((s) => !s.hidden);
  const points = drawn.reduce((sum, s) => sum + s.values.filter((v) => v !== null && v !== undefined).length, 0);
  container.dataset.series = JSON.stringify(drawn.map((s) => s.label));
  container.dataset.points = String(points);

  // Follow the container's width (window resizes, the nav wrapping).
  const observer = new ResizeObserver(() => {
    if (!container.isConnected) {
      observer.disconnect();
      chart.destroy();
      return;
    }
    chart.setSize({ width: Math.max(container.clientWidth, 300), height });
  });
  observer.observe(container);
  return chart;
}
