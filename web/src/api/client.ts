// The typed API client. Every call names a path and method of
// api/openapi.yaml (generated into schema.d.ts at build time), so a console
// call the spec does not have fails `npm run build`.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths as specPaths } from "./schema";

export type Paths = specPaths;

/** ApiError is the API's error body: {"error": {code, message, field}}. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  readonly requestId?: string;
  readonly body: unknown;
  constructor(status: number, code: string, message: string, field?: string, requestId?: string, body?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.requestId = requestId;
    this.body = body;
  }
}

let csrfToken = "";
/** setCSRF stores the session's CSRF token (from login or /auth/me). */
export function setCSRF(token: string) {
  csrfToken = token;
}

let onUnauthorized: () => void = () => {};
/** setUnauthorizedHandler is called when a request answers 401 (session gone). */
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

const csrfMiddleware: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD" && csrfToken) {
      request.headers.set("X-CSRF-Token", csrfToken);
    }
    return request;
  },
};

export const api = createClient<Paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrfMiddleware);

type Result = { data?: unknown; error?: unknown; response: Response };

/**
 * call awaits an openapi-fetch call and returns its body as T, or throws
 * ApiError. Many responses of the spec are described in prose only; T is
 * then the console's own reading of that description (see types.ts).
 */
export async function call<T>(p: Promise<Result>): Promise<T> {
  let r: Result;
  try {
    r = await p;
  } catch (e) {
    throw new ApiError(0, "network", "The server did not answer: check your connection and try again.");
  }
  if (!r.response.ok) {
    throw toApiError(r.response.status, r.error);
  }
  return r.data as T;
}

export function toApiError(status: number, body: unknown): ApiError {
  const e = (body as { error?: { code?: string; message?: string; field?: string; request_id?: string } } | undefined)?.error;
  if (status === 401 && !(e?.code === "unauthorized" && e.message === "wrong email or password")) {
    onUnauthorized();
  }
  if (e && typeof e.message === "string") {
    return new ApiError(status, e.code ?? "error", e.message, e.field || undefined, e.request_id, body);
  }
  return new ApiError(status, "error", `The server answered ${status}.`, undefined, undefined, body);
}

/** href builds a same-origin link to a spec path (downloads: CSV, zip, recordings). */
export function href<P extends keyof Paths>(path: P, query?: Record<string, string | number | undefined>, pathParams?: Record<string, string | number>): string {
  let p = path as string;
  for (const [k, v] of Object.entries(pathParams ?? {})) {
    p = p.replace(`{${k}}`, encodeURIComponent(String(v)));
  }
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${p}?${s}` : p;
}

/** clean drops empty filter values so they are not sent. */
export function clean<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== undefined && v !== null && v !== "") out[k] = v;
  }
  return out as T;
}
