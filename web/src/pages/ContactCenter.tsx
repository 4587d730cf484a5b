import { useMemo, useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { Agent, AgentInput, AgentStatus, Queue, QueueInput } from "../api/types";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Check, Field, FormError, useForm } from "../ui/Field";
import { useToast } from "../ui/Toast";
import { useAction } from "../ui/action";
import { Badge, ErrorBox, PageHead, useLoad } from "../util";
import { useSupervisorStream } from "./supervisorStream";
import { useSession } from "../session";

const STATES = ["logged_out", "available", "ringing", "on_call", "wrap_up", "paused"] as const;
const stateLabel = (s?: string) => (s ?? "logged_out").replace(/_/g, " ");
const stateTone = (s?: string) => (s === "available" ? "ok" : s === "on_call" || s === "ringing" ? "info" : s === "paused" || s === "wrap_up" ? "warn" : "muted");
const secs = (n?: number) => (n ? `${Math.round(n)} s` : "–");

/**
 * The Supervisor Agent Dashboard: the agents and queues from the
 * supervisor stream (live, no polling); the filters apply to the live
 * rows.
 */
export function SupervisorPage() {
  const [state, setState] = useState("");
  const [q, setQ] = useState("");
  const [applied, setApplied] = useState({ state: "", q: "" });
  const live = useSupervisorStream();
  // The lines (extension, number) the search also matches: configuration,
  // loaded once.
  const lines = useLoad(() => call<{ agents: Agent[] }>(api.GET("/api/v1/agents")).then((r) => new Map((r.agents ?? []).map((a) => [a.id!, a]))), []);
  const agents = useMemo(() => {
    const needle = applied.q.toLowerCase();
    const out: (AgentStatus & { extension?: string; number?: string })[] = [];
    for (const a of live.agents.values()) {
      if (applied.state && (a.state ?? "logged_out") !== applied.state) continue;
      const cfg = lines.data?.get(a.agent_id!);
      if (needle && ![a.name?.toLowerCase(), cfg?.extension?.toLowerCase(), cfg?.number].some((v) => v?.includes(needle))) continue;
      out.push({ ...a, extension: cfg?.extension, number: cfg?.number });
    }
    return out.sort((x, y) => ((x.name ?? "") < (y.name ?? "") ? -1 : (x.name ?? "") > (y.name ?? "") ? 1 : (x.agent_id ?? 0) - (y.agent_id ?? 0)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live.version, live.agents, applied, lines.data]);
  const queues = useMemo(() => [...live.queues.values()].sort((x, y) => ((x.name ?? "") < (y.name ?? "") ? -1 : 1)),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [live.version, live.queues]);
  return (
    <>
      <PageHead title="Supervisor Agent Dashboard" intro="Logged-in agents, their current status and their call figures, live.">
        <span aria-live="polite"><Badge text={live.ready ? "Live" : "Connecting…"} tone={live.ready ? "ok" : "muted"} /></span>
      </PageHead>
      <form className="filters" aria-label="Filters" onSubmit={(e) => { e.preventDefault(); setApplied({ state, q: q.trim() }); }}>
        <Field label="Global search"><input className="input" type="search" value={q} onChange={(e) => setQ(e.target.value)} /></Field>
        <Field label="Status">
          <select className="input" value={state} onChange={(e) => setState(e.target.value)}>
            <option value="">All</option>
            {STATES.map((s) => <option key={s} value={s}>{stateLabel(s)}</option>)}
          </select>
        </Field>
        <div className="filter-actions"><button type="submit" className="btn btn-primary">Search</button></div>
      </form>
      <ErrorBox text={live.error} />
      <DataTable caption="Agents" rows={agents} rowKey={(a) => a.agent_id!} loading={!live.ready} columns={[
        { key: "name", label: "Agent" },
        { key: "state", label: "Status", render: (a) => <Badge text={stateLabel(a.state)} tone={stateTone(a.state)} /> },
        { key: "reason", label: "Reason" },
        { key: "queue", label: "Queue" },
        { key: "customer", label: "Customer" },
        { key: "calls_offered", label: "Offered", className: "num" },
        { key: "calls_answered", label: "Answered", className: "num" },
        { key: "calls_abandoned", label: "Abandoned", className: "num" },
        { key: "avg_handle_time_secs", label: "Av. handle time", className: "num", render: (a) => secs(a.avg_handle_time_secs) },
        { key: "avg_call_time_secs", label: "Av. call time", className: "num", render: (a) => secs(a.avg_call_time_secs) },
      ]} empty="No agents match." />
      <h2 className="section-title">Queues</h2>
      <DataTable caption="Queues" rows={queues} rowKey={(x) => x.queue_id!} columns={[
        { key: "name", label: "Queue" },
        { key: "waiting", label: "Waiting", className: "num" },
        { key: "logged_in", label: "Logged in", className: "num" },
        { key: "free", label: "Free", className: "num" },
        { key: "oldest_wait_secs", label: "Oldest wait", className: "num", render: (x) => secs(x.oldest_wait_secs) },
        { key: "answered", label: "Answered", className: "num" },
        { key: "abandoned", label: "Abandoned", className: "num" },
      ]} empty="No queues." />
    </>
  );
}

export function AgentsPage() {
  const { can } = useSession();
  const admin = can("admin");
  const action = useAction();
  const agents = useLoad(() => call<{ agents: Agent[] }>(api.GET("/api/v1/agents")).then((r) => r.agents ?? []), []);
  const [edit, setEdit] = useState<Agent | "new" | null>(null);
  const [secret, setSecret] = useState<{ name: string; pw: string } | null>(null);
  const act = (a: Agent, what: "login" | "logout" | "pause" | "unpause") =>
    action({
      run: async () => {
        if (what === "login") await call(api.POST("/api/v1/agents/{id}/login", { params: { path: { id: a.id! } } }));
        if (what === "logout") await call(api.POST("/api/v1/agents/{id}/logout", { params: { path: { id: a.id! } } }));
        if (what === "pause") await call(api.POST("/api/v1/agents/{id}/pause", { params: { path: { id: a.id! } }, body: { reason: "supervisor" } }));
        if (what === "unpause") await call(api.POST("/api/v1/agents/{id}/unpause", { params: { path: { id: a.id! } } }));
      },
      done: `${a.name}: ${what} done.`,
      after: agents.reload,
    });
  const remove = (a: Agent) =>
    action({
      ask: { title: "Delete agent", message: `Delete ${a.name}? The agent leaves every queue and is logged out; its report history stays.`, confirm: "Delete" },
      run: () => call(api.DELETE("/api/v1/agents/{id}", { params: { path: { id: a.id! } } })),
      done: "Agent deleted.",
      after: agents.reload,
    });
  return (
    <>
      <PageHead title="Agents" intro="The account's agents, how they log in, and their live status.">
        {admin && <button type="button" className="btn btn-primary" onClick={() => setEdit("new")}>Add agent</button>}
      </PageHead>
      <ErrorBox text={agents.error} />
      <DataTable caption="Agents" rows={agents.data ?? []} rowKey={(a) => a.id!} search loading={agents.loading && !agents.data} columns={[
        { key: "name", label: "Name" },
        { key: "login_type", label: "Login type" },
        { key: "line", label: "Extension / number", value: (a) => a.extension || a.number || "" },
        { key: "state", label: "Status", value: (a) => a.status?.state ?? "", render: (a) => <Badge text={stateLabel(a.status?.state)} tone={stateTone(a.status?.state)} /> },
        { key: "wrap_up_secs", label: "Wrap-up (s)", className: "num" },
        { key: "record", label: "Recorded", value: (a) => (a.record ? "yes" : "no") },
        { key: "a", label: "Actions", sortable: false, render: (a) => {
          const s = a.status?.state ?? "logged_out";
          return (
            <div className="row-actions">
              {s === "logged_out" ? <button type="button" className="btn btn-small" onClick={() => void act(a, "login")}>Log in</button> : <button type="button" className="btn btn-small" onClick={() => void act(a, "logout")}>Log out</button>}
              {s !== "logged_out" && (s === "paused" ? <button type="button" className="btn btn-small" onClick={() => void act(a, "unpause")}>Unpause</button> : <button type="button" className="btn btn-small" onClick={() => void act(a, "pause")}>Pause</button>)}
              {admin && <button type="button" className="btn btn-small" onClick={() => setEdit(a)}>Edit</button>}
              {admin && <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void remove(a)} aria-label={`Delete ${a.name}`}>Delete</button>}
            </div>
          );
        } },
      ]} empty="No agents yet." />
      {edit && <AgentForm agent={edit === "new" ? null : edit} onClose={() => setEdit(null)} onSaved={(a) => { setEdit(null); agents.reload(); if (a.sip_password) setSecret({ name: a.name ?? "", pw: a.sip_password }); }} />}
      {secret && (
        <Modal title="SIP password" onClose={() => setSecret(null)} footer={<button type="button" className="btn btn-primary" onClick={() => setSecret(null)}>Done</button>}>
          <p>The SIP password of <strong>{secret.name}</strong> is shown only now: give it to the agent for the phone's settings.</p>
          <pre className="json">{secret.pw}</pre>
        </Modal>
      )}
    </>
  );
}

function AgentForm({ agent, onClose, onSaved }: { agent: Agent | null; onClose: () => void; onSaved: (a: Agent) => void }) {
  const [v, setV] = useState<AgentInput>({ name: agent?.name ?? "", login_type: (agent?.login_type as AgentInput["login_type"]) ?? "softphone", extension: agent?.extension ?? "", number: agent?.number ?? "", cli: agent?.cli ?? "", wrap_up_secs: agent?.wrap_up_secs ?? 0, record: agent?.record ?? false, persistent: agent?.persistent ?? false, user_id: agent?.user_id ?? 0, auto_pause_missed: agent?.auto_pause_missed ?? false });
  const { can } = useSession();
  const users = useLoad(() => (can("admin") ? call<{ users: { id: number; email: string; name: string; role: string }[] }>(api.GET("/api/v1/users")).then((r) => r.users ?? []) : Promise.resolve([])), []);
  const [regen, setRegen] = useState(false);
  const f = useForm();
  const sip = v.login_type === "softphone" || v.login_type === "deskphone" || v.login_type === "browser";
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!v.name.trim()) return f.setErrors({ name: "Give the agent a name." });
    const body: AgentInput = { ...v, name: v.name.trim(), extension: sip ? v.extension : undefined, number: sip ? undefined : v.number, ...(agent && regen ? { regenerate_password: true } : {}) };
    if (!body.cli) delete body.cli;
    let saved: Agent | undefined;
    if (await f.run(async () => {
      saved = agent ? await call<Agent>(api.PUT("/api/v1/agents/{id}", { params: { path: { id: agent.id! } }, body })) : await call<Agent>(api.POST("/api/v1/agents", { body }));
    }, ["name", "login_type", "extension", "number", "cli", "wrap_up_secs", "user_id"])) onSaved(saved!);
  };
  return (
    <Modal title={agent ? `Edit ${agent.name}` : "Add agent"} onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="agent-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="agent-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Name" error={f.errors.name}><input className="input" value={v.name} onChange={(e) => setV({ ...v, name: e.target.value })} /></Field>
        <Field label="Login type" error={f.errors.login_type}>
          <select className="input" value={v.login_type} onChange={(e) => setV({ ...v, login_type: e.target.value as AgentInput["login_type"] })}>
            <option value="softphone">Softphone</option><option value="deskphone">Desk phone</option><option value="browser">Browser phone (WebRTC)</option><option value="mobile">Mobile phone</option><option value="landline">Landline</option>
          </select>
        </Field>
        {sip ? (
          <Field label="Extension" error={f.errors.extension}><input className="input" value={v.extension ?? ""} onChange={(e) => setV({ ...v, extension: e.target.value })} /></Field>
        ) : (
          <Field label="Number" error={f.errors.number}><input className="input" inputMode="tel" value={v.number ?? ""} onChange={(e) => setV({ ...v, number: e.target.value })} /></Field>
        )}
        <Field label="CLI shown to the agent" error={f.errors.cli} hint="Blank = the customer's number."><input className="input" value={v.cli ?? ""} onChange={(e) => setV({ ...v, cli: e.target.value })} /></Field>
        <Field label="Wrap-up time (s)" error={f.errors.wrap_up_secs}><input className="input" type="number" min={0} max={3600} value={String(v.wrap_up_secs ?? 0)} onChange={(e) => setV({ ...v, wrap_up_secs: Number(e.target.value) })} /></Field>
        <Check label="Record the agent's calls" checked={!!v.record} onChange={(x) => setV({ ...v, record: x })} />
        <Check label="Keep the line up between calls (persistent)" checked={!!v.persistent} onChange={(x) => setV({ ...v, persistent: x })} />
        <Check label="Pause the agent after a missed ring" checked={!!v.auto_pause_missed} onChange={(x) => setV({ ...v, auto_pause_missed: x })} />
        {(users.data?.length ?? 0) > 0 && (
          <Field label="Console user (agent desk)" error={f.errors.user_id} hint="The user who logs into the agent desk as this agent.">
            <select className="input" value={String(v.user_id ?? 0)} onChange={(e) => setV({ ...v, user_id: Number(e.target.value) })}>
              <option value="0">None</option>
              {users.data!.map((u) => <option key={u.id} value={String(u.id)}>{u.name || u.email} ({u.role})</option>)}
            </select>
          </Field>
        )}
        {agent && sip && <Check label="Generate a new SIP password" checked={regen} onChange={setRegen} />}
      </form>
    </Modal>
  );
}

