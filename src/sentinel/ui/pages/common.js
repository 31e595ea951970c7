// Pieces more than one page shows.

import { h } from "../dom.js";

// What a new user does first: the same words on every page that finds no data.
export function emptyData() {
  return h(
    "section",
    { class: "empty", "aria-labelledby": "empty-title" },
    h("h2", { id: "empty-title" }, "No billing data yet"),
    h("p", {}, "Sentinel has no billing records to show. To try it with mock data (six AWS services, hourly, with a few injected spikes), run:"),
    h("pre", {}, h("code", {}, "make seed            # or: sentinel seed --days 30")),
    h("p", {}, "To load your own export (AWS CUR, FOCUS, Azure), run:"),
    h("pre", {}, h("code", {}, "sentinel import FILE")),
    h("p", {}, "or upload it on the ", h("a", { href: "#/imports" }, "imports page"), ". Then come back here."),
  );
}

export function loading(what) {
  return h("p", { class: "muted", "aria-busy": "true" }, `Loading ${what}…`);
}

// The series view of one service (and slice) around a time range.
export function seriesParams({ service, account_id, region, granularity, start, end }) {
  return { service, account_id, region, granularity, start, end };
}

const DAY = 86_400_000;

// ISO time n days before `iso` (or now).
export function daysBefore(iso, days) {
  const base = iso ? Date.parse(iso) : Date.now();
  return new Date(base - days * DAY).toISOString();
}

export function seriesName(row) {
  const parts = [row.service, row.account_id, row.region].filter((part) => part !== null && part !== undefined);
  return parts.length ? parts.join(" · ") : "all";
}
