// The first requests of a page load, started before React and the screens
// are evaluated, so they travel while the script runs instead of one after
// the other: the session check, and the first request of the screen the
// page opened on when that screen says so (prefetchFirst). early.js, a
// tiny script of its own, starts them before the entry script is even
// compiled; when it came too late, this module starts them. They carry the
// same cookie as everything after them: a request the session does not
// allow is answered 401 and dropped with the session (dropPrefetched),
// never shown.
import { api } from "./api/client";

// (Where a page load's time goes: the benchmark's trace reads the marks.)
performance.mark("sy:boot");

/** Pending is an API request on its way (what call() takes). */
type Pending = Promise<{ data?: unknown; error?: unknown; response: Response }>;

interface Early {
  path: string;
  me: Pending;
  reports?: { query: Record<string, unknown>; p: Pending };
}

declare global {
  interface Window {
    __syEarly?: Early | false;
  }
}

const early = window.__syEarly || undefined;
// Too late for early.js from here on.
window.__syEarly = false;

/**
 * get is a GET as openapi-fetch answers it, started at once (openapi-fetch
 * itself starts its fetch a step later, once the whole entry has run).
 */
function get(url: string): Pending {
  const p = fetch(url, { credentials: "same-origin" }).then(async (response) => {
    const body: unknown = await response.json().catch(() => undefined);
    return response.ok ? { data: body, response } : { error: body, response };
  });
  p.catch(() => {
    /* the caller's call() reports it */
  });
  return p;
}

let sessionCheck: Pending | null = early?.me ?? get("/api/v1/auth/me");
let sessionSettled: unknown;
sessionCheck.then(
  (r) => {
    if (r.response.ok && sessionCheck) sessionSettled = r.data;
  },
  () => {},
);

/** takeSessionCheck returns the session check started at load the first time, a new one after. */
export function takeSessionCheck(): Pending {
  const p = sessionCheck ?? api.GET("/api/v1/auth/me");
  sessionCheck = null;
  sessionSettled = undefined;
  return p;
}

/**
 * takeSettledSession returns the session the check started at load found,
 * if it has already come back (and takes the check): the console then
 * draws the screen in its first render instead of "Loading…" first.
 */
export function takeSettledSession(): unknown {
  const s = sessionSettled;
  if (s !== undefined) takeSessionCheck();
  return s;
}

const prefetched = new Map<string, Pending>();
const settled = new Map<string, unknown>();

function prefetch(k: string, p: Pending) {
  prefetched.set(k, p);
  p.then(
    (r) => {
      if (r.response.ok && prefetched.get(k) === p) settled.set(k, r.data);
    },
    () => {
      /* the screen's own request reports it */
    },
  );
}

function key(path: string, query: Record<string, unknown>): string {
  const q = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => [k, String(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${path}?${new URLSearchParams(q).toString()}`;
}

/**
 * takeSettled returns the body of the request started at load for this
 * path and query if it has already come back with success (and forgets
 * it): a screen draws its first rows in its first render with it.
 */
export function takeSettled(path: string, query: Record<string, unknown>): unknown {
  const k = key(path, query);
  const body = settled.get(k);
  if (body === undefined) return undefined;
  settled.delete(k);
  prefetched.delete(k);
  return body;
}

/**
 * takePrefetched returns the request started at load for this path and
 * query (undefined if none was, or it was taken): a screen's first
 * request uses it instead of asking again.
 */
export function takePrefetched(path: string, query: Record<string, unknown>): Pending | undefined {
  const k = key(path, query);
  const p = prefetched.get(k);
  prefetched.delete(k);
  settled.delete(k);
  return p;
}

/** dropPrefetched forgets requests started at load (the session is gone, or was never there). */
export function dropPrefetched() {
  prefetched.clear();
  settled.clear();
}

const [firstPath, qs] = (window.location.hash.replace(/^#/, "") || "/").split("?", 2);

/** takeFirstPath is the screen the page opened on (hash path). */
export function takeFirstPath(): string {
  return firstPath || "/";
}

/**
 * prefetchFirst starts the first request of the screen in the page's
 * address: the Reports page's first page of rows (the filters it opens
 * with: none, or the request ID of a link from the dashboard).
 */
function prefetchFirst() {
  if (early?.reports && early.path === firstPath) {
    prefetch(key("/api/v1/reports/calls", early.reports.query), early.reports.p);
    return;
  }
  if (firstPath !== "/reports") return;
  const requestId = new URLSearchParams(qs ?? "").get("request_id") ?? "";
  const query = { limit: 100, ...(requestId ? { request_id: requestId } : {}) };
  const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  prefetch(key("/api/v1/reports/calls", query), get(`/api/v1/reports/calls?${search}`));
}

prefetchFirst();