export function QueuesPage() {
  const { can } = useSession();
  const admin = can("admin");
  const action = useAction();
  const queues = useLoad(() => call<{ queues: Queue[] }>(api.GET("/api/v1/queues")).then((r) => r.queues ?? []), []);
  const agents = useLoad(() => call<{ agents: Agent[] }>(api.GET("/api/v1/agents")).then((r) => r.agents ?? []), []);
  const [edit, setEdit] = useState<Queue | "new" | null>(null);
  const aname = (id: number) => agents.data?.find((a) => a.id === id)?.name ?? String(id);
  const remove = (q: Queue) =>
    action({
      ask: { title: "Delete queue", message: `Delete ${q.name}? Callers waiting in it leave (QUEUE_INVALID); its report history stays.`, confirm: "Delete" },
      run: () => call(api.DELETE("/api/v1/queues/{id}", { params: { path: { id: q.id! } } })),
      done: "Queue deleted.",
      after: queues.reload,
    });
  return (
    <>
      <PageHead title="Queues" intro="Queues, their strategy and their members in order.">
        {admin && <button type="button" className="btn btn-primary" onClick={() => setEdit("new")}>Add queue</button>}
      </PageHead>
      <ErrorBox text={queues.error} />
      <DataTable caption="Queues" rows={queues.data ?? []} rowKey={(q) => q.id!} search loading={queues.loading && !queues.data} columns={[
        { key: "name", label: "Name" },
        { key: "strategy", label: "Strategy" },
        { key: "members", label: "Members", value: (q) => (q.members ?? []).map(aname).join(", ") },
        { key: "waiting", label: "Waiting", className: "num", value: (q) => q.status?.waiting ?? "" },
        { key: "free", label: "Free agents", className: "num", value: (q) => q.status?.free ?? "" },
        { key: "a", label: "Actions", sortable: false, render: (q) => admin ? <div className="row-actions"><button type="button" className="btn btn-small" onClick={() => setEdit(q)}>Edit</button><button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void remove(q)} aria-label={`Delete ${q.name}`}>Delete</button></div> : null },
      ]} empty="No queues yet." />
      {edit && <QueueForm queue={edit === "new" ? null : edit} agents={agents.data ?? []} onClose={() => setEdit(null)} onSaved={() => { setEdit(null); queues.reload(); }} />}
    </>
  );
}

