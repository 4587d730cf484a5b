import { useState, type FormEvent } from "react";
import { api, call, clean, href } from "../api/client";
import type { Flow, FlowDialing, FlowVersion, Problem } from "../api/types";
import { DataTable, type Column } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field, FormError, useForm } from "../ui/Field";
import { useConfirm } from "../ui/Confirm";
import { useToast } from "../ui/Toast";
import { useAction } from "../ui/action";
import { Badge, ErrorBox, PageHead, useLoad, useTime } from "../util";
import { FLOW_TYPE_LABEL, listFlows } from "./flowsCache";
import { useSession } from "../session";
import { TrunkOptions, useTrunks } from "./trunks";

export function FlowsPage() {
  const fmt = useTime();
  const toast = useToast();
  const confirm = useConfirm();
  const action = useAction();
  const { can } = useSession();
  const admin = can("admin");
  const flows = useLoad(listFlows, []);
  const [versions, setVersions] = useState<Flow | null>(null);
  const [problems, setProblems] = useState<{ flow: Flow; problems: Problem[] } | null>(null);
  const [create, setCreate] = useState(false);
  const [dialing, setDialing] = useState<Flow | null>(null);
  const publish = async (fl: Flow) => {
    const ask = fl.transactional
      ? { title: "Submit for approval", message: `Submit the draft of "${fl.name}" for approval as a new version? "${fl.name}" is transactional: the version goes live only when our operations team approves it${fl.published_version ? `; version ${fl.published_version} stays live meanwhile` : ""}. Until then, try the draft with a test call to a whitelisted number.`, confirm: "Submit for approval", danger: false }
      : { title: "Publish flow", message: `Publish the draft of "${fl.name}" as version ${fl.published_version + 1}? New calls run it; calls in progress keep their version.`, confirm: "Publish", danger: false };
    if (!(await confirm(ask))) return;
    try {
      const r = await call<{ version: number; approval?: string; warnings?: { message: string }[] }>(api.POST("/api/v1/flows/{id}/publish", { params: { path: { id: fl.id } } }));
      const what = r.approval === "pending" ? `Submitted "${fl.name}" version ${r.version} for approval: it goes live once approved.` : `Published "${fl.name}" version ${r.version}.`;
      toast(`${what}${r.warnings?.length ? ` ${r.warnings.length} warning(s): ${r.warnings.map((w) => w.message).join("; ")}` : ""}`);
      flows.reload();
    } catch (e) {
      const body = (e as { body?: { problems?: Problem[] } }).body;
      if (body?.problems?.length) setProblems({ flow: fl, problems: body.problems });
      else toast((e as Error).message, "error");
    }
  };
  const setTransactional = (fl: Flow, on: boolean) =>
    action({
      ask: on
        ? { title: "Mark transactional", message: `Mark "${fl.name}" transactional? Every version you publish from now on waits for approval by our operations team before it goes live. Once a version is approved, the flow's call lists are not DNC/NDNC scrubbed.`, confirm: "Mark transactional", cancel: "Keep it marketing", danger: false }
        : { title: "Mark as marketing", message: `Make "${fl.name}" a marketing flow again? Versions waiting for approval are withdrawn, its call lists are DNC/NDNC scrubbed, and publishing makes a version live at once.`, confirm: "Mark as marketing", cancel: "Keep it transactional" },
      run: () => call(api.PUT("/api/v1/flows/{id}/transactional", { params: { path: { id: fl.id } }, body: { transactional: on } })),
      done: on ? `"${fl.name}" is transactional: publish it to submit it for approval.` : `"${fl.name}" is a marketing flow.`,
      after: flows.reload,
    });
  const remove = (fl: Flow) =>
    action({
      ask: { title: "Delete flow", message: `Delete "${fl.name}", its versions and its DID routes? Calls in progress keep their version.`, confirm: "Delete" },
      run: () => call(api.DELETE("/api/v1/flows/{id}", { params: { path: { id: fl.id } } })),
      done: "Flow deleted.",
      after: flows.reload,
    });
  const cols: Column<Flow>[] = [
    { key: "id", label: "Flow ID", className: "num" },
    { key: "name", label: "Flow Name" },
    { key: "type", label: "Flow Type", render: (x) => FLOW_TYPE_LABEL[x.type] ?? x.type },
    {
      key: "published_version",
      label: "Live version",
      className: "num",
      render: (x) => (
        <>
          {x.published_version ? `v${x.published_version}` : <span className="muted">{x.transactional ? "none approved" : "draft only"}</span>}
          {x.awaiting_approval > 0 && <div><Badge text="awaiting approval" /> <span className="muted">v{x.awaiting_approval}</span></div>}
        </>
      ),
    },
    {
      key: "transactional",
      label: "Transactional",
      value: (x) => (x.transactional ? 1 : 0),
      render: (x) =>
        x.type === "inbound" ? (
          <span className="muted">—</span>
        ) : admin ? (
          <label className="check">
            <input type="checkbox" checked={x.transactional} aria-label={`Transactional ${x.name}`} onChange={(e) => void setTransactional(x, e.target.checked)} /> {x.transactional ? "yes" : "no"}
          </label>
        ) : x.transactional ? (
          <Badge text="transactional" />
        ) : (
          <span className="muted">no</span>
        ),
    },
    {
      key: "problems",
      label: "Draft",
      value: (x) => x.problems.length,
      render: (x) =>
        x.problems.length ? (
          <button type="button" className="link warn" onClick={() => setProblems({ flow: x, problems: x.problems })}>
            {x.problems.length} problem{x.problems.length > 1 ? "s" : ""}
          </button>
        ) : (
          <span className="ok-text">valid</span>
        ),
    },
    { key: "updated_at", label: "Updated", render: (x) => fmt(x.updated_at) },
    {
      key: "actions",
      label: "Actions",
      sortable: false,
      render: (x) => (
        <div className="row-actions">
          <a className="btn btn-small" href={`#/flow-editor?id=${x.id}`} aria-label={`Edit ${x.name} in the editor`}>Edit</a>
          <button type="button" className="btn btn-small" onClick={() => setVersions(x)} aria-label={`Versions of ${x.name}`}>Versions</button>
          {x.type !== "inbound" && <button type="button" className="btn btn-small" onClick={() => setDialing(x)} aria-label={`Dialing settings of ${x.name}`}>Dialing</button>}
          {x.type !== "inbound" && <a className="btn btn-small" href={href("/api/v1/calllists/template", { flow_id: x.id })} download aria-label={`CSV template of ${x.name}`}>Template</a>}
          {admin && <button type="button" className="btn btn-small btn-primary" onClick={() => void publish(x)} aria-label={`Publish ${x.name}`}>Publish</button>}
          {admin && <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void remove(x)} aria-label={`Delete ${x.name}`}>Delete</button>}
        </div>
      ),
    },
  ];
  return (
    <>
      <PageHead title="Flows" intro="Call flows of the account: drafts, published versions and draft problems. A transactional flow's versions go live only once our operations team approves them.">
        {admin && <a className="btn btn-primary" href="#/flow-editor">New flow in the editor</a>}
        {admin && <button type="button" className="btn" onClick={() => setCreate(true)}>Add flow from JSON</button>}
      </PageHead>
      <ErrorBox text={flows.error} />
      <DataTable caption="Flows" columns={cols} rows={flows.data ?? []} rowKey={(x) => x.id} loading={flows.loading && !flows.data} search initialSort={{ key: "id", dir: "desc" }} empty="No flows yet." />
      {versions && <VersionsModal flow={versions} onClose={() => setVersions(null)} />}
      {problems && (
        <Modal title={`Problems in "${problems.flow.name}"`} onClose={() => setProblems(null)} wide>
          <DataTable caption="Problems" rows={problems.problems.map((p, i) => ({ ...p, i }))} rowKey={(p) => p.i} columns={[{ key: "node", label: "Node" }, { key: "field", label: "Field" }, { key: "message", label: "Problem" }]} empty="None." />
        </Modal>
      )}
      {dialing && <DialingModal flow={dialing} admin={admin} onClose={() => setDialing(null)} />}
      {create && <CreateFlow onClose={() => setCreate(false)} onSaved={() => { setCreate(false); flows.reload(); }} />}
    </>
  );
}

