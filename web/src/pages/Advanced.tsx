import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { AgentUI, DID, Flow, Hook, UserVariable, VarDoc, Webhook, WebhookConfig } from "../api/types";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Check, Field, FormError, useForm } from "../ui/Field";
import { useToast } from "../ui/Toast";
import { useAction } from "../ui/action";
import { ErrorBox, PageHead, useLoad, useTime } from "../util";
import { listFlows } from "./flowsCache";

function useRemove() {
  const action = useAction();
  return (what: string, fn: () => Promise<unknown>, after: () => void) =>
    action({ ask: { title: "Confirm removal", message: `Remove ${what}?`, confirm: "Remove" }, run: fn, done: `${what} removed.`, after });
}

// ---- Webhook ----

export function WebhooksPage() {
  const fmt = useTime();
  const remove = useRemove();
  const list = useLoad(() => call<{ webhooks: Webhook[] }>(api.GET("/api/v1/webhooks")).then((r) => r.webhooks ?? []), []);
  const [edit, setEdit] = useState<Webhook | "new" | null>(null);
  return (
    <>
      <PageHead title="Webhook" intro="Webhooks connect your systems and CRMs to calls. They are called when each call ends (disconnect) unless set to run from widgets only. Flow variables may be used in every field.">
        <button type="button" className="btn btn-primary" onClick={() => setEdit("new")}>Add Webhook</button>
      </PageHead>
      <ErrorBox text={list.error} />
      <DataTable
        caption="Webhooks"
        rows={list.data ?? []}
        rowKey={(w) => w.id}
        loading={list.loading && !list.data}
        search
        columns={[
          { key: "name", label: "Name" },
          { key: "method", label: "Method", value: (w) => w.config.method },
          { key: "url", label: "URL", value: (w) => w.config.url },
          { key: "trigger", label: "Called", value: (w) => (w.config.trigger === "widget" ? "from widgets" : "on disconnect") },
          { key: "updated_at", label: "Updated", render: (w) => fmt(w.updated_at) },
          { key: "a", label: "Actions", sortable: false, render: (w) => <div className="row-actions"><button type="button" className="btn btn-small" onClick={() => setEdit(w)} aria-label={`Edit ${w.name}`}>Edit</button><button type="button" className="btn btn-small btn-ghost-danger" aria-label={`Delete ${w.name}`} onClick={() => void remove(`webhook ${w.name}`, () => call(api.DELETE("/api/v1/webhooks/{name}", { params: { path: { name: w.name } } })), list.reload)}>Delete</button></div> },
        ]}
        empty="No webhooks yet."
      />
      {edit && <WebhookForm hook={edit === "new" ? null : edit} onClose={() => setEdit(null)} onSaved={() => { setEdit(null); list.reload(); }} />}
    </>
  );
}

