// A small element builder: every value goes in as text or an attribute, never as HTML, so a
// service name or a note from the API cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

// A table with a caption and column headers (scope=col); rows are arrays of cells, a cell a
// value or a {th: true} row header.
export function table({ caption, columns, rows, testid, numeric = [] }) {
  return h(
    "table",
    { "data-testid": testid },
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        columns.map((name, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, name)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((cells) =>
        h(
          "tr",
          {},
          cells.map((cell, i) => {
            const attrs = { class: numeric.includes(i) ? "num" : null };
            if (cell && typeof cell === "object" && "th" in cell) {
              return h("th", { ...attrs, scope: "row" }, cell.th);
            }
            return h("td", attrs, cell);
          }),
        ),
      ),
    ),
  );
}

// Say something to screen readers and sighted users alike (the aria-live region in index.html).
export function announce(message, kind = "info") {
  const status = document.getElementById("status");
  status.dataset.kind = kind;
  status.textContent = "";
  // A fresh text node, so the same message twice is read twice.
  requestAnimationFrame(() => {
    status.textContent = message;
  });
  // The toast goes away; what it said stays on the page where it matters.
  clearTimeout(Number(status.dataset.timer));
  status.dataset.timer = String(setTimeout(() => {
    status.textContent = "";
  }, 8000));
}

// A labelled field: <label for> + control, the way every form here is built.
let fieldCount = 0;
export function field(labelText, control, hint) {
  fieldCount += 1;
  const id = control.id || `field-${fieldCount}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, labelText),
    control,
    hint ? h("small", { id: hintId, class: "muted" }, hint) : null,
  );
}

export function select(name, options, chosen) {
  return h(
    "select",
    { name },
    options.map(([value, text]) => h("option", { value, selected: String(value) === String(chosen ?? "") }, text)),
  );
}

// replaceChildren that skips null/false (replaceChildren itself would print "null").
export function fill(element, ...children) {
  element.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
}
