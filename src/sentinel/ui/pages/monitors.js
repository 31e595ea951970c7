// Monitors: the list, and a form to create one or edit one (admin key; a 403 says so). Left
// empty, a field takes the detector's default, as the API fills it in.

import { get, request } from "../api.js";
import { announce, field, fill, h, select, table } from "../dom.js";
import { money } from "../format.js";
import { loading } from "./common.js";

export const title = "Monitors";
const COLUMNS = ["service", "account_id", "region"];
const NUMBERS = [
  ["threshold", "Threshold", "The detector's score a bucket must pass"],
  ["min_impact", "Minimum impact ($)", "0 turns the floor off"],
  ["min_pct", "Minimum change (% of expected)", ""],
  ["min_daily_pct", "Minimum share of daily spend (%)", "0 turns it off"],
];

function listOf(text) {
  const values = text.split(",").map((value) => value.trim()).filter(Boolean);
  return values.length ? values : undefined;
}

function describeFilter(filter) {
  const parts = Object.entries(filter ?? {})
    .filter(([, values]) => values && Object.keys(values).length)
    .map(([name, values]) => `${name}: ${Array.isArray(values) ? values.join(", ") : JSON.stringify(values)}`);
  return parts.length ? parts.join("; ") : "everything";
}

function monitorForm(monitor, onSaved) {
  const editing = Boolean(monitor);
  const m = monitor ?? {};
  const number = (name) => h("input", { name, type: "number", min: "0", step: "any", value: m[name] ?? "" });
  const text = (name, value, extra = {}) => h("input", { name, value: value ?? "", ...extra });
  const groupBy = h(
    "fieldset",
    {},
    h("legend", {}, "Series per"),
    COLUMNS.map((column) =>
      h("label", {}, h("input", { type: "checkbox", name: "group_by", value: column, checked: (m.group_by ?? ["service"]).includes(column) }), ` ${column}`),
    ),
  );
  const message = h("p", { "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "monitor-form-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const data = new FormData(form);
        const body = {
          name: data.get("name"),
          method: data.get("method") || undefined,
          granularity: data.get("granularity"),
          group_by: data.getAll("group_by"),
          window: data.get("window") || undefined,
          direction: data.get("direction"),
          enabled: data.get("enabled") === "on",
          filter: {
            service: listOf(data.get("filter_service")),
            account_id: listOf(data.get("filter_account_id")),
            region: listOf(data.get("filter_region")),
            tags: m.filter?.tags ?? undefined,
          },
        };
        for (const [name] of NUMBERS) {
          const value = data.get(name);
          if (value !== "") body[name] = Number(value);
        }
        try {
          const saved = editing
            ? await request(`/monitors/${m.id}`, { method: "PUT", body })
            : await request("/monitors", { method: "POST", body });
          announce(`Monitor "${saved.data.name}" ${editing ? "saved" : "created"}.`);
          onSaved();
        } catch (error) {
          message.className = "error";
          message.setAttribute("role", "alert");
          message.textContent =
            error.status === 403 ? `Changing monitors needs an admin API key. ${error.message}` : error.message;
        }
      },
    },
    h("h2", { id: "monitor-form-title" }, editing ? `Edit monitor "${m.name}"` : "New monitor"),
    h(
      "div",
      { class: "grid-form" },
      field("Name", text("name", m.name, { required: true, maxlength: "128" })),
      field("Method", select("method", [["", "Recommended"], ["seasonal", "seasonal"], ["trailing", "trailing"], ["robust", "robust"]], m.method)),
      field("Granularity", select("granularity", [["hour", "hour"], ["day", "day"]], m.granularity ?? "hour")),
      field("Direction", select("direction", [["up", "up (spend rising)"], ["down", "down"], ["both", "both"]], m.direction ?? "up")),
      field("Window", text("window", m.window, { placeholder: "e.g. 7d, 36h" }), "Default: the method's"),
      NUMBERS.map(([name, label, hint]) => field(label, number(name), hint || undefined)),
      field("Only services", text("filter_service", m.filter?.service?.join(", ")), "Comma-separated; empty: all"),
      field("Only accounts", text("filter_account_id", m.filter?.account_id?.join(", "))),
      field("Only regions", text("filter_region", m.filter?.region?.join(", "))),
    ),
    groupBy,
    h("label", {}, h("input", { type: "checkbox", name: "enabled", checked: m.enabled ?? true }), " Enabled"),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, editing ? "Save monitor" : "Create monitor")),
    h("p", { class: "muted" }, "Creating and changing monitors needs an API key with the admin scope when keys are required."),
    message,
  );
  return form;
}

export async function render(main, { params, signal, rerender }) {
  fill(main, h("h1", {}, "Monitors"), loading("monitors"));
  const monitors = await get("/monitors", {}, signal);
  const editing = params.edit ? monitors.find((m) => String(m.id) === params.edit) : null;
  const formSlot = h("div", {}, monitorForm(editing, () => {
    history.replaceState(null, "", "#/monitors");
    rerender();
  }));
  const rows = monitors.map((m) => [
    { th: m.name },
    m.method,
    m.granularity,
    m.group_by.join(", "),
    m.direction,
    m.min_impact === null ? "—" : money(m.min_impact),
    describeFilter(m.filter),
    m.enabled ? "yes" : "no",
    h("a", { href: `#/monitors?edit=${m.id}`, "aria-label": `Edit monitor ${m.name}` }, "Edit"),
  ]);
  fill(main, 
    h("h1", {}, "Monitors"),
    h("p", { class: "muted" }, "A monitor is a saved scope and detector; it raises alerts on the data that arrives after it was created."),
    monitors.length
      ? table({
          caption: "Monitors",
          columns: ["Name", "Method", "Granularity", "Series per", "Direction", "Min impact", "Watches", "Enabled", "Action"],
          rows,
          testid: "monitors-table",
        })
      : h("p", { class: "empty" }, "No monitors. Create one below."),
    editing ? h("p", {}, h("a", { href: "#/monitors" }, "New monitor instead")) : null,
    formSlot,
  );
  if (editing) formSlot.querySelector("input[name=name]").focus();
}
