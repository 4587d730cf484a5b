import { lazy, memo, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, call } from "../api/client";
import type { Agent, AgentStatus, QueueStatus } from "../api/types";
import { Field } from "../ui/Field";
import { useToast } from "../ui/Toast";
import { ErrorBox, PageHead } from "../util";
import type { DayBucket, Sample } from "./WallboardCharts";

// The charts (uPlot) are their own chunk, fetched once the board is up.
const Charts = lazy(() => import("./WallboardCharts"));

type Row = AgentStatus;
type Mode = "listen" | "whisper" | "barge";
interface Monitor {
  id: string;
  agent_id: number;
  mode: Mode;
  connected: boolean;
}

/** The states the filter offers: the ACD's, plus 3-way (a supervisor barged in). */
const FILTERS = [
  ["", "All states"],
  ["logged_in", "Logged in"],
  ["available", "Available"],
  ["ringing", "Ringing (incoming)"],
  ["on_call", "On call"],
  ["three_way", "3-way"],
  ["wrap_up", "Wrap-up (filling disposition)"],
  ["paused", "Paused"],
  ["logged_out", "Logged out"],
] as const;

/** shownState is the state the board shows: on a call with a supervisor barged in is 3-way. */
export function shownState(a: Row): string {
  if (a.state === "on_call" && a.monitored === "barge") return "three_way";
  return a.state ?? "logged_out";
}
const LABEL: Record<string, string> = { logged_out: "Logged out", available: "Available", ringing: "Ringing", on_call: "On call", three_way: "3-way", wrap_up: "Wrap-up", paused: "Paused" };
export function matches(a: Row, state: string, q: string): boolean {
  const s = shownState(a);
  if (state === "logged_in" ? s === "logged_out" : state && s !== state) return false;
  if (!q) return true;
  return [a.name, a.customer, a.queue, a.reason, a.customer_id].some((v) => v && v.toLowerCase().includes(q));
}
const clock = (secs: number) => {
  const s = Math.max(0, Math.floor(secs));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? `${h}:${String(m).padStart(2, "0")}` : `${m}`) + `:${String(r).padStart(2, "0")}`;
};
const aht = (n?: number) => (n ? clock(n) : "–");

/**
 * The wallboard's live state: every agent and queue row from the
 * supervisor stream (Server-Sent Events, no polling). Updates are applied
 * to a map and rendered at most once per animation frame, so hundreds of
 * changes a second cost one render each frame.
 */
function useBoard() {
  const agents = useRef(new Map<number, Row>());
  const queues = useRef(new Map<number, QueueStatus>());
  const [version, setVersion] = useState(0);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState("");
  // Counters of answered / abandoned per queue, to move the day chart's
  // current interval as calls end.
  const deltas = useRef({ answered: 0, abandoned: 0, timed_out: 0, joined: 0 });
  useEffect(() => {
    let frame = 0;
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; setVersion((v) => v + 1); });
    };
    let es: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      // Batched: the latest row of each agent and queue every 100 ms.
      es = new EventSource("/api/v1/supervisor/stream?batch_ms=100");
      es.addEventListener("agent", (e) => {
        const a = JSON.parse((e as MessageEvent<string>).data) as Row & { t?: number };
        a.t = performance.now();
        agents.current.set(a.agent_id!, a);
        schedule();
      });
      es.addEventListener("queue", (e) => {
        const q = JSON.parse((e as MessageEvent<string>).data) as QueueStatus;
        const old = queues.current.get(q.queue_id!);
        if (old) {
          const d = deltas.current;
          d.answered += Math.max(0, (q.answered ?? 0) - (old.answered ?? 0));
          d.abandoned += Math.max(0, (q.abandoned ?? 0) - (old.abandoned ?? 0));
          d.timed_out += Math.max(0, (q.timed_out ?? 0) - (old.timed_out ?? 0));
          d.joined += Math.max(0, (q.joined ?? 0) - (old.joined ?? 0));
        }
        (q as QueueStatus & { t?: number }).t = performance.now();
        queues.current.set(q.queue_id!, q);
        schedule();
      });
      es.addEventListener("ready", () => { setReady(true); setError(""); schedule(); });
      es.onerror = () => {
        // The browser reconnects by itself unless the stream was refused
        // (closed): then try again in a few seconds with a new snapshot.
        if (es && es.readyState === EventSource.CLOSED) {
          setError("The live stream closed; reconnecting…");
          retry = setTimeout(() => { agents.current.clear(); queues.current.clear(); open(); }, 3000);
        }
      };
    };
    open();
    return () => { es?.close(); if (retry) clearTimeout(retry); if (frame) cancelAnimationFrame(frame); };
  }, []);
  return { agents: agents.current, queues: queues.current, version, ready, error, deltas: deltas.current };
}

