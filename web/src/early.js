// The first requests of a page load, from a tiny classic script of their
// own that runs as soon as it is here (async), while the entry module
// still downloads and compiles: the session check, the first page of rows when
// the page opens on the Reports screen, and that screen's code
// (modulepreload). Plain fetch, no imports: boot.ts takes the requests
// (window.__syEarly), and makes them itself when this script came too
// late (it then finds __syEarly set to false and does nothing).
// The build (vite.config.ts) lists each screen module's chunk files in
// index.html's meta sy-screens.
(() => {
  if (window.__syEarly === false) return;
  const get = (url) => {
    const p = fetch(url, { credentials: "same-origin" }).then(async (response) => {
      const body = await response.json().catch(() => undefined);
      return response.ok ? { data: body, response } : { error: body, response };
    });
    p.catch(() => {});
    return p;
  };
  const [path, qs] = (location.hash.replace(/^#/, "") || "/").split("?", 2);
  const early = { path, me: get("/api/v1/auth/me") };
  const screens = { "/reports": "Reports" };
  let chunks = {};
  try {
    chunks = JSON.parse(document.querySelector('meta[name="sy-screens"]')?.content || "{}");
  } catch {
    /* no preload then */
  }
  for (const href of chunks[screens[path]] || []) {
    const l = document.createElement("link");
    l.rel = "modulepreload";
    l.href = href;
    document.head.append(l);
  }
  if (path === "/reports") {
    const requestId = new URLSearchParams(qs || "").get("request_id") || "";
    const query = requestId ? { limit: 100, request_id: requestId } : { limit: 100 };
    early.reports = { query, p: get("/api/v1/reports/calls?" + new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))) };
  }
  window.__syEarly = early;
})();
