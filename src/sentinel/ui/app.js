// The dashboard's shell: picks the page for the hash route, shows the key form when the server
// asks for a key (401), and redraws when the route, the theme or the time zone choice changes.

import { forgetKey, getKey, setKey } from "./api.js";
import { announce, field, fill, h } from "./dom.js";
import { chooseUtc, utcChosen } from "./format.js";
import { current } from "./router.js";
import * as alertPage from "./pages/alert.js";
import * as alerts from "./pages/alerts.js";
import * as imports from "./pages/imports.js";
import * as monitors from "./pages/monitors.js";
import * as overview from "./pages/overview.js";
import * as series from "./pages/series.js";

const ROUTES = [
  [/^\/$/, overview],
  [/^\/series$/, series],
  [/^\/alerts$/, alerts],
  [/^\/alerts\/(\d+)$/, alertPage],
  [/^\/monitors$/, monitors],
  [/^\/imports$/, imports],
];

const NOT_FOUND = {
  title: "Page not found",
  async render(main) {
    fill(main, 
      h("h1", {}, "Page not found"),
      h("p", {}, "There is no such page here. ", h("a", { href: "#/" }, "Go to the overview"), "."),
    );
  },
};

let inFlight = null;

function pageFor(path) {
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(path);
    if (match) return { page, match };
  }
  return { page: NOT_FOUND, match: null };
}

function markNav(path) {
  for (const link of document.querySelectorAll("nav a[data-route]")) {
    const route = link.dataset.route;
    const active = route === "/" ? path === "/" : path === route || path.startsWith(`${route}/`);
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.getElementById("forget-key").hidden = !getKey();
}

function keyForm(main, message) {
  const input = h("input", { type: "password", name: "key", autocomplete: "off", required: true, spellcheck: "false" });
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: (event) => {
        event.preventDefault();
        setKey(input.value);
        announce("API key kept for this browser tab.");
        render();
      },
    },
    field("API key", input, "Kept in this tab's session storage until you close it or press Forget key."),
    h("button", { type: "submit" }, "Use this key"),
  );
  fill(main, 
    h("h1", {}, "API key needed"),
    h("p", { class: "error", role: "alert" }, message),
    h("p", {}, "This server asks for an API key. Create one with ", h("code", {}, "sentinel keys create --name dash --scope read"), " (write to rate alerts and import, admin to change monitors)."),
    form,
  );
  document.title = "API key needed · Sentinel";
  input.focus();
}

export async function render({ focus = false } = {}) {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const { path, params } = current();
  const { page, match } = pageFor(path);
  const main = document.getElementById("main");
  markNav(path);
  document.title = `${page.title} · Sentinel`;
  try {
    await page.render(main, { params, match, signal: controller.signal, rerender: render });
    // After a navigation, start reading at the new page (unless it focused a field itself).
    if (focus && !main.contains(document.activeElement)) main.focus();
  } catch (error) {
    if (error.name === "AbortError" || controller.signal.aborted) return;
    if (error.needsKey) {
      keyForm(main, getKey() ? `The key was refused: ${error.message}` : error.message);
      return;
    }
    main.append(h("p", { class: "error", role: "alert" }, error.message));
    console.warn(error);
  }
}

function start() {
  const toggle = document.getElementById("utc-toggle");
  toggle.checked = utcChosen();
  toggle.addEventListener("change", () => {
    chooseUtc(toggle.checked);
    announce(toggle.checked ? "Times shown in UTC." : "Times shown in your time zone.");
    render();
  });
  document.getElementById("forget-key").addEventListener("click", () => {
    forgetKey();
    announce("API key forgotten.");
    render();
  });
  window.addEventListener("hashchange", () => render({ focus: true }));
  // The charts' colours come from the theme's CSS variables: redraw when the system flips.
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => render());
  render();
}

start();
