import { useState, type FormEvent } from "react";
import { api, call, clean } from "../api/client";
import type { Campaign, CampaignProgress, Flow, Queue, RequestSummary } from "../api/types";
import { DataTable, type Column } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Check, Field, FormError, useForm } from "../ui/Field";
import { useAction } from "../ui/action";
import { useToast } from "../ui/Toast";
import { Badge, ErrorBox, PageHead, dayEnd, dayStart, useInterval, useLoad, useTime } from "../util";
import { listFlows } from "./flowsCache";
import { useSession } from "../session";
import { TrunkOptions, useTrunks } from "./trunks";

type Action = "start" | "pause" | "resume" | "cancel";

export function CampaignsPage() {
  const fmt = useTime();
  const action = useAction();
  const { can } = useSession();
  const [draft, setDraft] = useState({ started_from: "", ended_to: "", status: "", accountcode: "" });
  const [filters, setFilters] = useState(draft);
  const [edit, setEdit] = useState<Campaign | "new" | null>(null);
  const [progress, setProgress] = useState<Record<number, CampaignProgress>>({});
  const list = useLoad(
    () =>
      call<{ campaigns: Campaign[] }>(
        api.GET("/api/v1/campaigns", {
          params: { query: clean({ status: filters.status as Campaign["status"], accountcode: filters.accountcode.trim(), started_from: dayStart(filters.started_from), ended_to: dayEnd(filters.ended_to) }) },
        }),
      ).then((r) => r.campaigns ?? []),
    [filters],
  );
  const live = (list.data ?? []).filter((c) => c.status === "Running" || c.status === "Paused");
  const pollProgress = async (cs: Campaign[]) => {
    const out: Record<number, CampaignProgress> = {};
    await Promise.all(
      cs.map(async (c) => {
        try {
          out[c.id] = await call<CampaignProgress>(api.GET("/api/v1/campaigns/{id}/progress", { params: { path: { id: c.id } } }));
        } catch {
          /* shown as unknown */
        }
      }),
    );
    setProgress((p) => ({ ...p, ...out }));
  };
  useInterval(() => {
    if (live.length) {
      void pollProgress(live);
      list.reload();
    }
  }, 3000);
  const [seen, setSeen] = useState("");
  const ids = (list.data ?? []).map((c) => `${c.id}:${c.status}`).join(",");
  if (ids !== seen && list.data) {
    setSeen(ids);
    void pollProgress(list.data);
  }
  const act = (c: Campaign, a: Action) =>
    action({
      ask: a === "cancel" ? { title: "Cancel campaign", message: `Cancel "${c.name}"? It stops placing calls; it can be started again later.`, confirm: "Cancel campaign", cancel: "Keep running" } : undefined,
      run: () => call(api.POST(`/api/v1/campaigns/{id}/${a}`, { params: { path: { id: c.id } } })),
      done: `Campaign "${c.name}": ${a === "start" ? "started" : a === "pause" ? "paused" : a === "resume" ? "resumed" : "cancelled"}.`,
      after: list.reload,
    });
  const remove = (c: Campaign) =>
    action({
      ask: { title: "Remove campaign", message: `Remove "${c.name}"? Its call lists stay.`, confirm: "Remove" },
      run: () => call(api.DELETE("/api/v1/campaigns/{id}", { params: { path: { id: c.id } } })),
      done: "Campaign removed.",
      after: list.reload,
    });
  const control = can("supervisor");
  const cols: Column<Campaign>[] = [
    { key: "name", label: "Name" },
    { key: "accountcode", label: "Accountcode" },
    { key: "type", label: "Campaign type" },
    { key: "mode", label: "Mode" },
    { key: "status", label: "Status", render: (c) => <Badge text={c.status} /> },
    { key: "progress", label: "Progress", sortable: false, render: (c) => <ProgressCell p={progress[c.id]} sms={c.type === "sms"} /> },
    { key: "started_at", label: "Started at", render: (c) => fmt(c.started_at) },
    { key: "ended_at", label: "Ended at", render: (c) => fmt(c.ended_at) },
    {
      key: "actions",
      label: "Actions",
      sortable: false,
      render: (c) => (
        <div className="row-actions">
          {control && ["Created", "Finished", "Cancelled"].includes(c.status) && <button type="button" className="btn btn-small btn-primary" onClick={() => void act(c, "start")} aria-label={`Start ${c.name}`}>Start</button>}
          {control && c.status === "Running" && <button type="button" className="btn btn-small" onClick={() => void act(c, "pause")} aria-label={`Pause ${c.name}`}>Pause</button>}
          {control && c.status === "Paused" && <button type="button" className="btn btn-small btn-primary" onClick={() => void act(c, "resume")} aria-label={`Resume ${c.name}`}>Resume</button>}
          {control && (c.status === "Running" || c.status === "Paused") && <button type="button" className="btn btn-small btn-danger" onClick={() => void act(c, "cancel")} aria-label={`Cancel ${c.name}`}>Cancel</button>}
          {(c.status === "Created" || c.status === "Finished") && <button type="button" className="btn btn-small" onClick={() => setEdit(c)} aria-label={`Edit ${c.name}`}>Edit</button>}
          {c.status !== "Running" && c.status !== "Paused" && <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void remove(c)} aria-label={`Remove ${c.name}`}>Remove</button>}
        </div>
      ),
    },
  ];
  return (
    <>
      <PageHead title="Campaigns" intro="Dialing campaigns over your recipients lists: create, start, pause, resume or cancel them, and follow their progress.">
        <button type="button" className="btn btn-primary" onClick={() => setEdit("new")}>
          Add campaign
        </button>
      </PageHead>
      <form className="filters" aria-label="Search Filters" onSubmit={(e: FormEvent) => { e.preventDefault(); setFilters(draft); }}>
        <Field label="Started at or after">
          <input className="input" type="date" value={draft.started_from} onChange={(e) => setDraft({ ...draft, started_from: e.target.value })} />
        </Field>
        <Field label="Ended at or before">
          <input className="input" type="date" value={draft.ended_to} onChange={(e) => setDraft({ ...draft, ended_to: e.target.value })} />
        </Field>
        <Field label="Status">
          <select className="input" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
            <option value="">All</option>
            {["Created", "Running", "Paused", "Finished", "Cancelled"].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Accountcode">
          <input className="input" value={draft.accountcode} maxLength={64} onChange={(e) => setDraft({ ...draft, accountcode: e.target.value })} />
        </Field>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">Search</button>
        </div>
      </form>
      <ErrorBox text={list.error} />
      <DataTable caption="Campaigns" columns={cols} rows={list.data ?? []} rowKey={(c) => c.id} loading={list.loading && !list.data} search empty={<>No campaigns yet. <strong>Add campaign</strong> dials one or more recipients lists.</>} />
      {edit && <CampaignForm campaign={edit === "new" ? null : edit} onClose={() => setEdit(null)} onSaved={() => { setEdit(null); list.reload(); }} />}
    </>
  );
}

