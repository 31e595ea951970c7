// Spend per service over the last 30 days of data, with open alerts marked on the chart, the
// totals, and the biggest movers (the last 7 days against the 7 before, per service). Reads
// daily aggregates (/billing/costs) and the open alerts, never raw records.

import { get } from "../api.js";
import { colour, lineChart, themeColours } from "../chart.js";
import { fill, h, table } from "../dom.js";
import { change, count, money } from "../format.js";
import { href } from "../router.js";
import { emptyData, loading } from "./common.js";

export const title = "Overview";
const LINES = 8; // services drawn one by one; the rest as one "other services" line
const DAY = 86_400;

function dayKey(iso) {
  return Math.floor(Date.parse(iso) / 1000 / DAY) * DAY;
}

// Per service: daily costs on the common axis, 30-day total, last 7 and the 7 before.
function perService(costs) {
  const days = [...new Set(costs.map((row) => dayKey(row.bucket)))].sort((a, b) => a - b);
  const index = new Map(days.map((day, i) => [day, i]));
  const last = days.at(-1);
  const services = new Map();
  for (const row of costs) {
    let entry = services.get(row.service);
    if (!entry) {
      entry = { service: row.service, values: days.map(() => null), total: 0, last7: 0, prev7: 0 };
      services.set(row.service, entry);
    }
    const day = dayKey(row.bucket);
    entry.values[index.get(day)] = (entry.values[index.get(day)] ?? 0) + row.cost;
    entry.total += row.cost;
    const age = (last - day) / DAY;
    if (age < 7) entry.last7 += row.cost;
    else if (age < 14) entry.prev7 += row.cost;
  }
  const list = [...services.values()].sort((a, b) => b.total - a.total);
  return { days, index, list };
}

function chartSeries({ days, index, list }, openAlerts) {
  const drawn = list.slice(0, LINES);
  const rest = list.slice(LINES);
  const series = drawn.map((entry, i) => ({ label: entry.service, values: entry.values, stroke: colour(i) }));
  if (rest.length) {
    const values = days.map((_, i) => rest.reduce((sum, entry) => (entry.values[i] === null ? sum : (sum ?? 0) + entry.values[i]), null));
    series.push({ label: `${rest.length} other services`, values, stroke: colour(LINES) });
  }
  // An open alert is marked on its service's line (or the others' line) at its first day.
  const marks = days.map(() => null);
  for (const alert of openAlerts) {
    const i = index.get(dayKey(alert.started_at));
    if (i === undefined || !alert.service) continue;
    const line = drawn.findIndex((entry) => entry.service === alert.service);
    const target = line >= 0 ? series[line] : series[drawn.length];
    if (target && target.values[i] !== null) marks[i] = Math.max(marks[i] ?? 0, target.values[i]);
  }
  if (marks.some((v) => v !== null)) {
    series.push({ label: "Open alerts", values: marks, stroke: themeColours().flag, pointsOnly: true });
  }
  return series;
}

function cards(list, openAlerts) {
  const total = list.reduce((sum, entry) => sum + entry.total, 0);
  const last7 = list.reduce((sum, entry) => sum + entry.last7, 0);
  const prev7 = list.reduce((sum, entry) => sum + entry.prev7, 0);
  return h(
    "dl",
    { class: "cards" },
    h("div", {}, h("dt", {}, "Spend, last 30 days"), h("dd", {}, money(total))),
    h("div", {}, h("dt", {}, "Last 7 days"), h("dd", {}, money(last7))),
    h("div", {}, h("dt", {}, "Against the 7 days before"), h("dd", {}, prev7 ? change(last7 / prev7 - 1) : "—")),
    h("div", {}, h("dt", {}, "Open alerts"), h("dd", {}, h("a", { href: "#/alerts?status=open" }, count(openAlerts.length)))),
    h("div", {}, h("dt", {}, "Services"), h("dd", {}, count(list.length))),
  );
}

function changeCell(entry) {
  const delta = entry.last7 - entry.prev7;
  const ratio = entry.prev7 ? delta / entry.prev7 : null;
  return h("span", { class: delta > 0 ? "up" : delta < 0 ? "down" : null }, `${delta >= 0 ? "+" : ""}${money(delta)} (${change(ratio)})`);
}

function seriesLink(service) {
  return h("a", { href: href("/series", { service, granularity: "day" }) }, service);
}

function movers(list) {
  const moved = [...list].sort((a, b) => Math.abs(b.last7 - b.prev7) - Math.abs(a.last7 - a.prev7)).slice(0, 5);
  return table({
    caption: "Biggest movers: the last 7 days of data against the 7 before",
    columns: ["Service", "Last 7 days", "7 days before", "Change"],
    numeric: [1, 2, 3],
    rows: moved.map((entry) => [{ th: seriesLink(entry.service) }, money(entry.last7), money(entry.prev7), changeCell(entry)]),
    testid: "movers-table",
  });
}

function services(list, openAlerts) {
  const openBy = new Map();
  for (const alert of openAlerts) openBy.set(alert.service, (openBy.get(alert.service) ?? 0) + 1);
  return table({
    caption: "Spend per service, last 30 days of data",
    columns: ["Service", "30 days", "Last 7 days", "Change against the 7 before", "Open alerts"],
    numeric: [1, 2, 3, 4],
    rows: list.map((entry) => {
      const open = openBy.get(entry.service) ?? 0;
      return [
        { th: seriesLink(entry.service) },
        money(entry.total),
        money(entry.last7),
        changeCell(entry),
        open ? h("a", { href: href("/alerts", { status: "open", service: entry.service }) }, h("span", { class: "badge open" }, `${open} open`)) : "—",
      ];
    }),
    testid: "services-table",
  });
}

export async function render(main, { signal }) {
  const body = h("div", {}, loading("spend"));
  fill(main, h("h1", {}, "Overview"), body);
  const [costs, openAlerts] = await Promise.all([
    get("/billing/costs", { granularity: "day", group_by: "service" }, signal),
    get("/alerts", { status: "open", limit: 1000 }, signal),
  ]);
  // Marks for bench/bench_dashboard.py and the browser tests: when the data came, when drawn.
  performance.mark("overview-data");
  if (!costs.length) {
    // Nothing in the last 30 days of data means nothing at all (the range ends at the latest
    // stored record); /summary says so for certain.
    const summary = await get("/billing/summary", {}, signal);
    if (!summary.length) {
      fill(body, emptyData());
      return;
    }
  }
  const data = perService(costs);
  const container = h("div", { class: "chart", "data-testid": "overview-chart" });
  const first = data.days.length ? new Date(data.days[0] * 1000).toISOString().slice(0, 10) : "";
  const last = data.days.length ? new Date(data.days.at(-1) * 1000).toISOString().slice(0, 10) : "";
  fill(body, 
    cards(data.list, openAlerts),
    h(
      "figure",
      {},
      h("figcaption", { id: "overview-caption" }, `Daily spend per service, ${first} to ${last} (UTC days; the latest may be a day in progress); red points mark the first day of an open alert. The tables below give the same numbers.`),
      container,
    ),
    h("h2", {}, "Biggest movers"),
    movers(data.list),
    h("h2", {}, "Services"),
    services(data.list, openAlerts),
  );
  container.setAttribute("aria-describedby", "overview-caption");
  lineChart(container, { xs: data.days, series: chartSeries(data, openAlerts), height: 340, utc: true });
  performance.mark("overview-drawn");
}
