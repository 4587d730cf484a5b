// The first requests of a page load, started by the entry module before
// React and the screens are evaluated, so they travel while the script
// runs instead of one after the other: the session check, and the first
// request of the screen the page opened on when that screen says so
// (prefetchFirst). They carry the same cookie as everything after them: a
// request the session does not allow is answered 401 and dropped with the
// session (dropPrefetched), never shown.
import { api } from "./api/client";

/** Pending is an API request on its way (what call() takes). */
type Pending = Promise<{ data?: unknown; error?: unknown; response: Response }>;

let sessionCheck: Pending | null = api.GET("/api/v1/auth/me");

/** takeSessionCheck returns the session check started at load the first time, a new one after. */
export function takeSessionCheck(): Pending {
  const p = sessionCheck ?? api.GET("/api/v1/auth/me");
  sessionCheck = null;
  return p;
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
  if (firstPath !== "/reports") return;
  const requestId = new URLSearchParams(qs ?? "").get("request_id") ?? "";
  const query = { limit: 100, ...(requestId ? { request_id: requestId } : {}) };
  prefetch(key("/api/v1/reports/calls", query), api.GET("/api/v1/reports/calls", { params: { query } }));
}

prefetchFirst();
