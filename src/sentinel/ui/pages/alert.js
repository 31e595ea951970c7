// One alert: what it measured, its root causes, the rating buttons and a link to its series.

import { get, request } from "../api.js";
import { announce, field, fill, h, table } from "../dom.js";
import { count, money, pct, time } from "../format.js";
import { seriesName } from "./common.js";
import { alertSeriesHref } from "./alerts.js";

export const title = "Alert";

const VERDICTS = [
  ["yes", "Yes, a real anomaly"],
  ["no", "No, a false alarm"],
  ["planned", "Planned spend"],
];

function facts(alert) {
  const items = [
    ["Status", alert.status],
    ["Series", seriesName(alert)],
    ["Monitor", alert.monitor_name],
    ["Started", time(alert.started_at)],
    ["Last flagged", time(alert.last_flagged_at)],
    ["Ended", alert.ended_at ? time(alert.ended_at) : "still open"],
    ["Buckets", `${count(alert.bucket_count)} (${alert.granularity})`],
    ["Actual", money(alert.actual)],
    ["Expected", money(alert.expected)],
    ["Impact", `${money(alert.total_impact)} (${pct(alert.impact_pct)})`],
    ["Largest bucket impact", money(alert.max_impact)],
    ["Detector", `${alert.method}, peak score ${alert.peak_score ?? "—"}`],
    ["Feedback", alert.feedback ?? "not rated yet"],
  ];
  return h("dl", { class: "cards facts" }, items.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))));
}

function rootCauses(alert) {
  if (!alert.root_causes.length) return h("p", { class: "muted" }, "No root causes: the series has no slices to compare.");
  return table({
    caption: "Root causes: each slice's actual cost over the alert's buckets against its share of the week before",
    columns: ["Dimension", "Value", "Actual", "Expected", "Contribution"],
    numeric: [2, 3, 4],
    rows: alert.root_causes.map((cause) => [cause.dimension, { th: cause.value }, money(cause.actual), money(cause.expected), money(cause.contribution)]),
    testid: "root-causes-table",
  });
}

function feedbackForm(alert, onRated) {
  const note = h("textarea", { name: "note", rows: "2", maxlength: "2000" });
  const message = h("p", { "aria-live": "polite" });
  const buttons = VERDICTS.map(([verdict, label]) =>
    h(
      "button",
      {
        type: "button",
        "data-testid": `feedback-${verdict}`,
        "aria-pressed": String(alert.feedback === verdict),
        class: alert.feedback === verdict ? null : "secondary",
        onclick: async () => {
          for (const button of buttons) button.disabled = true;
          try {
            await request(`/alerts/${alert.id}/feedback`, { method: "POST", body: { verdict, note: note.value || undefined } });
            announce(`Alert ${alert.id} rated: ${label}.`);
            onRated();
          } catch (error) {
            message.className = "error";
            message.textContent = error.status === 403 ? `${error.message} (rating needs a write key)` : error.message;
            for (const button of buttons) button.disabled = false;
          }
        },
      },
      label,
    ),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "feedback-title" },
    h("h2", { id: "feedback-title" }, "Was this a real anomaly?"),
    h("p", { class: "muted" }, "No and planned close the alert and keep its series quiet for a week unless a bigger one comes."),
    field("Note (optional)", note),
    h("div", { class: "buttons", role: "group", "aria-label": "Rate this alert" }, buttons),
    message,
  );
}

export async function render(main, { match, signal, rerender }) {
  const id = match[1];
  fill(main, h("h1", {}, `Alert #${id}`));
  const alert = await get(`/alerts/${id}`, {}, signal);
  // Its monitor's settings make the series view flag what the alert saw (a deleted monitor: the
  // method's defaults).
  const monitor = await get(`/monitors/${alert.monitor_id}`, {}, signal).catch((error) => {
    if (error.name === "AbortError") throw error;
    return null;
  });
  document.title = `Alert #${id} · Sentinel`;
  fill(main, 
    h("p", {}, h("a", { href: "#/alerts" }, "← All alerts")),
    h("h1", {}, `Alert #${alert.id}: ${seriesName(alert)}`),
    facts(alert),
    h("p", {}, h("a", { href: alertSeriesHref(alert, monitor) }, "See this series around the alert")),
    h("h2", {}, "Root causes"),
    rootCauses(alert),
    feedbackForm(alert, () => rerender()),
  );
}
