// One service's cost per bucket with the detector's expected band and its flagged buckets
// (/billing/series), over a chosen range, as one series or split by account or region.

import { get } from "../api.js";
import { colour, lineChart, themeColours } from "../chart.js";
import { field, fill, h, select, table } from "../dom.js";
import { money, pct, time } from "../format.js";
import { replaceParams } from "../router.js";
import { emptyData, loading, seriesName } from "./common.js";

export const title = "Series";
const DAY = 86_400_000;
const RANGES = [
  ["", "Latest (30 days daily, 7 days hourly)"],
  ["7d", "Last 7 days of data"],
  ["30d", "Last 30 days of data"],
  ["90d", "Last 90 days of data"],
  ["custom", "Dates…"],
];
// Detector settings an alert's link carries (its monitor's), so the flags here are the alert's.
const TUNING = ["window", "threshold", "direction", "min_impact", "min_pct", "min_daily_pct"];
const GROUPS = [
  ["service", "Service total"],
  ["service,account_id", "Per account"],
  ["service,region", "Per region"],
];

// [start, end) for the API from the chosen range; null leaves the server's default.
async function rangeOf(params, signal) {
  if (params.start || params.end) {
    if (params.range === "custom") {
      const end = params.end ? new Date(Date.parse(`${params.end}T00:00:00Z`) + DAY).toISOString() : undefined;
      const start = params.start ? `${params.start}T00:00:00Z` : undefined;
      return { start, end };
    }
    return { start: params.start, end: params.end };
  }
  const days = Number.parseInt(params.range, 10);
  if (!days) return {};
  // "Last N days of data": up to the service's latest day, not today (an export may be old).
  const recent = await get("/billing/costs", { granularity: "day", group_by: "service", service: params.service }, signal);
  if (!recent.length) return {};
  const latest = Date.parse(recent.at(-1).bucket) + DAY;
  return { start: new Date(latest - days * DAY).toISOString(), end: new Date(latest).toISOString() };
}

function controls(params, services, onChange) {
  const custom = params.range === "custom";
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": "Choose the series",
      onsubmit: (event) => {
        event.preventDefault();
        const data = Object.fromEntries(new FormData(form));
        if (data.range !== "custom") {
          delete data.start;
          delete data.end;
        }
        onChange(data);
      },
    },
    field("Service", select("service", services.map((name) => [name, name]), params.service)),
    field("Granularity", select("granularity", [["", "Automatic"], ["hour", "Hourly"], ["day", "Daily"]], params.granularity)),
    field("Range", select("range", RANGES, params.range ?? "")),
    custom ? field("From (UTC day)", h("input", { type: "date", name: "start", value: params.start?.slice(0, 10) ?? "" })) : null,
    custom ? field("To (UTC day, included)", h("input", { type: "date", name: "end", value: params.end?.slice(0, 10) ?? "" })) : null,
    field("Split", select("group_by", GROUPS, params.group_by ?? "service")),
    field("Detector", select("method", [["", "Recommended"], ["seasonal", "seasonal"], ["trailing", "trailing"], ["robust", "robust"]], params.method)),
    h("div", { class: "field" }, h("button", { type: "submit" }, "Show")),
  );
  // The range's date fields appear as soon as "Dates…" is chosen.
  form.elements.range.addEventListener("change", () => {
    if (form.elements.range.value === "custom" && !form.elements.start) onChange({ ...Object.fromEntries(new FormData(form)) });
  });
  return form;
}

function bySeries(rows) {
  const groups = new Map();
  for (const row of rows) {
    const key = seriesName(row);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(row);
  }
  return groups;
}

// The flagged buckets as points, drawn (and named in data-series) only when there are any.
function flaggedSeries(values, theme) {
  return values.some((value) => value !== null) ? [{ label: "Flagged", values, stroke: theme.flag, pointsOnly: true }] : [];
}

