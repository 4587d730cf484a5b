import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { ApiError } from "./api/client";
import { useSession } from "./session";

/** useLoad runs a fetch on mount and whenever deps change; reload() runs it again. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: string; loading: boolean; reload: () => void; setData: (t: T) => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);
  const [n, setN] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let live = true;
    setLoading(true);
    fnRef
      .current()
      .then((d) => {
        if (live) {
          setData(d);
          setError("");
        }
      })
      .catch((e: unknown) => live && setError(e instanceof ApiError || e instanceof Error ? e.message : String(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, loading, reload, setData };
}

/** useInterval calls fn every ms while active. */
export function useInterval(fn: () => void, ms: number, active = true) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (!active) return;
    const t = window.setInterval(() => ref.current(), ms);
    return () => window.clearInterval(t);
  }, [ms, active]);
}

/** useTime formats API times (RFC 3339) in the account's time zone. */
export function useTime() {
  const { timeZone } = useSession();
  // One formatter per time zone: making one costs far more than using it,
  // and a report page formats hundreds of times.
  const f = useMemo(() => new Intl.DateTimeFormat("sv-SE", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }), [timeZone]);
  return useCallback(
    (s?: string | null) => {
      if (!s) return "";
      const d = new Date(s);
      if (isNaN(d.getTime()) || d.getFullYear() < 1971) return "";
      return f.format(d);
    },
    [f],
  );
}

export function PageHead({ title, children, intro }: { title: string; children?: ReactNode; intro?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        <h1>{title}</h1>
        {intro && <p className="muted intro">{intro}</p>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </div>
  );
}

export function ErrorBox({ text }: { text: string }) {
  return text ? (
    <div className="alert alert-error" role="alert">
      {text}
    </div>
  ) : null;
}

export function Badge({ text, tone }: { text: string; tone?: string }) {
  const t =
    tone ??
    ({
      Completed: "ok",
      Finished: "ok",
      COMPLETE: "ok",
      "In process": "info",
      Running: "info",
      IN_PROCESS: "info",
      Scheduled: "muted",
      Created: "muted",
      PENDING: "muted",
      Paused: "warn",
      Cancelled: "bad",
      INVALID: "bad",
      SCRUBBED: "warn",
      active: "ok",
      disabled: "muted",
      "awaiting approval": "warn",
      approved: "ok",
      rejected: "bad",
      superseded: "muted",
      transactional: "info",
      enabled: "ok",
      requested: "warn",
    } as Record<string, string>)[text] ??
    "muted";
  return <span className={`badge badge-${t}`}>{text}</span>;
}

/** localInput converts a datetime-local value to RFC 3339 (browser's zone). */
export function localToRFC3339(v: string): string {
  if (!v) return "";
  const d = new Date(v);
  return isNaN(d.getTime()) ? "" : d.toISOString();
}

/** dayStartRFC3339 / dayEndRFC3339: a YYYY-MM-DD date field as an RFC 3339 bound. */
export function dayStart(v: string): string {
  return v ? new Date(v + "T00:00:00").toISOString() : "";
}
export function dayEnd(v: string): string {
  if (!v) return "";
  const d = new Date(v + "T00:00:00");
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}

export function pct(n: number | undefined): string {
  return `${(n ?? 0).toFixed(1)}%`;
}

/** wavSeconds is the length of a WAV clip, read from its header (byte rate
 * and data size), or undefined when buf is not a WAV. */
export function wavSeconds(buf: ArrayBuffer): number | undefined {
  const v = new DataView(buf);
  const tag = (o: number) => String.fromCharCode(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2), v.getUint8(o + 3));
  if (buf.byteLength < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") return undefined;
  let byteRate = 0;
  for (let o = 12; o + 8 <= buf.byteLength; ) {
    const id = tag(o);
    const n = v.getUint32(o + 4, true);
    if (id === "fmt " && o + 20 <= buf.byteLength) byteRate = v.getUint32(o + 16, true);
    if (id === "data") return byteRate ? Math.min(n, buf.byteLength - o - 8) / byteRate : undefined;
    o += 8 + n + (n & 1);
  }
  return undefined;
}
