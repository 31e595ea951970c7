// The one way pages talk to the server: JSON over fetch, the API key from sessionStorage (never
// from or into a URL), and problem+json errors turned into messages a person can read.

const KEY_NAME = "sentinel.apiKey";
export const API = "/api/v1";

export function getKey() {
  return sessionStorage.getItem(KEY_NAME);
}

export function setKey(key) {
  sessionStorage.setItem(KEY_NAME, key.trim());
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_NAME);
}

// A failed request: status, the problem's detail, and the field it names (if any).
export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
  }
  // 401: no key, or one the server does not know; the page shows the key form.
  get needsKey() {
    return this.status === 401;
  }
}

function authHeaders() {
  const key = getKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// Build "/api/v1/path?a=1&b=2" from an object, leaving out empty values.
export function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, value);
  }
  const text = query.toString();
  return `${API}${path}${text ? `?${text}` : ""}`;
}

async function errorOf(response) {
  let detail = `${response.status} ${response.statusText}`;
  let field;
  try {
    const body = await response.json();
    if (body.detail) detail = body.detail;
    field = body.errors?.[0]?.field;
  } catch {
    // Not JSON (a proxy's page, a cut connection): the status line is all there is.
  }
  return new ApiError(response.status, messageFor(response.status, detail), field);
}

function messageFor(status, detail) {
  if (status === 403) return `Not allowed with this API key: ${detail}`;
  if (status === 503) return `The server is busy or its database is unreachable: ${detail}`;
  return detail;
}

// GET (or another method with a JSON body); resolves to {data, headers}.
export async function request(path, { method = "GET", params, body, signal } = {}) {
  const headers = { Accept: "application/json", ...authHeaders() };
  const init = { method, headers, signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url(path, params), init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "The server did not answer; is `sentinel serve` running?");
  }
  if (!response.ok) throw await errorOf(response);
  const data = response.status === 204 ? null : await response.json();
  return { data, headers: response.headers };
}

export async function get(path, params, signal) {
  return (await request(path, { params, signal })).data;
}

// The next page's before_id from a Link: <...>; rel="next" header, or null.
export function nextPage(headers, param) {
  const link = headers.get("Link");
  const match = link && /<([^>]+)>\s*;\s*rel="next"/.exec(link);
  if (!match) return null;
  return new URL(match[1], location.origin).searchParams.get(param);
}

// The raw file as the body (the import takes no form upload), through XMLHttpRequest because
// fetch reports no upload progress. onProgress gets the fraction sent (0..1).
export function upload(path, file, params, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url(path, params));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // handled below
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else {
        const detail = body?.detail ?? `${xhr.status} ${xhr.statusText}`;
        reject(new ApiError(xhr.status, messageFor(xhr.status, detail), body?.errors?.[0]?.field));
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "The upload was cut off.")));
    xhr.send(file);
  });
}
