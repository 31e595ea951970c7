// Hash routes (#/series?service=EC2&granularity=day): the server serves one page, bookmarks and
// the back button keep the view and its parameters, and no key or state goes to the server.

export function current() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  return { path: path || "/", params: Object.fromEntries(new URLSearchParams(query)) };
}

export function href(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, value);
  }
  const text = query.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

// Change the parameters of the current view without a new history entry per keystroke.
export function replaceParams(params) {
  history.replaceState(null, "", href(current().path, params));
}

export function go(path, params) {
  location.hash = href(path, params);
}