/** useNow ticks once a second (the time-in-state clocks; no request). */
function useNow() {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  return now;
}

/**
 * useClocks moves every card's time-in-state clock once a second by
 * writing the text of the .wb-clock elements directly: 500 clocks cost a
 * few text writes, not a render of every card.
 */
function useClocks() {
  useEffect(() => {
    const id = setInterval(() => {
      const now = Date.now();
      for (const el of document.querySelectorAll<HTMLElement>(".wb-clock[data-since]")) {
        const t = clock((now - Date.parse(el.dataset.since!)) / 1000);
        if (el.textContent !== t) el.textContent = t;
      }
    }, 1000);
    return () => clearInterval(id);
  }, []);
}

const AgentCard = memo(function AgentCard({ a, canMonitor, monitor, onMonitor, onStop }: {
  a: Row; canMonitor: boolean; monitor?: Monitor;
  onMonitor: (a: Row, m: Mode) => void; onStop: (m: Monitor) => void;
}) {
  const s = shownState(a);
  const since = a.since ? (Date.now() - Date.parse(a.since)) / 1000 : 0;
  const reason = s === "paused" ? a.reason : "";
  return (
    <li className={`wb-agent wb-${s}`} data-agent={a.agent_id} data-state={s} data-since={a.since} aria-label={`${a.name}: ${LABEL[s]}`}>
      <div className="wb-agent-head">
        <strong className="wb-name">{a.name}</strong>
        <span className="wb-clock" title="time in this state" data-since={a.since}>{clock(since)}</span>
      </div>
      <div className="wb-state">
        {LABEL[s]}
        {reason && <span className="wb-reason">: {reason === "missed_ring" ? "missed ring (auto-pause)" : reason}</span>}
        {a.monitored && a.monitored !== "barge" && <span className="wb-mon"> · {a.monitored}</span>}
        {a.registered === false && <span className="wb-unreg"> · phone offline</span>}
      </div>
      {(a.customer || a.queue) && <div className="wb-call">{a.queue && <span>{a.queue}</span>} {a.customer && <span className="wb-cust">{a.customer}</span>}</div>}
      <dl className="wb-figs">
        <div><dt><abbr title="Calls offered">Off.</abbr></dt><dd>{a.calls_offered ?? 0}</dd></div>
        <div><dt><abbr title="Calls answered">Ans.</abbr></dt><dd>{a.calls_answered ?? 0}</dd></div>
        <div><dt><abbr title="Calls abandoned">Aband.</abbr></dt><dd>{a.calls_abandoned ?? 0}</dd></div>
        <div><dt><abbr title="Average handle time (talk and wrap-up)">AHT</abbr></dt><dd>{aht(a.avg_handle_time_secs)}</dd></div>
        <div><dt><abbr title="Average call time (talk)">Avg call</abbr></dt><dd>{aht(a.avg_call_time_secs)}</dd></div>
      </dl>
      {canMonitor && (a.state === "on_call" || monitor) && (
        <div className="wb-actions">
          {monitor ? (
            <button type="button" className="btn btn-small" onClick={() => onStop(monitor)}>
              Stop {monitor.mode}{monitor.connected ? "" : " (calling you…)"}
            </button>
          ) : (
            (["listen", "whisper", "barge"] as Mode[]).map((m) => (
              <button key={m} type="button" className="btn btn-small" onClick={() => onMonitor(a, m)} aria-label={`${m[0].toUpperCase() + m.slice(1)} to ${a.name}`}>
                {m[0].toUpperCase() + m.slice(1)}
              </button>
            ))
          )}
        </div>
      )}
    </li>
  );
});