function chartData(groups, picked) {
  const theme = themeColours();
  // A series has the buckets its records fall in (a sparse slice has gaps): one series is drawn
  // on its own buckets, several on all of theirs, each line joining its own points.
  const shown = picked ? [groups.get(picked)] : [...groups.values()];
  const xs = [...new Set(shown.flat().map((row) => Date.parse(row.bucket) / 1000))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const column = (rows, value) => {
    const values = xs.map(() => null);
    for (const row of rows) values[at.get(Date.parse(row.bucket) / 1000)] = value(row);
    return values;
  };
  const flagged = (rows) => column(rows, (row) => (row.anomaly ? row.cost : null));
  if (picked) {
    const rows = groups.get(picked);
    return {
      xs,
      series: [
        { label: `${picked}: cost`, values: column(rows, (row) => row.cost), stroke: colour(0), width: 2 },
        { label: "Expected", values: column(rows, (row) => row.expected), stroke: theme.expected, dash: [6, 4] },
        { label: "Upper bound", values: column(rows, (row) => row.upper_bound), stroke: theme.band, width: 1, noPoints: true },
        { label: "Lower bound", values: column(rows, (row) => row.lower_bound), stroke: theme.band, width: 1, noPoints: true },
        ...flaggedSeries(flagged(rows), theme),
      ],
      bands: [[2, 3]],
    };
  }
  const series = [...groups.entries()].map(([name, rows], i) => ({
    label: name,
    values: column(rows, (row) => row.cost),
    stroke: colour(i),
    spanGaps: true,
  }));
  const marks = xs.map(() => null);
  for (const rows of groups.values()) {
    flagged(rows).forEach((value, i) => {
      if (value !== null) marks[i] = Math.max(marks[i] ?? value, value);
    });
  }
  series.push(...flaggedSeries(marks, theme));
  return { xs, series, bands: [] };
}

function flaggedTable(rows, granularity) {
  const flagged = rows.filter((row) => row.anomaly);
  if (!flagged.length) return h("p", { class: "muted" }, "The detector flags no bucket in this range.");
  return table({
    caption: `Flagged ${granularity === "day" ? "days" : "hours"}: cost against the expected`,
    columns: ["Bucket", "Series", "Cost", "Expected", "Band", "Impact", "Impact %", "Score"],
    numeric: [2, 3, 5, 6, 7],
    rows: flagged.map((row) => [
      { th: time(row.bucket, { withTime: granularity !== "day" }) },
      seriesName(row),
      money(row.cost),
      money(row.expected),
      row.lower_bound === null ? "—" : `${money(row.lower_bound)} – ${money(row.upper_bound)}`,
      money(row.impact),
      pct(row.impact_pct),
      row.z_score === null ? "—" : row.z_score.toFixed(1),
    ]),
    testid: "flagged-table",
  });
}

function pickSeries(groups, picked, onPick) {
  if (groups.size < 2) return null;
  const choice = select("pick", [["", `All ${groups.size} series (cost only)`], ...[...groups.keys()].map((name) => [name, name])], picked);
  choice.addEventListener("change", () => onPick(choice.value));
  return h("div", { class: "row" }, field("Show the expected band of", choice));
}

export async function render(main, { params, signal, rerender }) {
  const body = h("div", {}, loading("the series"));
  fill(main, h("h1", {}, "Series"), body);
  const summary = await get("/billing/summary", {}, signal);
  if (!summary.length) {
    fill(body, emptyData());
    return;
  }
  const services = summary.map((row) => row.service);
  // Without a choice, the service that costs the most.
  const biggest = summary.reduce((top, row) => (row.total_cost > top.total_cost ? row : top)).service;
  const chosen = { ...params, service: services.includes(params.service) ? params.service : biggest };
  const update = (next) => {
    replaceParams(next);
    rerender();
  };
  const form = controls(chosen, services, update);
  fill(body, form, loading(`${chosen.service}`));
  const range = await rangeOf(chosen, signal);
  // An alert's link names its slice (account, region): split by exactly those columns.
  const sliced = ["service", chosen.account_id && "account_id", chosen.region && "region"].filter(Boolean).join(",");
  const groupBy = chosen.group_by ?? sliced;
  const rows = await get(
    "/billing/series",
    {
      service: chosen.service,
      account_id: chosen.account_id,
      region: chosen.region,
      granularity: chosen.granularity,
      method: chosen.method,
      ...Object.fromEntries(TUNING.map((name) => [name, chosen[name]])),
      group_by: groupBy,
      ...range,
    },
    signal,
  );
  if (!rows.length) {
    fill(body, form, h("p", { class: "empty" }, `No ${chosen.service} costs in this range. Choose a longer range or another service.`));
    return;
  }
  const granularity = rows[0].granularity;
  const groups = bySeries(rows);
  const picked = groups.size === 1 ? [...groups.keys()][0] : groups.has(chosen.pick) ? chosen.pick : null;
  const data = chartData(groups, picked);
  const container = h("div", { class: "chart", "data-testid": "series-chart" });
  container.dataset.flagged = String(rows.filter((row) => row.anomaly).length);
  const first = rows.reduce((min, row) => (row.bucket < min ? row.bucket : min), rows[0].bucket);
  const last = rows.reduce((max, row) => (row.bucket > max ? row.bucket : max), rows[0].bucket);
  fill(body, 
    form,
    pickSeries(groups, picked, (value) => update({ ...chosen, pick: value })),
    h(
      "figure",
      {},
      h(
        "figcaption",
        { id: "series-caption" },
        `${chosen.service}, ${granularity === "day" ? "daily" : "hourly"} cost from `,
        time(first),
        " to ",
        time(last),
        picked
          ? `, with the ${rows[0].method} detector's expected cost and band; red points are flagged buckets (listed below).`
          : `, one line per series; red points are flagged buckets (listed below).`,
      ),
      container,
    ),
    h("h2", {}, "Flagged buckets"),
    flaggedTable(rows, granularity),
  );
  container.setAttribute("aria-describedby", "series-caption");
  lineChart(container, { ...data, height: 360, utc: granularity === "day" });
}