function ProgressCell({ p, sms }: { p?: CampaignProgress; sms?: boolean }) {
  if (!p) return <span className="muted">–</span>;
  const total = p.pending + p.in_process + p.complete;
  const done = total ? Math.round((p.complete / total) * 100) : 0;
  return (
    <div className="progress-cell">
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={done} aria-label="Records complete">
        <span style={{ width: `${done}%` }} />
      </div>
      <span className="small">
        {p.complete}/{total} complete · {sms ? `${p.by_status?.sent ?? 0} sent · ${p.by_status?.failed ?? 0} failed` : `${p.dialed} dialed · ${p.answered} answered`}{p.live ? ` · ${p.live.active} live` : ""}
      </span>
    </div>
  );
}

interface FormValues {
  type: "telephone" | "sms";
  mode: string;
  name: string;
  accountcode: string;
  recipients: string[];
  caller_id: string;
  trunk: string;
  simultaneous_calls: string;
  dial_attempts: string;
  dial_timeout_ms: string;
  only_when_free_members: boolean;
  queue: string;
  dial_to_extension: string;
  flow_id: string;
  multiplier: string;
  retry_interval_sec: string;
  calls_per_second: string;
  amd: boolean;
  sms_text: string;
}

/** The longest SMS text, in characters (the API's limit; 670 with characters outside the GSM alphabet, which the API reports). */
const maxSMSText = 1530;