function QueueForm({ queue, agents, onClose, onSaved }: { queue: Queue | null; agents: Agent[]; onClose: () => void; onSaved: () => void }) {
  const [v, setV] = useState<QueueInput>({ name: queue?.name ?? "", strategy: (queue?.strategy as QueueInput["strategy"]) ?? "longest-idle", members: queue?.members ?? [], ring_timeout_secs: queue?.ring_timeout_secs ?? 0, timeout_secs: queue?.timeout_secs ?? 0, max_len: queue?.max_len ?? 0, join_when_empty: queue?.join_when_empty ?? false, record: queue?.record ?? false, moh_class: queue?.moh_class || "default" });
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!v.name.trim()) return f.setErrors({ name: "Give the queue a name." });
    if (await f.run(async () => {
      if (queue) await call(api.PUT("/api/v1/queues/{id}", { params: { path: { id: queue.id! } }, body: v }));
      else await call(api.POST("/api/v1/queues", { body: v }));
    }, ["name", "strategy", "members", "ring_timeout_secs", "timeout_secs", "max_len"])) {
      toast("Queue saved.");
      onSaved();
    }
  };
  const num = (k: keyof QueueInput, label: string, hint?: string) => (
    <Field label={label} error={f.errors[k]} hint={hint}><input className="input" type="number" min={0} value={String(v[k] ?? 0)} onChange={(e) => setV({ ...v, [k]: Number(e.target.value) })} /></Field>
  );
  return (
    <Modal title={queue ? `Edit ${queue.name}` : "Add queue"} onClose={onClose} wide footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="queue-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="queue-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <div className="grid2">
          <Field label="Name" error={f.errors.name}><input className="input" value={v.name} onChange={(e) => setV({ ...v, name: e.target.value })} /></Field>
          <Field label="Strategy" error={f.errors.strategy}>
            <select className="input" value={v.strategy} onChange={(e) => setV({ ...v, strategy: e.target.value as QueueInput["strategy"] })}>
              <option value="longest-idle">Longest idle</option><option value="round-robin">Round robin</option><option value="fewest-calls">Fewest calls</option><option value="ring-all">Ring all</option>
            </select>
          </Field>
          {num("ring_timeout_secs", "Ring timeout (s)", "0 = 20 s")}
          {num("timeout_secs", "Longest wait (s)", "0 = 300 s")}
          {num("max_len", "Waiting callers cap", "0 = unlimited")}
        </div>
        <Check label="Let callers wait when no member is logged in" checked={!!v.join_when_empty} onChange={(x) => setV({ ...v, join_when_empty: x })} />
        <Check label="Record queue calls" checked={!!v.record} onChange={(x) => setV({ ...v, record: x })} />
        <fieldset className="fieldset"><legend>Members</legend>
          <div className="checklist checklist-scroll" role="group" aria-label="Members">
            {agents.length === 0 && <p className="muted">No agents yet.</p>}
            {agents.map((a) => <Check key={a.id} label={a.name ?? String(a.id)} checked={(v.members ?? []).includes(a.id!)} onChange={(on) => setV({ ...v, members: on ? [...(v.members ?? []), a.id!] : (v.members ?? []).filter((m) => m !== a.id) })} />)}
          </div>
          {f.errors.members && <div className="field-err" role="alert">{f.errors.members}</div>}
        </fieldset>
      </form>
    </Modal>
  );
}