function VersionsModal({ flow, onClose }: { flow: Flow; onClose: () => void }) {
  const fmt = useTime();
  const v = useLoad(() => call<{ versions: FlowVersion[] }>(api.GET("/api/v1/flows/{id}/versions", { params: { path: { id: flow.id } } })).then((r) => r.versions ?? []), [flow.id]);
  const [shown, setShown] = useState<FlowVersion | null>(null);
  const open = async (x: FlowVersion) => setShown(await call<FlowVersion>(api.GET("/api/v1/flows/{id}/versions/{version}", { params: { path: { id: flow.id, version: String(x.version) } } })));
  return (
    <Modal title={`Versions of "${flow.name}"`} onClose={onClose} wide>
      <ErrorBox text={v.error} />
      <DataTable
        caption="Versions"
        rows={v.data ?? []}
        rowKey={(x) => x.version}
        loading={v.loading}
        initialSort={{ key: "version", dir: "desc" }}
        columns={[
          { key: "version", label: "Version", className: "num", render: (x) => `v${x.version}${x.version === flow.published_version ? " (live)" : ""}` },
          { key: "published_at", label: "Published", render: (x) => fmt(x.published_at) },
          { key: "submitted_by", label: "By", render: (x) => x.submitted_by || <span className="muted">—</span> },
          { key: "approval", label: "Approval", value: (x) => x.approval, render: (x) => <ApprovalState v={x} /> },
          { key: "view", label: "Definition", sortable: false, render: (x) => <button type="button" className="link" onClick={() => void open(x)}>View JSON</button> },
        ]}
        empty="Never published: publish the draft to make it live."
      />
      {shown && <pre className="json" tabIndex={0} aria-label={`Version ${shown.version} JSON`}>{JSON.stringify(shown.definition, null, 2)}</pre>}
    </Modal>
  );
}