function toForm(c: Campaign | null): FormValues {
  return {
    type: c?.type ?? "telephone",
    mode: c?.mode ?? "multicast",
    name: c?.name ?? "",
    accountcode: c?.accountcode ?? "",
    recipients: c?.recipients ?? [],
    caller_id: c?.caller_id ?? "",
    trunk: c?.trunk ?? "",
    simultaneous_calls: c?.simultaneous_calls ? String(c.simultaneous_calls) : "",
    dial_attempts: c?.dial_attempts ? String(c.dial_attempts) : "1",
    dial_timeout_ms: c?.dial_timeout_ms ? String(c.dial_timeout_ms) : "",
    only_when_free_members: c?.only_when_free_members ?? false,
    queue: c?.queue ?? "",
    dial_to_extension: c?.dial_to_extension ?? "",
    flow_id: c?.flow_id ? String(c.flow_id) : "",
    multiplier: c?.multiplier ? String(c.multiplier) : "",
    retry_interval_sec: c?.retry_interval_sec ? String(c.retry_interval_sec) : "",
    calls_per_second: c?.calls_per_second ? String(c.calls_per_second) : "",
    amd: c?.amd ?? false,
    sms_text: c?.sms_text ?? "",
  };
}

const num = (s: string) => (s.trim() === "" ? undefined : Number(s));

