// Alerts newest first, filtered by status, service, start and impact; each links to its page
// (root causes, feedback, the series). Pages through the API's keyset (Link rel="next").

import { nextPage, request } from "../api.js";
import { field, fill, h, select, table } from "../dom.js";
import { count, money, pct, time } from "../format.js";
import { href, replaceParams } from "../router.js";
import { loading, seriesName } from "./common.js";

export const title = "Alerts";
const PAGE = 100;

function filters(params, onChange) {
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": "Filter alerts",
      onsubmit: (event) => {
        event.preventDefault();
        const data = Object.fromEntries(new FormData(form));
        onChange(data);
      },
    },
    field("Status", select("status", [["", "Any"], ["open", "Open"], ["closed", "Closed"]], params.status)),
    field("Service", h("input", { name: "service", value: params.service ?? "", placeholder: "e.g. EC2" })),
    field("Started on or after", h("input", { name: "since", type: "date", value: params.since ?? "" })),
    field("Impact at least ($)", h("input", { name: "min_impact", type: "number", min: "0", step: "any", value: params.min_impact ?? "" })),
    h("div", { class: "field" }, h("button", { type: "submit" }, "Apply filters")),
  );
  return form;
}

function statusBadge(alert) {
  return h("span", { class: `badge ${alert.status}` }, alert.status);
}

function rows(alerts) {
  return alerts.map((alert) => [
    { th: h("a", { href: `#/alerts/${alert.id}`, "aria-label": `Alert ${alert.id}: ${seriesName(alert)}` }, `#${alert.id}`) },
    seriesName(alert),
    statusBadge(alert),
    time(alert.started_at),
    count(alert.bucket_count),
    money(alert.total_impact),
    pct(alert.impact_pct),
    alert.feedback ?? "—",
    alert.monitor_name,
  ]);
}

function apiParams(params) {
  const since = params.since ? `${params.since}T00:00:00Z` : undefined;
  return { status: params.status, service: params.service, since, min_impact: params.min_impact, limit: PAGE };
}

export async function render(main, { params, signal, rerender }) {
  const results = h("div", {}, loading("alerts"));
  fill(main, 
    h("h1", {}, "Alerts"),
    h("p", { class: "muted" }, "Anomaly events raised by the monitors; open one for its root causes and to rate it."),
    filters(params, (chosen) => {
      replaceParams(chosen);
      rerender();
    }),
    results,
  );
  const first = await request("/alerts", { params: apiParams(params), signal });
  const alerts = [...first.data];
  if (!alerts.length) {
    const filtered = Object.values(params).some((value) => value);
    fill(results, 
      h(
        "p",
        { class: "empty" },
        filtered
          ? "No alert matches these filters."
          : [
              "No alerts yet. Monitors raise them when new data shows an anomaly: the monitor \"all services\" watches everything from the start. The mock data of ",
              h("code", {}, "sentinel seed"),
              " holds a few spikes; see the ",
              h("a", { href: "#/monitors" }, "monitors"),
              ".",
            ],
      ),
    );
    return;
  }
  const columns = ["Alert", "Series", "Status", "Started", "Buckets", "Impact", "Impact %", "Feedback", "Monitor"];
  const grid = table({ caption: "Alerts, newest first", columns, rows: rows(alerts), testid: "alerts-table", numeric: [4, 5, 6] });
  const more = h("button", { type: "button", class: "secondary" }, "Load more alerts");
  let before = nextPage(first.headers, "before_id");
  more.hidden = !before;
  more.addEventListener("click", async () => {
    more.disabled = true;
    const page = await request("/alerts", { params: { ...apiParams(params), before_id: before } });
    const body = grid.querySelector("tbody");
    const extra = table({ caption: "", columns, rows: rows(page.data), numeric: [4, 5, 6] });
    body.append(...extra.querySelector("tbody").children);
    before = nextPage(page.headers, "before_id");
    more.hidden = !before;
    more.disabled = false;
  });
  fill(results, grid, more);
}

// The series view around an alert: a few buckets of context either side, at its granularity,
// with its monitor's detector settings when the monitor is known.
export function alertSeriesHref(alert, monitor) {
  const hour = 3_600_000;
  const span = alert.granularity === "day" ? 14 * 24 * hour : 3 * 24 * hour;
  const start = new Date(Date.parse(alert.started_at) - span).toISOString();
  const end = new Date(Date.parse(alert.ended_at ?? alert.last_flagged_at) + span).toISOString();
  return href("/series", {
    service: alert.service,
    account_id: alert.account_id,
    region: alert.region,
    granularity: alert.granularity,
    method: alert.method,
    window: monitor?.window,
    threshold: monitor?.threshold,
    direction: monitor?.direction,
    min_impact: monitor?.min_impact,
    min_pct: monitor?.min_pct,
    min_daily_pct: monitor?.min_daily_pct,
    start,
    end,
  });
}