/** ApprovalState says where a version stands with the operator's approval. */
function ApprovalState({ v }: { v: FlowVersion }) {
  const fmt = useTime();
  switch (v.approval) {
    case "pending":
      return <Badge text="awaiting approval" />;
    case "approved":
      return (
        <span>
          <Badge text="approved" /> <span className="muted">{v.decided_at ? fmt(v.decided_at) : ""}</span>
        </span>
      );
    case "rejected":
      return (
        <span>
          <Badge text="rejected" /> {v.decision_reason}
        </span>
      );
    case "superseded":
      return <Badge text="superseded" />;
    default:
      return <span className="muted">not needed</span>;
  }
}

function CreateFlow({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const [text, setText] = useState("");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(text);
    } catch {
      f.setErrors({ document: "This is not JSON." });
      return;
    }
    if (await f.run(async () => { await call(api.POST("/api/v1/flows", { body: doc })); }, ["document"])) {
      toast("Flow created.");
      onSaved();
    }
  };
  return (
    <Modal title="Add flow" onClose={onClose} wide footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="flow-form" className="btn btn-primary" disabled={f.busy}>Create</button></>}>
      <form id="flow-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Flow document (JSON)" error={f.errors.document} hint="Format 1: {format, name, type, start, variables, nodes}. Choose a file or paste it.">
          <textarea className="input mono" rows={14} value={text} onChange={(e) => setText(e.target.value)} />
        </Field>
        <label className="btn">
          Choose a .json file
          <input type="file" className="sr-only" accept=".json,application/json" onChange={async (e) => { const file = e.target.files?.[0]; if (file) setText(await file.text()); }} />
        </label>
      </form>
    </Modal>
  );
}

const hhmm = (m?: number) => (m === undefined ? "" : `${String(Math.floor(m / 60) % 24).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`);
const minutes = (v: string) => {
  const [h, m] = v.split(":").map(Number);
  return h * 60 + m;
};
const numOrUndef = (s: string) => (s.trim() === "" ? undefined : Number(s));

/** DialingModal shows an outbound flow's dialing settings; admins change them. */
function DialingModal({ flow, admin, onClose }: { flow: Flow; admin: boolean; onClose: () => void }) {
  const d = useLoad(() => call<FlowDialing>(api.GET("/api/v1/flows/{id}/dialing", { params: { path: { id: flow.id } } })), [flow.id]);
  return (
    <Modal title={`Dialing settings of "${flow.name}"`} onClose={onClose} wide footer={!admin || !d.data ? <button type="button" className="btn" onClick={onClose}>Close</button> : <><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="dialing-form" className="btn btn-primary">Save</button></>}>
      <ErrorBox text={d.error} />
      {d.data && <DialingForm flow={flow} initial={d.data} admin={admin} onSaved={onClose} />}
    </Modal>
  );
}