const QueueTile = memo(function QueueTile({ q, now }: { q: QueueStatus & { t?: number }; now: number }) {
  // The oldest wait grows between updates: count on from when it came.
  const age = q.waiting && q.t ? (performance.now() - q.t) / 1000 : 0;
  void now;
  const sl = q.service_level_pct;
  return (
    <li className="wb-queue" data-queue={q.queue_id} aria-label={`Queue ${q.name}`}>
      <strong>{q.name}</strong>
      <dl>
        <div className={q.waiting ? "wb-hot" : ""}><dt>Waiting</dt><dd data-k="waiting">{q.waiting ?? 0}</dd></div>
        <div><dt>Longest wait</dt><dd>{q.waiting ? clock((q.oldest_wait_secs ?? 0) + age) : "–"}</dd></div>
        <div><dt>Free agents</dt><dd data-k="free">{q.free ?? 0}<span className="muted"> / {q.logged_in ?? 0}</span></dd></div>
        <div className={sl !== undefined && sl < 80 ? "wb-hot" : ""}><dt>Service level</dt><dd>{sl === undefined ? "–" : `${Math.round(sl)}%`}</dd></div>
      </dl>
    </li>
  );
});

const PHONE_KEY = "switchyard.wallboard.phone";

export function WallboardPage() {
  const board = useBoard();
  const now = useNow();
  useClocks();
  const toast = useToast();
  const [q, setQ] = useState("");
  const [state, setState] = useState("");
  const [phone, setPhone] = useState(() => localStorage.getItem(PHONE_KEY) ?? "");
  const [phones, setPhones] = useState<Agent[]>([]);
  const [monitors, setMonitors] = useState<Monitor[]>([]);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [day, setDay] = useState<DayBucket[] | null>(null);
  const [showCharts, setShowCharts] = useState(false);

  useEffect(() => {
    call<{ agents: Agent[] }>(api.GET("/api/v1/agents")).then((r) => setPhones((r.agents ?? []).filter((a) => a.extension || a.number))).catch(() => setPhones([]));
    call<{ monitors: Monitor[] }>(api.GET("/api/v1/supervisor/monitors")).then((r) => setMonitors(r.monitors ?? [])).catch(() => undefined);
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    call<{ buckets: DayBucket[] }>(api.GET("/api/v1/supervisor/day", { params: { query: { from: midnight.toISOString() } } }))
      .then((r) => setDay(r.buckets ?? []))
      .catch(() => setDay([]));
  }, []);
  // The charts' chunk loads once the grid has painted.
  useEffect(() => {
    if (board.ready && !showCharts) {
      const id = setTimeout(() => setShowCharts(true), 50);
      return () => clearTimeout(id);
    }
  }, [board.ready, showCharts]);
  // Agents by state, sampled every 10 s from the live rows (no request).
  useEffect(() => {
    if (!board.ready) return;
    const take = () => {
      const c = { t: Date.now() / 1000, available: 0, on_call: 0, ringing: 0, wrap_up: 0, paused: 0 };
      for (const a of board.agents.values()) {
        const s = a.state as keyof typeof c;
        if (s in c && s !== "t") c[s]++;
      }
      // The first sample twice (10 s apart): a line from the start.
      setSamples((xs) => (xs.length ? [...xs.slice(-2000), c] : [{ ...c, t: c.t - 10 }, c]));
    };
    take();
    const id = setInterval(take, 10000);
    return () => clearInterval(id);
  }, [board.ready, board.agents]);
  // A monitor ends by itself (the call ended, the phone hung up): the
  // agent's row loses "monitored"; forget monitors whose agent shows none.
  useEffect(() => {
    setMonitors((ms) => {
      const keep = ms.filter((m) => {
        const a = board.agents.get(m.agent_id);
        return a && (a.monitored || !m.connected);
      });
      return keep.length === ms.length ? ms : keep;
    });
  }, [board.version, board.agents]);

  const needle = q.trim().toLowerCase();
  const rows = useMemo(() => {
    const out: Row[] = [];
    for (const a of board.agents.values()) if (matches(a, state, needle)) out.push(a);
    // Plain code-point order (as the API sorts): localeCompare over 500
    // names each frame costs milliseconds.
    out.sort((x, y) => ((x.name ?? "") < (y.name ?? "") ? -1 : (x.name ?? "") > (y.name ?? "") ? 1 : (x.agent_id ?? 0) - (y.agent_id ?? 0)));
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [board.version, state, needle]);
  const queueRows = useMemo(() => [...board.queues.values()].sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "")),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [board.version]);
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const a of board.agents.values()) c[shownState(a)] = (c[shownState(a)] ?? 0) + 1;
    return c;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [board.version]);

  const phoneRef = useRef(phone);
  phoneRef.current = phone;
  const startMonitor = useCallback(async (a: Row, mode: Mode) => {
    const phone = phoneRef.current;
    const id = Number(phone);
    if (!id) {
      toast("Pick your phone first (My phone).", "error");
      return;
    }
    try {
      const m = await call<Monitor>(api.POST("/api/v1/supervisor/agents/{id}/monitor", { params: { path: { id: a.agent_id! } }, body: { mode, phone_agent_id: id } }));
      setMonitors((ms) => [...ms, m]);
      toast(`Calling your phone to ${mode === "barge" ? "barge in on" : `${mode} to`} ${a.name}…`, "ok");
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), "error");
    }
  }, [toast]);
  const stopMonitor = useCallback(async (m: Monitor) => {
    try {
      await call(api.DELETE("/api/v1/supervisor/monitors/{id}", { params: { path: { id: m.id } } }));
    } catch {
      /* already ended */
    }
    setMonitors((ms) => ms.filter((x) => x.id !== m.id));
  }, []);
  // Connected once the agent's row shows the mode.
  const monitorOf = (agentID: number) => {
    const m = monitors.find((x) => x.agent_id === agentID);
    if (!m) return undefined;
    const a = board.agents.get(agentID);
    return a?.monitored ? { ...m, connected: true } : m;
  };

  return (
    <>
      <PageHead title="Wallboard" intro="Every agent and queue, live from the supervisor stream. Listen, whisper or barge in from your own phone." />
      <ErrorBox text={board.error} />
      <ul className="wb-queues" aria-label="Queues">
        {queueRows.map((x) => <QueueTile key={x.queue_id} q={x} now={now} />)}
        {board.ready && queueRows.length === 0 && <li className="muted">No queues.</li>}
      </ul>
      <form className="filters" aria-label="Wallboard filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="Global search"><input className="input" type="search" name="q" value={q} placeholder="agent, customer, queue, reason" onChange={(e) => setQ(e.target.value)} /></Field>
        <Field label="State">
          <select className="input" name="state" value={state} onChange={(e) => setState(e.target.value)}>
            {FILTERS.map(([v, l]) => <option key={v} value={v}>{l}{v && v !== "logged_in" ? ` (${counts[v] ?? 0})` : ""}</option>)}
          </select>
        </Field>
        <Field label="My phone">
          <select className="input" name="phone" value={phone} onChange={(e) => { setPhone(e.target.value); localStorage.setItem(PHONE_KEY, e.target.value); }}>
            <option value="">—</option>
            {phones.map((p) => <option key={p.id} value={String(p.id)}>{p.name} ({p.extension || p.number})</option>)}
          </select>
        </Field>
      </form>
      <p className="wb-summary muted" aria-live="polite">
        {board.ready ? `${rows.length} of ${board.agents.size} agents` : "Connecting…"} · {counts.on_call ?? 0} on call · {counts.three_way ?? 0} 3-way · {counts.ringing ?? 0} ringing · {counts.available ?? 0} available · {counts.paused ?? 0} paused · {counts.wrap_up ?? 0} wrap-up
      </p>
      <ul className="wb-grid" aria-label="Agents" data-version={board.version}>
        {rows.map((a) => (
          <AgentCard key={a.agent_id} a={a} canMonitor monitor={monitorOf(a.agent_id!)} onMonitor={startMonitor} onStop={stopMonitor} />
        ))}
      </ul>
      {board.ready && rows.length === 0 && <p className="muted">No agents match.</p>}
      <h2 className="section-title">Over the day</h2>
      {showCharts ? (
        <Suspense fallback={<p className="muted">Loading charts…</p>}>
          <Charts day={day} deltas={board.deltas} version={board.version} samples={samples} />
        </Suspense>
      ) : (
        <p className="muted">Loading charts…</p>
      )}
    </>
  );
}
