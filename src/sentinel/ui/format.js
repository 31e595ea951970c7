// Money as money and times in the viewer's zone, with UTC one hover (or one toggle) away.

import { h } from "./dom.js";

const UTC_KEY = "sentinel.utc";

const usd = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });
const usdShort = new Intl.NumberFormat(undefined, {
  style: "currency",
  currency: "USD",
  notation: "compact",
  maximumFractionDigits: 1,
});
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });
const number = new Intl.NumberFormat();

export function money(value) {
  return value === null || value === undefined ? "—" : usd.format(value);
}

// Axis labels: $1.2K rather than $1,234.56.
export function moneyShort(value) {
  return Math.abs(value) < 1000 ? usd.format(value) : usdShort.format(value);
}

// A ratio (0.25 → +25%); null when there is nothing to compare with.
export function change(ratio) {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio) ? "—" : percent.format(ratio);
}

// The API's impact_pct is already in percent.
export function pct(value) {
  return value === null || value === undefined ? "—" : percent.format(value / 100);
}

export function count(value) {
  return number.format(value);
}

// A preference, not a secret: localStorage is fine for it.
export function utcChosen() {
  return localStorage.getItem(UTC_KEY) === "1";
}

export function chooseUtc(on) {
  localStorage.setItem(UTC_KEY, on ? "1" : "0");
}

function parts(withTime) {
  return withTime
    ? { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }
    : { year: "numeric", month: "short", day: "numeric" };
}

export function timeText(iso, { withTime = true, utc = utcChosen() } = {}) {
  if (!iso) return "—";
  const options = { ...parts(withTime), timeZone: utc ? "UTC" : undefined, timeZoneName: withTime ? "short" : undefined };
  return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
}

// <time> with the shown zone as text and the other one (UTC, or local) as its tooltip.
export function time(iso, { withTime = true } = {}) {
  if (!iso) return "—";
  const utc = utcChosen();
  const other = timeText(iso, { withTime: true, utc: !utc });
  return h("time", { datetime: iso, title: other }, timeText(iso, { withTime, utc }));
}

// A day bucket is a UTC date: show it as that date whatever the viewer's zone.
export function day(iso) {
  return h("time", { datetime: iso, title: `${iso.slice(0, 10)} (UTC day)` }, timeText(iso, { withTime: false, utc: true }));
}