function DialingForm({ flow, initial, admin, onSaved }: { flow: Flow; initial: FlowDialing; admin: boolean; onSaved: () => void }) {
  const trunks = useTrunks();
  const toast = useToast();
  const f = useForm();
  const w = initial.calling_window;
  const [v, setV] = useState({
    mode: initial.mode ?? "automatic",
    trunk: initial.trunk ?? "",
    caller_id: initial.caller_id ?? "",
    simultaneous_calls: initial.simultaneous_calls ? String(initial.simultaneous_calls) : "",
    dial_attempts: initial.dial_attempts ? String(initial.dial_attempts) : "",
    retry_interval_sec: initial.retry_interval_sec !== undefined ? String(initial.retry_interval_sec) : "",
    dial_timeout_ms: initial.dial_timeout_ms ? String(initial.dial_timeout_ms) : "",
    calls_per_second: initial.calls_per_second ? String(initial.calls_per_second) : "",
    window_from: w && (w.start_minute || w.end_minute) ? hhmm(w.start_minute) : "",
    window_to: w && (w.start_minute || w.end_minute) ? hhmm(w.end_minute) : "",
  });
  const set = (k: keyof typeof v, val: string) => setV((cur) => ({ ...cur, [k]: val }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!!v.window_from !== !!v.window_to) return f.setErrors({ calling_window: "Give both the start and the end of the calling window, or neither." });
    const body = {
      trunk: v.trunk, // "": the default trunk
      caller_id: v.caller_id.trim(), // "": none
      // Blank numbers keep the stored value.
      ...clean({
        mode: v.mode as FlowDialing["mode"],
        simultaneous_calls: numOrUndef(v.simultaneous_calls),
        dial_attempts: numOrUndef(v.dial_attempts),
        retry_interval_sec: numOrUndef(v.retry_interval_sec),
      }),
      dial_timeout_ms: numOrUndef(v.dial_timeout_ms) ?? 0,
      calls_per_second: numOrUndef(v.calls_per_second) ?? 0,
      calling_window: v.window_from ? { start_minute: minutes(v.window_from), end_minute: minutes(v.window_to) } : { start_minute: 0, end_minute: 0 },
    } as FlowDialing;
    if (await f.run(async () => { await call(api.PUT("/api/v1/flows/{id}/dialing", { params: { path: { id: flow.id } }, body })); }, Object.keys(body))) {
      toast(`Dialing settings of "${flow.name}" saved.`);
      onSaved();
    }
  };
  return (
    <form id="dialing-form" onSubmit={submit} noValidate>
      {!initial.configured && <p className="muted">Nobody has set these yet: the defaults below apply.</p>}
      <FormError text={f.general} />
      <fieldset className="fieldset" disabled={!admin}>
        <legend className="sr-only">Dialing settings</legend>
        <div className="grid2">
          <Field label="Dialing mode" error={f.errors.mode} hint="Automatic dials every list of the flow at its start times; campaigns only waits for a campaign that lists it.">
            <select className="input" value={v.mode} onChange={(e) => set("mode", e.target.value)}>
              <option value="automatic">Automatic</option>
              <option value="campaigns_only">Campaigns only</option>
            </select>
          </Field>
          <Field label="Trunk" error={f.errors.trunk ?? trunks.error} hint="The route the calls go out through, as our support team configured them.">
            <select className="input" value={v.trunk} onChange={(e) => set("trunk", e.target.value)}>
              <TrunkOptions trunks={trunks.data ?? []} value={v.trunk} />
            </select>
          </Field>
          <Field label="Caller id" error={f.errors.caller_id}>
            <input className="input" value={v.caller_id} onChange={(e) => set("caller_id", e.target.value)} />
          </Field>
          <Field label="Simultaneous calls" error={f.errors.simultaneous_calls}>
            <input className="input" type="number" min={1} max={1000} value={v.simultaneous_calls} onChange={(e) => set("simultaneous_calls", e.target.value)} />
          </Field>
          <Field label="Dial attempts" error={f.errors.dial_attempts}>
            <input className="input" type="number" min={1} max={10} value={v.dial_attempts} onChange={(e) => set("dial_attempts", e.target.value)} />
          </Field>
          <Field label="Retry interval (s)" error={f.errors.retry_interval_sec}>
            <input className="input" type="number" min={0} value={v.retry_interval_sec} onChange={(e) => set("retry_interval_sec", e.target.value)} />
          </Field>
          <Field label="Dial timeout (ms)" error={f.errors.dial_timeout_ms} hint="Blank = 30 s.">
            <input className="input" type="number" min={0} max={300000} value={v.dial_timeout_ms} onChange={(e) => set("dial_timeout_ms", e.target.value)} />
          </Field>
          <Field label="Calls per second" error={f.errors.calls_per_second} hint="Blank = no cap.">
            <input className="input" type="number" min={0} step="0.1" value={v.calls_per_second} onChange={(e) => set("calls_per_second", e.target.value)} />
          </Field>
          <Field label="Calling window from" error={f.errors.calling_window} hint="In each number's local time; blank = any time.">
            <input className="input" type="time" value={v.window_from} onChange={(e) => set("window_from", e.target.value)} />
          </Field>
          <Field label="Calling window to">
            <input className="input" type="time" value={v.window_to} onChange={(e) => set("window_to", e.target.value)} />
          </Field>
        </div>
      </fieldset>
    </form>
  );
}
