// Import history, and an upload of one export file with its progress. The file goes as the raw
// body (application/octet-stream), as `curl --data-binary` sends it; the server recognises the
// format from the bytes.

import { get, upload } from "../api.js";
import { announce, field, fill, h, table } from "../dom.js";
import { count, time } from "../format.js";
import { loading } from "./common.js";

export const title = "Imports";

function duration(entry) {
  if (!entry.finished_at) return "—";
  const seconds = (Date.parse(entry.finished_at) - Date.parse(entry.started_at)) / 1000;
  return `${seconds.toFixed(1)} s`;
}

function history(imports) {
  if (!imports.length) {
    return h("p", { class: "empty" }, "Nothing imported yet. Upload an export above, or run ", h("code", {}, "sentinel import FILE"), ".");
  }
  return table({
    caption: "Import history, newest first",
    columns: ["File", "Format", "Status", "Rows", "Replaced", "Billing periods", "Started", "Took"],
    numeric: [3, 4, 7],
    rows: imports.map((entry) => [
      { th: entry.file_name },
      entry.format,
      entry.status,
      count(entry.row_count),
      count(entry.replaced_rows),
      entry.billing_periods.join(", ") || "—",
      time(entry.started_at),
      duration(entry),
    ]),
    testid: "imports-table",
  });
}

function uploadForm(onDone) {
  const input = h("input", { type: "file", name: "file", required: true, "data-testid": "import-file", accept: ".csv,.gz,.zip,.parquet,text/csv,application/gzip,application/zip" });
  const progress = h("progress", { max: "1", value: "0", "data-testid": "import-progress", "aria-label": "Upload progress", hidden: true });
  const message = h("p", { "aria-live": "polite" });
  const button = h("button", { type: "submit" }, "Upload and import");
  const form = h(
    "form",
    {
      class: "card narrow",
      "aria-labelledby": "upload-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const file = input.files[0];
        if (!file) return;
        button.disabled = true;
        progress.hidden = false;
        progress.value = 0;
        message.className = "";
        message.textContent = `Uploading ${file.name}…`;
        try {
          const result = await upload("/billing/import", file, { filename: file.name }, (fraction) => {
            progress.value = fraction;
            // The server reads as it receives; the last part is its COPY and commit.
            if (fraction >= 1) message.textContent = `${file.name} sent; importing…`;
          });
          progress.value = 1;
          message.className = "ok";
          message.textContent = `${result.file_name}: ${result.format}, ${result.status}, ${count(result.row_count)} rows.`;
          announce(message.textContent);
          onDone();
        } catch (error) {
          message.className = "error";
          message.textContent = error.status === 403 ? `${error.message} (importing needs a write key)` : error.message;
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h2", { id: "upload-title" }, "Upload an export"),
    h("p", { class: "muted" }, "AWS CUR (CSV, gzip, zip, Parquet), CUR 2.0, FOCUS 1.x or Azure cost CSV. A billing period already imported from the same account is replaced; the same file again stores nothing."),
    field("Export file", input),
    progress,
    h("div", { class: "buttons" }, button),
    message,
  );
  return form;
}

export async function render(main, { signal }) {
  const slot = h("div", {}, loading("the import history"));
  const refresh = async () => {
    fill(slot, history(await get("/billing/imports", { limit: 100 })));
  };
  fill(main, h("h1", {}, "Imports"), uploadForm(refresh), h("h2", {}, "History"), slot);
  fill(slot, history(await get("/billing/imports", { limit: 100 }, signal)));
}
