// The agent desk (the "Central Agent Interface"): the agent logs in with
// a login type, pauses with a reason and resumes, sees their state and its
// timer, the call offered or in progress (customer number, customer id),
// disposes it during wrap-up, hangs up or holds it, sees the day's calls,
// the account's embedded widget and the popups of their calls. With the
// browser phone the desk registers a WebRTC phone (phone/phone.ts) and
// answers the calls itself.
import { Fragment, useEffect, useRef, useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { components as C } from "../api/schema";
import { Phone, type PhoneState } from "../phone/phone";
import { useSession } from "../session";
import { useToast } from "../ui/Toast";
import { Badge, ErrorBox, PageHead, useInterval, useLoad, useTime } from "../util";

type MeAgent = C["schemas"]["MeAgent"];
type AgentStatus = C["schemas"]["AgentStatus"];
type PhoneSetup = C["schemas"]["PhoneSetup"];
type DeskCall = C["schemas"]["DeskCall"];
type AgentUI = C["schemas"]["AgentUI"];
type TransferTargets = C["schemas"]["TransferTargets"];

const LOGIN_LABELS: Record<string, string> = { browser: "Browser phone", softphone: "Softphone", deskphone: "Desk phone", mobile: "Mobile phone", landline: "Landline" };
const STATE_LABELS: Record<string, [string, string]> = {
  logged_out: ["Logged out", "muted"],
  available: ["Available", "ok"],
  ringing: ["Incoming call", "info"],
  on_call: ["On call", "info"],
  wrap_up: ["Filling disposition", "warn"],
  paused: ["Paused", "warn"],
};
const PAUSE_REASONS = ["break", "lunch", "training", "meeting", "coaching"];
const DISPOSITIONS = ["sale", "callback", "not_interested", "wrong_number", "resolved", "escalated"];

function clock(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/**
 * fresher keeps the newer of two statuses: an action's answer can arrive
 * after the live feed already showed the next state (a transfer's answer
 * says "on call" while the feed says "wrap-up").
 */
function fresher(cur: AgentStatus | null, next: AgentStatus): AgentStatus {
  if (!cur?.since || !next.since) return next;
  return new Date(next.since).getTime() >= new Date(cur.since).getTime() ? next : cur;
}

interface Popup {
  at: string;
  text: string;
}

export function DeskPage() {
  const { session } = useSession();
  const toast = useToast();
  const fmt = useTime();
  const me = useLoad(() => call<MeAgent>(api.GET("/api/v1/me/agent")), []);
  const ui = useLoad(() => call<AgentUI>(api.GET("/api/v1/agent-ui")), []);
  const [calls, setCalls] = useState<DeskCall[]>([]);
  const [st, setSt] = useState<AgentStatus | null>(null);
  const [loginType, setLoginType] = useState("");
  const [reason, setReason] = useState(PAUSE_REASONS[0]);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState("");
  const [setup, setSetup] = useState<PhoneSetup | null>(null);
  const [otp, setOtp] = useState<PhoneSetup | null>(null);
  const [phone, setPhone] = useState<PhoneState>({ registration: "off", call: "idle" });
  const [held, setHeld] = useState(false);
  // The transfer picker's choice: "q:<queue>" or "a:<agent id>".
  const [target, setTarget] = useState("");
  const [targets, setTargets] = useState<TransferTargets | null>(null);
  const [popups, setPopups] = useState<Popup[]>([]);
  const [, tick] = useState(0);
  const phoneRef = useRef<Phone | null>(null);
  const lastCall = useRef("");

  const setLatest = (s: AgentStatus) => setSt((cur) => fresher(cur, s));
  const agent = me.data?.agent;
  const state = st?.state ?? "logged_out";
  useInterval(() => tick((n) => n + 1), 1000);

  const loadCalls = () => call<{ calls: DeskCall[] }>(api.GET("/api/v1/me/agent/calls")).then((r) => setCalls(r.calls ?? []), () => {});
  useEffect(() => {
    if (me.data) {
      if (me.data.status) setLatest(me.data.status);
      setLoginType((t) => t || me.data!.agent?.login_type || "");
      void loadCalls();
    }
  }, [me.data]);

  // The live feed: the agent's own status at every change; a new call
  // offered is a popup.
  useEffect(() => {
    if (!agent) return;
    const es = new EventSource("/api/v1/me/agent/stream");
    es.addEventListener("agent", (ev) => {
      const s = JSON.parse((ev as MessageEvent).data) as AgentStatus;
      setLatest(s);
      if (s.call_id && s.call_id !== lastCall.current && (s.state === "ringing" || s.state === "on_call")) {
        lastCall.current = s.call_id;
        const who = [s.customer, s.customer_id ? `customer id ${s.customer_id}` : "", s.queue ? `queue ${s.queue}` : ""].filter(Boolean).join(" · ");
        setPopups((p) => [{ at: new Date().toISOString(), text: `Call from ${who}` }, ...p].slice(0, 10));
      }
      // The call's record is written just after the fact: read again.
      if (s.state === "available" || s.state === "paused" || s.state === "logged_out") {
        void loadCalls();
        for (const ms of [1000, 3000]) window.setTimeout(() => void loadCalls(), ms);
      }
    });
    return () => es.close();
  }, [agent?.id]);

  // The browser phone: registered while the agent is logged in with it.
  const browser = agent?.login_type === "browser" && state !== "logged_out";
  useEffect(() => {
    if (!browser) {
      phoneRef.current?.stop();
      return;
    }
    let gone = false;
    void call<PhoneSetup>(api.GET("/api/v1/me/agent/phone")).then((ps) => {
      if (gone || !ps.webrtc_url || !ps.user || !ps.password) return;
      if (!phoneRef.current) phoneRef.current = new Phone(setPhone);
      phoneRef.current.start({ webrtcUrl: ps.webrtc_url, user: ps.user, password: ps.password });
    }, (e: Error) => setErr(e.message));
    return () => {
      gone = true;
    };
  }, [browser]);
  useEffect(() => () => phoneRef.current?.dispose(), []);
  useEffect(() => {
    (window as unknown as { deskPhone?: Phone | null }).deskPhone = phoneRef.current;
  });
  useEffect(() => {
    if (state !== "on_call") setHeld(false);
  }, [state]);
  // Where a call can go: read when a call starts and whenever the picker
  // is opened (agents come and go).
  const loadTargets = () => call<TransferTargets>(api.GET("/api/v1/me/agent/transfer")).then(setTargets, () => {});
  useEffect(() => {
    if (state === "on_call") void loadTargets();
    else setTarget("");
  }, [state]);

  const run = async (fn: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setErr("");
    try {
      await fn();
      if (done) toast(done);
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const act = (path: "/api/v1/me/agent/logout" | "/api/v1/me/agent/unpause", done: string) =>
    run(async () => setLatest(await call<AgentStatus>(api.POST(path))), done);
  const login = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      setLatest(await call<AgentStatus>(api.POST("/api/v1/me/agent/login", { body: { login_type: loginType as "browser" } })));
      me.reload();
    }, "Logged in.");
  };
  const pause = () => run(async () => setLatest(await call<AgentStatus>(api.POST("/api/v1/me/agent/pause", { body: { reason } }))), "Paused.");
  const dispose = (c: string) => run(async () => {
    setLatest(await call<AgentStatus>(api.POST("/api/v1/me/agent/disposition", { body: { code: c } })));
    setCode("");
    void loadCalls();
  }, `Disposition ${c} saved.`);
  const hangup = () => run(async () => {
    if (phoneRef.current && phone.call !== "idle") phoneRef.current.hangup();
    else await call(api.POST("/api/v1/me/agent/hangup"));
  });
  const hold = () => run(async () => {
    await call(api.POST("/api/v1/me/agent/hold", { body: { hold: !held } }));
    setHeld(!held);
  });
  const targetName = target.startsWith("a:")
    ? targets?.agents.find((a) => `a:${a.agent_id}` === target)?.name ?? target.slice(2)
    : target.slice(2);
  const transfer = () => run(async () => {
    const body = target.startsWith("a:") ? { agent_id: Number(target.slice(2)) } : { queue: target.slice(2) };
    setLatest(await call<AgentStatus>(api.POST("/api/v1/me/agent/transfer", { body })));
    setTarget("");
  }, `Transferred to ${targetName}.`);
  const newPassword = () => run(async () => setOtp(await call<PhoneSetup>(api.POST("/api/v1/me/agent/phone/password"))));
  useEffect(() => {
    if (agent && agent.login_type !== "browser") void call<PhoneSetup>(api.GET("/api/v1/me/agent/phone")).then(setSetup, () => {});
  }, [agent?.login_type]);

  if (me.error) {
    return (
      <>
        <PageHead title="Agent desk" />
        <section className="card">
          <p>Welcome, {session!.user.name || session!.user.email}.</p>
          <ErrorBox text={me.error} />
        </section>
      </>
    );
  }
  if (!agent) return <PageHead title="Agent desk" />;
  const since = st?.since ? (Date.now() - new Date(st.since).getTime()) / 1000 : 0;
  const [label, tone] = STATE_LABELS[state] ?? [state, "muted"];
  const inCall = state === "ringing" || state === "on_call" || state === "wrap_up";
  const widget = ui.data?.enabled && ui.data.url?.startsWith("https://") ? ui.data : null;
  const regTone = phone.registration === "registered" ? "ok" : phone.registration === "failed" ? "bad" : "muted";

  return (
    <>
      <PageHead title="Agent desk" intro={<>{agent.name} · {LOGIN_LABELS[agent.login_type ?? ""] ?? agent.login_type}{agent.extension ? ` · extension ${agent.extension}` : ""}</>} />
      <ErrorBox text={err} />
      <div className="grid2">
        <section className="card" aria-labelledby="desk-state">
          <div className="card-head">
            <h2 id="desk-state">State</h2>
            <span data-testid="agent-state"><Badge text={label} tone={tone} /></span>
          </div>
          <dl className="facts">
            <dt>For</dt>
            <dd data-testid="state-timer">{clock(since)}</dd>
            {state === "paused" && (
              <>
                <dt>Reason</dt>
                <dd data-testid="pause-reason">{st?.reason === "missed_ring" ? "missed_ring (a call rang unanswered)" : st?.reason}</dd>
              </>
            )}
            {agent.login_type === "browser" && state !== "logged_out" && (
              <>
                <dt>Browser phone</dt>
                <dd data-testid="phone-registration"><Badge text={phone.registration} tone={regTone} />{phone.cause ? ` ${phone.cause}` : ""}</dd>
              </>
            )}
            <dt>Calls answered</dt>
            <dd>{st?.calls_answered ?? 0} of {st?.calls_offered ?? 0} offered · {st?.calls_missed ?? 0} missed</dd>
          </dl>
          {state === "logged_out" ? (
            <form onSubmit={login} className="row-actions">
              <label>
                Login type{" "}
                <select className="input" aria-label="Login type" value={loginType} onChange={(e) => setLoginType(e.target.value)}>
                  {(me.data?.login_types ?? []).map((t) => <option key={t} value={t}>{LOGIN_LABELS[t] ?? t}</option>)}
                </select>
              </label>
              <button type="submit" className="btn btn-primary" disabled={busy}>Log in</button>
            </form>
          ) : (
            <div className="row-actions">
              {state === "paused" ? (
                <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void act("/api/v1/me/agent/unpause", "Resumed.")}>Resume</button>
              ) : (
                <>
                  <select className="input" aria-label="Pause reason" value={reason} onChange={(e) => setReason(e.target.value)} style={{ width: "auto" }}>
                    {PAUSE_REASONS.map((r) => <option key={r} value={r}>{r}</option>)}
                  </select>
                  <button type="button" className="btn" disabled={busy} onClick={() => void pause()}>Pause</button>
                </>
              )}
              <button type="button" className="btn" disabled={busy} onClick={() => void act("/api/v1/me/agent/logout", "Logged out of the queues.")}>Stop taking calls</button>
            </div>
          )}
        </section>

        <section className="card" aria-labelledby="desk-call">
          <div className="card-head">
            <h2 id="desk-call">Call</h2>
            {phone.call !== "idle" && <Badge text={`phone: ${phone.call}`} tone="info" />}
          </div>
          {inCall && st ? (
            <>
              <dl className="facts" data-testid="current-call">
                <dt>Customer</dt>
                <dd data-testid="call-customer">{st.customer || "unknown"}</dd>
                <dt>Customer id</dt>
                <dd data-testid="call-customer-id">{st.customer_id || "—"}</dd>
                {st.queue && (
                  <>
                    <dt>Queue</dt>
                    <dd>{st.queue}</dd>
                  </>
                )}
                <dt>Call id</dt>
                <dd className="mono">{st.call_id}</dd>
                {Object.entries(st.flow_keys ?? {}).map(([k, v]) => (
                  <Fragment key={k}>
                    <dt className="mono">$flow.key.{k}</dt>
                    <dd data-testid={`flow-key-${k}`}>{v}</dd>
                  </Fragment>
                ))}
              </dl>
              <div className="row-actions">
                {phone.call === "ringing" && <button type="button" className="btn btn-primary" onClick={() => phoneRef.current?.answer()}>Answer</button>}
                {state === "on_call" && (
                  <>
                    <button type="button" className="btn" disabled={busy} onClick={() => void hold()}>{held ? "Resume call" : "Hold"}</button>
                    <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void hangup()}>Hang up</button>
                    <select className="input" aria-label="Transfer to" value={target} onChange={(e) => setTarget(e.target.value)} onFocus={() => void loadTargets()} style={{ width: "auto" }}>
                      <option value="">Transfer to…</option>
                      <optgroup label="Available agents">
                        {(targets?.agents ?? []).map((a) => <option key={a.agent_id} value={`a:${a.agent_id}`}>{a.name}</option>)}
                      </optgroup>
                      <optgroup label="Queues">
                        {(targets?.queues ?? me.data?.transfer_queues ?? []).map((q) => <option key={q} value={`q:${q}`}>{q}</option>)}
                      </optgroup>
                    </select>
                    <button type="button" className="btn" disabled={busy || !target} onClick={() => void transfer()}>Transfer</button>
                  </>
                )}
              </div>
              {(state === "on_call" || state === "wrap_up") && (
                <div className="row-actions" style={{ marginTop: "0.75rem" }}>
                  <span className="muted">Disposition:</span>
                  {DISPOSITIONS.map((d) => (
                    <button key={d} type="button" className="btn" disabled={busy} onClick={() => void dispose(d)}>{d}</button>
                  ))}
                  <input className="input" aria-label="Disposition code" placeholder="other code" value={code} onChange={(e) => setCode(e.target.value)} />
                  <button type="button" className="btn" disabled={busy || !code.trim()} onClick={() => void dispose(code.trim())}>Save code</button>
                </div>
              )}
            </>
          ) : (
            <p className="muted">No call. {state === "available" ? "Calls are offered to you now." : ""}</p>
          )}
          {popups.length > 0 && (
            <>
              <h3>Popups</h3>
              <ul className="plain" data-testid="popups">
                {popups.map((p, i) => <li key={i}>{fmt(p.at)} — {p.text}</li>)}
              </ul>
            </>
          )}
        </section>
      </div>

      {widget && (
        <section className="card" aria-labelledby="desk-widget">
          <h2 id="desk-widget">Widget</h2>
          <iframe title="Embedded widget" src={widget.url} width={widget.width || 400} height={widget.height || 300} sandbox="allow-scripts allow-forms allow-same-origin allow-popups" style={{ border: "1px solid var(--line)", maxWidth: "100%" }} />
        </section>
      )}

      <section className="card" aria-labelledby="desk-calls">
        <h2 id="desk-calls">Calls today</h2>
        {calls.length === 0 ? (
          <p className="muted">No calls yet today.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="calls-today">
              <thead>
                <tr><th>Offered</th><th>Customer</th><th>Outcome</th><th>Disposition</th><th>Talk</th></tr>
              </thead>
              <tbody>
                {calls.map((c, i) => (
                  <tr key={`${c.call_id}-${i}`}>
                    <td>{fmt(c.offered_at)}</td>
                    <td>{c.customer}</td>
                    <td>{c.outcome}</td>
                    <td>{c.disposition ?? ""}</td>
                    <td>{c.answered_at && c.ended_at ? clock((new Date(c.ended_at).getTime() - new Date(c.answered_at).getTime()) / 1000) : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {agent.extension && agent.login_type !== "browser" && (
        <section className="card" aria-labelledby="desk-phone">
          <h2 id="desk-phone">Phone setup</h2>
          <p>Register your {LOGIN_LABELS[agent.login_type ?? ""]?.toLowerCase() ?? "phone"} with these details; the password is shown once when you generate it.</p>
          <dl className="facts" data-testid="phone-setup">
            <dt>Host</dt>
            <dd className="mono">{otp?.host ?? setup?.host}</dd>
            <dt>User</dt>
            <dd className="mono">{otp?.user ?? setup?.user}</dd>
            <dt>Password</dt>
            <dd className="mono" data-testid="phone-password">{otp?.password ?? "(generate one: the old one stops working)"}</dd>
          </dl>
          <button type="button" className="btn" disabled={busy} onClick={() => void newPassword()}>Generate a one-time password</button>
          {otp?.password && (
            <p className="muted">
              baresip: <code className="mono">{`<sip:${otp.user}@${otp.host}>;auth_pass=${otp.password};regint=60`}</code>
            </p>
          )}
        </section>
      )}
    </>
  );
}