function CampaignForm({ campaign, onClose, onSaved }: { campaign: Campaign | null; onClose: () => void; onSaved: () => void }) {
  const toast = useToast();
  const [v, setV] = useState<FormValues>(() => toForm(campaign));
  const f = useForm();
  const lists = useLoad(() => call<{ requests: RequestSummary[] }>(api.GET("/api/v1/calllists/requests", { params: { query: { limit: 1000 } } })).then((r) => r.requests ?? []), []);
  const flows = useLoad(listFlows, []);
  const trunks = useTrunks();
  const queues = useLoad(() => call<{ queues: Queue[] }>(api.GET("/api/v1/queues")).then((r) => r.queues ?? []).catch(() => null), []);
  // Lists with the campaign's accountcode come first.
  const code = v.accountcode.trim();
  const active = (lists.data ?? [])
    .filter((r) => r.list_status !== "disabled" || v.recipients.includes(r.request_id))
    .sort((a, b) => Number(!!code && b.accountcode === code) - Number(!!code && a.accountcode === code));
  const published = (flows.data ?? []).filter((x: Flow) => x.published_version > 0 && x.type !== "inbound");
  const set = <K extends keyof FormValues>(k: K, val: FormValues[K]) => setV((cur) => ({ ...cur, [k]: val }));
  const sms = v.type === "sms";
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!v.name.trim()) errs.name = "Give the campaign a name.";
    if (v.recipients.length === 0) errs.recipients = "Select at least one recipients list.";
    if (sms && !v.sms_text.trim()) errs.sms_text = "Write the SMS text sent to each record.";
    if (sms && [...v.sms_text].length > maxSMSText) errs.sms_text = `At most ${maxSMSText} characters.`;
    if (Object.keys(errs).length) return f.setErrors(errs);
    // An SMS campaign sends instead of dialing: none of the call's fields.
    const body = sms
      ? (clean({
          type: v.type,
          name: v.name.trim(),
          accountcode: code,
          recipients: v.recipients,
          caller_id: v.caller_id.trim(),
          simultaneous_calls: num(v.simultaneous_calls),
          dial_attempts: num(v.dial_attempts),
          retry_interval_sec: num(v.retry_interval_sec),
          calls_per_second: num(v.calls_per_second),
          sms_text: v.sms_text,
        }) as { name: string })
      : (clean({
          type: v.type,
          mode: v.only_when_free_members && v.mode === "multicast" ? "progressive" : v.mode,
          name: v.name.trim(),
          accountcode: code,
          recipients: v.recipients,
          caller_id: v.caller_id.trim(),
          trunk: v.trunk.trim(),
          simultaneous_calls: num(v.simultaneous_calls),
          dial_attempts: num(v.dial_attempts),
          dial_timeout_ms: num(v.dial_timeout_ms),
          only_when_free_members: v.only_when_free_members,
          queue: v.queue.trim(),
          dial_to_extension: v.dial_to_extension.trim(),
          flow_id: num(v.flow_id),
          multiplier: num(v.multiplier),
          retry_interval_sec: num(v.retry_interval_sec),
          calls_per_second: num(v.calls_per_second),
          amd: v.amd,
        }) as { name: string });
    const ok = await f.run(async () => {
      if (campaign) await call(api.PUT("/api/v1/campaigns/{id}", { params: { path: { id: campaign.id } }, body }));
      else await call(api.POST("/api/v1/campaigns", { body }));
    }, Object.keys(v));
    if (ok) {
      toast(campaign ? "Campaign saved." : "Campaign created.");
      onSaved();
    }
  };
  return (
    <Modal
      title={campaign ? `Edit campaign ${campaign.name}` : "Add campaign"}
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>Cancel</button>
          <button type="submit" form="campaign-form" className="btn btn-primary" disabled={f.busy}>{f.busy ? "Saving…" : "Save"}</button>
        </>
      }
    >
      <form id="campaign-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <div className="grid2">
          <Field label="Campaign type" error={f.errors.type}>
            <select className="input" value={v.type} onChange={(e) => set("type", e.target.value as FormValues["type"])}>
              <option value="telephone">Telephone</option>
              <option value="sms">SMS</option>
            </select>
          </Field>
          <Field label="Accountcode" error={f.errors.accountcode} hint="The campaign's accountcode: its calls carry it, and the ADS reports select campaigns by it. May be left blank.">
            <input className="input" value={v.accountcode} onChange={(e) => set("accountcode", e.target.value)} maxLength={64} />
          </Field>
          <Field label="Name" error={f.errors.name}>
            <input className="input" value={v.name} onChange={(e) => set("name", e.target.value)} maxLength={255} />
          </Field>
        </div>
        <fieldset className="fieldset">
          <legend>Recipients</legend>
          {f.errors.recipients && <div className="field-err" role="alert">{f.errors.recipients}</div>}
          <div className="checklist checklist-scroll" role="group" aria-label="Recipients lists">
            {active.length === 0 && <p className="muted">No active recipients list: upload a call list first (Request Summary Dashboard or Recipients).</p>}
            {active.map((r) => (
              <Check
                key={r.request_id}
                label={`${r.name || r.file_name || r.request_id} · ${r.flow_name} · ${r.records_added} records${r.accountcode ? ` · ${r.accountcode}` : ""}`}
                checked={v.recipients.includes(r.request_id)}
                onChange={(on) => set("recipients", on ? [...v.recipients, r.request_id] : v.recipients.filter((x) => x !== r.request_id))}
              />
            ))}
          </div>
        </fieldset>
        {sms && (
          <Field label="SMS text" error={f.errors.sms_text} hint={`Sent to each record (${[...v.sms_text].length}/${maxSMSText} characters). The recipients list's columns go in as \${flow.key.name} or $flow.key.name; $call.dnis is the number.`}>
            <textarea className="input" rows={4} value={v.sms_text} onChange={(e) => set("sms_text", e.target.value)} />
          </Field>
        )}
        {sms ? (
          <div className="grid2">
            <Field label="Call id" error={f.errors.caller_id} hint="The sender shown on the phones; may be left blank.">
              <input className="input" value={v.caller_id} onChange={(e) => set("caller_id", e.target.value)} />
            </Field>
            <Field label="Simultaneous calls" error={f.errors.simultaneous_calls} hint="Messages sent at a time; blank = 10.">
              <input className="input" type="number" min={1} max={1000} value={v.simultaneous_calls} onChange={(e) => set("simultaneous_calls", e.target.value)} />
            </Field>
            <Field label="Dial attempts" error={f.errors.dial_attempts} hint="A failed SMS is sent again up to this many times in all; a sent one never.">
              <input className="input" type="number" min={1} max={10} value={v.dial_attempts} onChange={(e) => set("dial_attempts", e.target.value)} />
            </Field>
            <Field label="Retry interval (s)" error={f.errors.retry_interval_sec}>
              <input className="input" type="number" min={0} value={v.retry_interval_sec} onChange={(e) => set("retry_interval_sec", e.target.value)} />
            </Field>
            <Field label="Calls per second" error={f.errors.calls_per_second} hint="Messages per second; blank = no cap.">
              <input className="input" type="number" min={0} step="0.1" value={v.calls_per_second} onChange={(e) => set("calls_per_second", e.target.value)} />
            </Field>
          </div>
        ) : (
          <>
          <div className="grid2">
            <Field label="Call id" error={f.errors.caller_id} hint="The caller id shown to the phones being called; may be left blank.">
              <input className="input" value={v.caller_id} onChange={(e) => set("caller_id", e.target.value)} />
            </Field>
            <Field label="Permission group" error={f.errors.trunk ?? trunks.error} hint="The trunk that routes this campaign's calls, as our support team configured them.">
              <select className="input" value={v.trunk} onChange={(e) => set("trunk", e.target.value)}>
                <TrunkOptions trunks={trunks.data ?? []} value={v.trunk} />
              </select>
            </Field>
            <Field label="Simultaneous calls" error={f.errors.simultaneous_calls} hint="Blank = 10. Ignored when dialing only for free queue members.">
              <input className="input" type="number" min={1} max={1000} value={v.simultaneous_calls} onChange={(e) => set("simultaneous_calls", e.target.value)} />
            </Field>
            <Field label="Dial attempts" error={f.errors.dial_attempts}>
              <input className="input" type="number" min={1} max={10} value={v.dial_attempts} onChange={(e) => set("dial_attempts", e.target.value)} />
            </Field>
            <Field label="Dial timeout" error={f.errors.dial_timeout_ms} hint="Milliseconds; blank = 30 s.">
              <input className="input" type="number" min={0} max={300000} value={v.dial_timeout_ms} onChange={(e) => set("dial_timeout_ms", e.target.value)} />
            </Field>
            <Field label="Dial to extension" error={f.errors.dial_to_extension} hint="Where an answered callee is sent; may be left blank.">
              <input className="input" value={v.dial_to_extension} onChange={(e) => set("dial_to_extension", e.target.value)} />
            </Field>
          </div>
          <Check label="Only dial out when there are free members in the queue" checked={v.only_when_free_members} onChange={(x) => set("only_when_free_members", x)} />
          <div className="grid2">
            <Field label="Queue" error={f.errors.queue} hint="Needed for progressive, multiplied, predictive and agent-first dialing.">
              {queues.data ? (
                <select className="input" value={v.queue} onChange={(e) => set("queue", e.target.value)}>
                  <option value="">None</option>
                  {queues.data.map((q) => (
                    <option key={q.id} value={q.name}>{q.name}</option>
                  ))}
                </select>
              ) : (
                <input className="input" value={v.queue} onChange={(e) => set("queue", e.target.value)} />
              )}
            </Field>
            <Field label="Mode" error={f.errors.mode}>
              <select className="input" value={v.mode} onChange={(e) => set("mode", e.target.value)}>
                <option value="multicast">Multicast</option>
                <option value="progressive">Progressive</option>
                <option value="multiplied">Multiplied</option>
                <option value="predictive">Predictive</option>
                <option value="agent_first">Agent first</option>
              </select>
            </Field>
            <Field label="Flow" error={f.errors.flow_id} hint="A published flow run when the call is answered.">
              <select className="input" value={v.flow_id} onChange={(e) => set("flow_id", e.target.value)}>
                <option value="">None</option>
                {published.map((x) => (
                  <option key={x.id} value={String(x.id)}>{x.name} ({x.id})</option>
                ))}
              </select>
            </Field>
            <Field label="Multiplier" error={f.errors.multiplier} hint="Calls per free agent; blank = the global multiplier.">
              <input className="input" type="number" min={0} max={50} step="0.1" value={v.multiplier} onChange={(e) => set("multiplier", e.target.value)} />
            </Field>
            <Field label="Retry interval (s)" error={f.errors.retry_interval_sec}>
              <input className="input" type="number" min={0} value={v.retry_interval_sec} onChange={(e) => set("retry_interval_sec", e.target.value)} />
            </Field>
            <Field label="Calls per second" error={f.errors.calls_per_second} hint="Blank = no cap.">
              <input className="input" type="number" min={0} step="0.1" value={v.calls_per_second} onChange={(e) => set("calls_per_second", e.target.value)} />
            </Field>
          </div>
          <Check label="Answering-machine detection" checked={v.amd} onChange={(x) => set("amd", x)} />
          </>
        )}
      </form>
    </Modal>
  );
}