function WebhookForm({ hook, onClose, onSaved }: { hook: Webhook | null; onClose: () => void; onSaved: () => void }) {
  const cfg = hook?.config;
  const [name, setName] = useState(hook?.name ?? "");
  const [method, setMethod] = useState(cfg?.method ?? "POST");
  const [url, setUrl] = useState(cfg?.url ?? "");
  const [auth, setAuth] = useState(cfg?.username ? "basic" : "none");
  const [username, setUsername] = useState(cfg?.username ?? "");
  const [password, setPassword] = useState("");
  const [bodyType, setBodyType] = useState<string>(cfg?.body_type || "json");
  const [body, setBody] = useState(cfg?.body === undefined ? "" : typeof cfg.body === "string" ? cfg.body : JSON.stringify(cfg.body, null, 2));
  const [headers, setHeaders] = useState<{ k: string; v: string }[]>(Object.entries(cfg?.headers ?? {}).map(([k, v]) => ({ k, v })));
  const [trigger, setTrigger] = useState<string>(cfg?.trigger || "disconnect");
  const [checkMsg, setCheckMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const f = useForm();
  const toast = useToast();
  const check = async () => {
    setCheckMsg(null);
    if (!/^https?:\/\/[^\s/]+/i.test(url.trim())) return setCheckMsg({ ok: false, text: "Enter a complete URL (https://…)." });
    // The account's flow validation checks the URL as a webhook widget would call it.
    const doc = { format: 1, name: "webhook check", type: "outbound_multicast", start: "w", nodes: [{ id: "w", type: "webhook", params: { url: url.trim(), method }, exits: ["end", "end"] }, { id: "end", type: "hangup" }] };
    try {
      const r = await call<{ valid: boolean; problems?: { field?: string; message: string }[]; warnings?: { message: string }[] }>(api.POST("/api/v1/flows/validate", { body: doc }));
      const issues = [...(r.problems ?? []).filter((p) => !p.field || p.field.includes("url")).map((p) => p.message), ...(r.warnings ?? []).map((w) => w.message)];
      setCheckMsg(issues.length ? { ok: false, text: issues.join(" ") } : { ok: true, text: "The URL is valid and allowed by the account's HTTP policy." });
    } catch (e) {
      setCheckMsg({ ok: false, text: (e as Error).message });
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = "Give the webhook a name.";
    if (!url.trim()) errs.url = "Enter the endpoint URL.";
    let parsedBody: unknown = undefined;
    if (body.trim()) {
      if (bodyType === "raw") parsedBody = body;
      else {
        try {
          parsedBody = JSON.parse(body);
        } catch {
          errs.body = bodyType === "form" ? "A form body is a JSON object of strings." : "This is not JSON.";
        }
      }
    }
    if (Object.keys(errs).length) return f.setErrors(errs);
    const out: WebhookConfig = { method, url: url.trim(), trigger: trigger as WebhookConfig["trigger"] };
    if (auth === "basic") {
      out.username = username;
      out.password = password || cfg?.password;
    }
    if (parsedBody !== undefined) {
      out.body_type = bodyType as WebhookConfig["body_type"];
      out.body = parsedBody;
    }
    const hs = Object.fromEntries(headers.filter((h) => h.k.trim()).map((h) => [h.k.trim(), h.v]));
    if (Object.keys(hs).length) out.headers = hs;
    if (await f.run(async () => { await call(api.PUT("/api/v1/webhooks/{name}", { params: { path: { name: name.trim() } }, body: out as never })); }, ["name", "method", "url", "username", "password", "body", "body_type", "headers", "trigger"])) {
      toast("Webhook saved.");
      onSaved();
    }
  };
  return (
    <Modal title={hook ? `Edit webhook ${hook.name}` : "Add Webhook"} onClose={onClose} wide footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="wh-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="wh-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <div className="grid2">
          <Field label="Name" error={f.errors.name}><input className="input" value={name} disabled={!!hook} onChange={(e) => setName(e.target.value)} /></Field>
          <Field label="Method" error={f.errors.method}>
            <select className="input" value={method} onChange={(e) => setMethod(e.target.value)}>{["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => <option key={m}>{m}</option>)}</select>
          </Field>
        </div>
        <Field label="URL" error={f.errors.url} hint="HTTPS only unless support enabled plain HTTP for your account.">
          <input className="input" type="url" value={url} onChange={(e) => { setUrl(e.target.value); setCheckMsg(null); }} />
        </Field>
        <p className="row-actions">
          <button type="button" className="btn" onClick={() => void check()}>Check</button>
          {checkMsg && <span role="status" className={checkMsg.ok ? "ok-text" : "danger"}>{checkMsg.text}</span>}
        </p>
        <div className="grid2">
          <Field label="Authentication">
            <select className="input" value={auth} onChange={(e) => setAuth(e.target.value)}><option value="none">None</option><option value="basic">Basic</option></select>
          </Field>
          <Field label="Called">
            <select className="input" value={trigger} onChange={(e) => setTrigger(e.target.value)}><option value="disconnect">On call disconnect (and from widgets)</option><option value="widget">Only from widgets</option></select>
          </Field>
          {auth === "basic" && <Field label="Username" error={f.errors.username}><input className="input" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" /></Field>}
          {auth === "basic" && <Field label="Password" error={f.errors.password} hint={hook ? "Blank keeps the current password." : undefined}><input className="input" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" /></Field>}
          <Field label="Body type" error={f.errors.body_type}>
            <select className="input" value={bodyType} onChange={(e) => setBodyType(e.target.value)}><option value="json">JSON</option><option value="form">Form</option><option value="raw">Raw</option></select>
          </Field>
        </div>
        <Field label="Request body" error={f.errors.body} hint="For CRM webhooks: the parameters to pass. Variables such as $flow.key.customer_name are filled in.">
          <textarea className="input mono" rows={5} value={body} onChange={(e) => setBody(e.target.value)} />
        </Field>
        <fieldset className="fieldset">
          <legend>Headers</legend>
          {headers.map((h, i) => (
            <div className="grid2" key={i}>
              <Field label={`Header ${i + 1} name`}><input className="input" value={h.k} onChange={(e) => setHeaders(headers.map((x, j) => (j === i ? { ...x, k: e.target.value } : x)))} /></Field>
              <Field label={`Header ${i + 1} value`}><input className="input" value={h.v} onChange={(e) => setHeaders(headers.map((x, j) => (j === i ? { ...x, v: e.target.value } : x)))} /></Field>
            </div>
          ))}
          <button type="button" className="btn btn-small" onClick={() => setHeaders([...headers, { k: "", v: "" }])}>Add headers</button>
          {f.errors.headers && <div className="field-err" role="alert">{f.errors.headers}</div>}
        </fieldset>
      </form>
    </Modal>
  );
}

// ---- Flow Variable ----

export function FlowVariablesPage() {
  const toast = useToast();
  const remove = useRemove();
  const flows = useLoad(listFlows, []);
  const sys = useLoad(() => call<{ sys: VarDoc[]; call: VarDoc[]; syskey: VarDoc[] }>(api.GET("/api/v1/flows/variables/system")), []);
  const uvars = useLoad(() => call<{ variables: UserVariable[] }>(api.GET("/api/v1/variables")).then((r) => r.variables ?? []), []);
  const [flowId, setFlowId] = useState("");
  const [name, setName] = useState("");
  const [uname, setUname] = useState("");
  const [uvalue, setUvalue] = useState("");
  const f = useForm();
  const u = useForm();
  const flowVars = (flows.data ?? []).flatMap((fl) => ((fl.draft.variables as string[] | undefined) ?? []).map((v) => ({ flow: fl, name: v.startsWith("$flow.key.") ? v : `$flow.key.${v}` })));
  const addFlowVar = async (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim().replace(/^\$flow\.key\./, "");
    const errs: Record<string, string> = {};
    if (!flowId) errs.flow = "Select the flow.";
    if (!/^[A-Za-z0-9_-]+$/.test(n)) errs.name = "Name it $flow.key.<variableName>: letters, digits, _ or -, no space.";
    if (Object.keys(errs).length) return f.setErrors(errs);
    if (await f.run(async () => {
      const fl = await call<Flow>(api.GET("/api/v1/flows/{id}", { params: { path: { id: Number(flowId) } } }));
      const vars = ((fl.draft.variables as string[] | undefined) ?? []).slice();
      if (vars.some((v) => v.replace(/^\$flow\.key\./, "") === n)) throw new Error(`$flow.key.${n} is already defined in this flow.`);
      vars.push(n);
      await call(api.PUT("/api/v1/flows/{id}", { params: { path: { id: Number(flowId) } }, body: { ...fl.draft, variables: vars } }));
    })) {
      toast(`$flow.key.${n} added to the flow's draft (publish the flow to use it on calls).`);
      setName("");
      flows.reload();
    }
  };
  const addUserVar = async (e: FormEvent) => {
    e.preventDefault();
    const n = uname.trim().replace(/^\$user\.key\./, "");
    if (!n) return u.setErrors({ name: "Enter the variable name." });
    if (await u.run(async () => { await call(api.PUT("/api/v1/variables/{name}", { params: { path: { name: n } }, body: { value: uvalue } })); }, ["name", "value"])) {
      toast(`$user.key.${n} set.`);
      setUname("");
      setUvalue("");
      uvars.reload();
    }
  };
  return (
    <>
      <PageHead title="Flow Variable" intro="Flow variables ($flow.key.<variableName>) hold customer details and answers within a flow; user variables ($user.key.<name>) are shared by every flow of the account." />
      <section className="card" aria-labelledby="fv">
        <h2 id="fv">Flow variables</h2>
        <form className="filters" onSubmit={addFlowVar} noValidate aria-label="Add flow variable">
          <Field label="Flow" error={f.errors.flow}>
            <select className="input" value={flowId} onChange={(e) => setFlowId(e.target.value)}>
              <option value="">Select a flow</option>
              {(flows.data ?? []).map((x) => <option key={x.id} value={String(x.id)}>{x.name} ({x.id})</option>)}
            </select>
          </Field>
          <Field label="Variable" error={f.errors.name} hint="$flow.key.<variableName>">
            <input className="input" value={name} placeholder="$flow.key.customer_name" onChange={(e) => setName(e.target.value)} />
          </Field>
          <div className="filter-actions"><button type="submit" className="btn btn-primary" disabled={f.busy}>Add variable</button></div>
        </form>
        <FormError text={f.general} />
        <DataTable caption="Flow variables" rows={flowVars} rowKey={(x) => `${x.flow.id}/${x.name}`} search columns={[{ key: "name", label: "Variable", render: (x) => <code>{x.name}</code> }, { key: "flow", label: "Flow", value: (x) => `${x.flow.name} (${x.flow.id})` }]} empty="No flow declares a variable yet." />
      </section>
      <section className="card" aria-labelledby="uv">
        <h2 id="uv">User variables</h2>
        <form className="filters" onSubmit={addUserVar} noValidate aria-label="Set user variable">
          <Field label="Name" error={u.errors.name} hint="$user.key.<name>"><input className="input" value={uname} onChange={(e) => setUname(e.target.value)} /></Field>
          <Field label="Value" error={u.errors.value}><input className="input" value={uvalue} onChange={(e) => setUvalue(e.target.value)} /></Field>
          <div className="filter-actions"><button type="submit" className="btn btn-primary" disabled={u.busy}>Set</button></div>
        </form>
        <FormError text={u.general} />
        <DataTable caption="User variables" rows={uvars.data ?? []} rowKey={(x) => x.name} columns={[
          { key: "name", label: "Variable", render: (x) => <code>$user.key.{x.name}</code> },
          { key: "value", label: "Value" },
          { key: "rm", label: "Remove", sortable: false, render: (x) => <button type="button" className="link danger" aria-label={`Remove $user.key.${x.name}`} onClick={() => void remove(`$user.key.${x.name}`, () => call(api.DELETE("/api/v1/variables/{name}", { params: { path: { name: x.name } } })), uvars.reload)}>Remove</button> },
        ]} empty="No user variables." />
      </section>
      <section className="card" aria-labelledby="sv">
        <h2 id="sv">System variables</h2>
        <ErrorBox text={sys.error} />
        <DataTable caption="System variables" rows={[...(sys.data?.sys ?? []), ...(sys.data?.call ?? []), ...(sys.data?.syskey ?? [])]} rowKey={(x) => x.name} search columns={[{ key: "name", label: "Variable", render: (x) => <code>{x.name}</code> }, { key: "description", label: "Description" }, { key: "always", label: "Set", value: (x) => (x.always ? "always" : x.when ?? "") }]} empty="…" />
      </section>
    </>
  );
}

// ---- CRM Setup ----

const CRM_EVENTS: { v: "agent_allocated" | "agent_connected"; label: string }[] = [
  { v: "agent_allocated", label: "Agent allocated" },
  { v: "agent_connected", label: "Agent Connected" },
];

export function CRMSetupPage() {
  const remove = useRemove();
  const hooks = useLoad(() => call<{ hooks: Hook[] }>(api.GET("/api/v1/hooks", { params: { query: { kind: "crm" } } })).then((r) => r.hooks ?? []), []);
  const flows = useLoad(listFlows, []);
  const [edit, setEdit] = useState<Hook | "new" | null>(null);
  const fname = (id: number) => flows.data?.find((f) => f.id === id)?.name ?? String(id);
  return (
    <>
      <PageHead title="CRM Setup" intro="Which webhook is invoked on which agent events, for which flows.">
        <button type="button" className="btn btn-primary" onClick={() => setEdit("new")}>Add CRM</button>
      </PageHead>
      <ErrorBox text={hooks.error} />
      <DataTable caption="CRM setups" rows={hooks.data ?? []} rowKey={(h) => h.id!} loading={hooks.loading && !hooks.data} columns={[
        { key: "webhook", label: "Webhook" },
        { key: "events", label: "Events", value: (h) => (h.events?.length ? h.events.map((e) => CRM_EVENTS.find((x) => x.v === e)?.label ?? e).join(", ") : "All events") },
        { key: "flows", label: "Flows", value: (h) => (h.all_flows ? "All flows" : (h.flow_ids ?? []).map(fname).join(", ")) },
        { key: "a", label: "Actions", sortable: false, render: (h) => <div className="row-actions"><button type="button" className="btn btn-small" onClick={() => setEdit(h)}>Edit</button><button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void remove(`the CRM setup of ${h.webhook}`, () => call(api.DELETE("/api/v1/hooks/{id}", { params: { path: { id: h.id! } } })), hooks.reload)}>Delete</button></div> },
      ]} empty="No CRM setup yet: configure a webhook, then Add CRM." />
      {edit && <CRMForm hook={edit === "new" ? null : edit} flows={flows.data ?? []} onClose={() => setEdit(null)} onSaved={() => { setEdit(null); hooks.reload(); }} />}
    </>
  );
}

function CRMForm({ hook, flows, onClose, onSaved }: { hook: Hook | null; flows: Flow[]; onClose: () => void; onSaved: () => void }) {
  const webhooks = useLoad(() => call<{ webhooks: Webhook[] }>(api.GET("/api/v1/webhooks")).then((r) => r.webhooks ?? []), []);
  const [webhook, setWebhook] = useState(hook?.webhook ?? "");
  const [events, setEvents] = useState<string[]>(hook?.events ?? ["agent_allocated", "agent_connected"]);
  const [all, setAll] = useState(hook?.all_flows ?? false);
  const [ids, setIds] = useState<number[]>(hook?.flow_ids ?? []);
  const [q, setQ] = useState("");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!webhook) errs.webhook = "Select the webhook to invoke.";
    if (events.length === 0) errs.events = "Select at least one event.";
    if (!all && ids.length === 0) errs.flow_ids = "Select the flows (or Select all).";
    if (Object.keys(errs).length) return f.setErrors(errs);
    const body = { kind: "crm" as const, webhook, events: events as ("agent_allocated" | "agent_connected")[], all_flows: all, flow_ids: all ? [] : ids };
    if (await f.run(async () => {
      if (hook) await call(api.PUT("/api/v1/hooks/{id}", { params: { path: { id: hook.id! } }, body }));
      else await call(api.POST("/api/v1/hooks", { body }));
    }, ["webhook", "events", "flow_ids"])) {
      toast("CRM setup saved.");
      onSaved();
    }
  };
  const shown = flows.filter((x) => x.name.toLowerCase().includes(q.toLowerCase()));
  return (
    <Modal title={hook ? "Edit CRM" : "Add CRM"} onClose={onClose} wide footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="crm-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="crm-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Webhook" error={f.errors.webhook}>
          <select className="input" value={webhook} onChange={(e) => setWebhook(e.target.value)}>
            <option value="">Select a webhook</option>
            {(webhooks.data ?? []).map((w) => <option key={w.id} value={w.name}>{w.name} · {w.config.url}</option>)}
          </select>
        </Field>
        <fieldset className="fieldset"><legend>Events</legend>
          {CRM_EVENTS.map((ev) => <Check key={ev.v} label={ev.label} checked={events.includes(ev.v)} onChange={(on) => setEvents(on ? [...events, ev.v] : events.filter((x) => x !== ev.v))} />)}
          {f.errors.events && <div className="field-err" role="alert">{f.errors.events}</div>}
        </fieldset>
        <fieldset className="fieldset"><legend>Flows</legend>
          <Check label="Select all" checked={all} onChange={setAll} />
          {!all && (
            <>
              <input className="input search" type="search" placeholder="Search flows" aria-label="Search flows" value={q} onChange={(e) => setQ(e.target.value)} />
              <div className="checklist checklist-scroll" role="group" aria-label="Flows">
                {shown.map((x) => <Check key={x.id} label={`${x.name} (${x.id})`} checked={ids.includes(x.id)} onChange={(on) => setIds(on ? [...ids, x.id] : ids.filter((i) => i !== x.id))} />)}
              </div>
            </>
          )}
          {f.errors.flow_ids && <div className="field-err" role="alert">{f.errors.flow_ids}</div>}
        </fieldset>
      </form>
    </Modal>
  );
}

// ---- Agent UI Setup ----

export function AgentUIPage() {
  const cur = useLoad(() => call<AgentUI>(api.GET("/api/v1/agent-ui")), []);
  return (
    <>
      <PageHead title="Agent UI Setup" intro="An embedded widget on the agent interface: a secured (https) web app of yours, shown in a frame of the size you choose." />
      <ErrorBox text={cur.error} />
      {cur.data && <AgentUIForm initial={cur.data} />}
    </>
  );
}

function AgentUIForm({ initial }: { initial: AgentUI }) {
  const [enabled, setEnabled] = useState(!!initial.enabled);
  const [url, setUrl] = useState(initial.url ?? "");
  const [width, setWidth] = useState(String(initial.width || 400));
  const [height, setHeight] = useState(String(initial.height || 600));
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (enabled && !url.trim().startsWith("https://")) return f.setErrors({ url: "Only https web apps are supported." });
    if (await f.run(async () => { await call(api.PUT("/api/v1/agent-ui", { body: { enabled, url: url.trim(), width: Number(width) || 0, height: Number(height) || 0 } })); }, ["url", "width", "height", "enabled"])) toast("Agent UI saved.");
  };
  return (
    <form className="card narrow-card" onSubmit={submit} noValidate>
      <FormError text={f.general} />
      <Check label="Embedded Widget" checked={enabled} onChange={setEnabled} />
      <Field label="Widget"><select className="input" value="custom" disabled={!enabled} onChange={() => {}}><option value="custom">Custom</option></select></Field>
      <Field label="Webapp URL" error={f.errors.url} hint="https only."><input className="input" type="url" value={url} disabled={!enabled} onChange={(e) => setUrl(e.target.value)} /></Field>
      <div className="grid2">
        <Field label="Window width (px)" error={f.errors.width}><input className="input" type="number" min={0} max={4000} value={width} disabled={!enabled} onChange={(e) => setWidth(e.target.value)} /></Field>
        <Field label="Window height (px)" error={f.errors.height}><input className="input" type="number" min={0} max={4000} value={height} disabled={!enabled} onChange={(e) => setHeight(e.target.value)} /></Field>
      </div>
      <button type="submit" className="btn btn-primary" disabled={f.busy}>Save</button>
    </form>
  );
}

// ---- DIDs ----

export function DIDsPage() {
  const fmt = useTime();
  const remove = useRemove();
  const dids = useLoad(() => call<{ dids: DID[] }>(api.GET("/api/v1/dids")).then((r) => r.dids ?? []), []);
  const flows = useLoad(listFlows, []);
  const [did, setDid] = useState("");
  const [flow, setFlow] = useState("");
  const f = useForm();
  const toast = useToast();
  const inbound = (flows.data ?? []).filter((x) => x.type === "inbound");
  const fname = (id: number) => flows.data?.find((x) => x.id === id)?.name ?? String(id);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!did.trim()) errs.did = "Enter the DID number.";
    if (!flow) errs.flow_id = "Select an inbound flow.";
    if (Object.keys(errs).length) return f.setErrors(errs);
    if (await f.run(async () => { await call(api.PUT("/api/v1/dids/{did}", { params: { path: { did: did.trim() } }, body: { flow_id: Number(flow) } })); }, ["did", "flow_id"])) {
      toast(`${did.trim()} routed to ${fname(Number(flow))}.`);
      setDid("");
      dids.reload();
    }
  };
  return (
    <>
      <PageHead title="DIDs" intro="Inbound numbers and the published inbound flow each one runs." />
      <form className="filters" onSubmit={submit} noValidate aria-label="Attach a DID">
        <Field label="DID" error={f.errors.did}><input className="input" inputMode="tel" value={did} onChange={(e) => setDid(e.target.value)} /></Field>
        <Field label="Inbound flow" error={f.errors.flow_id}>
          <select className="input" value={flow} onChange={(e) => setFlow(e.target.value)}>
            <option value="">Select a flow</option>
            {inbound.map((x) => <option key={x.id} value={String(x.id)}>{x.name} ({x.id}){x.published_version ? "" : " – not published"}</option>)}
          </select>
        </Field>
        <div className="filter-actions"><button type="submit" className="btn btn-primary" disabled={f.busy}>Attach</button></div>
      </form>
      <FormError text={f.general} />
      <ErrorBox text={dids.error} />
      <DataTable caption="DIDs" rows={dids.data ?? []} rowKey={(d) => d.did} search loading={dids.loading && !dids.data} columns={[
        { key: "did", label: "DID" },
        { key: "flow_id", label: "Flow", value: (d) => `${fname(d.flow_id)} (${d.flow_id})` },
        { key: "created_at", label: "Attached", render: (d) => fmt(d.created_at) },
        { key: "rm", label: "Remove", sortable: false, render: (d) => <button type="button" className="link danger" aria-label={`Remove ${d.did}`} onClick={() => void remove(`DID ${d.did}`, () => call(api.DELETE("/api/v1/dids/{did}", { params: { path: { did: d.did } } })), dids.reload)}>Remove</button> },
      ]} empty="No DID attached yet." />
    </>
  );
}
