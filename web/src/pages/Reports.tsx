import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { api, call, clean, href } from "../api/client";
import type { CallRow, Recording } from "../api/types";
import { DataTable, type Column } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field } from "../ui/Field";
import { useConfirm } from "../ui/Confirm";
import { Badge, ErrorBox, PageHead, useLoad, useTime } from "../util";
import { FLOW_TYPE_LABEL, listFlows } from "./flowsCache";
import { useRoute } from "../router";
import { useSession } from "../session";
import { takePrefetched, takeSettled } from "../boot";

interface Filters {
  from: string;
  to: string;
  flow_type: string;
  flow_id: string;
  call_id: string;
  request_id: string;
  queue: string;
  customer: string;
  sms: string;
  email: string;
}
const none: Filters = { from: "", to: "", flow_type: "", flow_id: "", call_id: "", request_id: "", queue: "", customer: "", sms: "", email: "" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function ReportsPage() {
  const fmt = useTime();
  const route = useRoute();
  const { can } = useSession();
  const confirm = useConfirm();
  const initial = { ...none, request_id: route.query.get("request_id") ?? "" };
  const [draft, setDraft] = useState<Filters>(initial);
  const [filters, setFilters] = useState<Filters>(initial);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  // The first page, when it came back while the page loaded: drawn in the
  // first render, not asked for again.
  const [first] = useState(() => takeSettled("/api/v1/reports/calls", { ...clean(initial), limit: 100 }) as { rows?: CallRow[]; next?: string } | undefined);
  const skipFirst = useRef(!!first);
  const [rows, setRows] = useState<CallRow[]>(first?.rows ?? []);
  const [next, setNext] = useState(first?.next ?? "");
  const [error, setError] = useState("");
  // Loading from the start otherwise: the first page is asked for on
  // mount, so the table does not show "no calls" first.
  const [loading, setLoading] = useState(!first);
  const [journey, setJourney] = useState<string | null>(null);
  const [recs, setRecs] = useState<CallRow | null>(null);
  const flows = useLoad(listFlows, []);

  const q = (f: Filters) => clean({ ...f, from: f.from, to: f.to });

  const load = async (f: Filters, after?: string) => {
    setLoading(true);
    setError("");
    try {
      const query = { ...q(f), limit: 100, ...(after ? { after } : {}) };
      // The first page may already be on its way (started with the page load).
      const r = await call<{ rows: CallRow[]; next?: string }>(takePrefetched("/api/v1/reports/calls", query) ?? api.GET("/api/v1/reports/calls", { params: { query } }));
      setRows((cur) => (after ? [...cur, ...(r.rows ?? [])] : r.rows ?? []));
      setNext(r.next ?? "");
    } catch (e) {
      const err = e as { field?: string; message: string };
      if (err.field) setFieldErr({ [err.field]: err.message });
      else setError(err.message);
      if (!after) setRows([]);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    if (skipFirst.current) {
      skipFirst.current = false;
      return;
    }
    void load(filters);
  }, [filters]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (draft.call_id.trim() && !UUID.test(draft.call_id.trim())) errs.call_id = "A Phonon UUID looks like 8-4-4-4-12 hex digits.";
    if (draft.from && draft.to && draft.to < draft.from) errs.to = "The end date is before the start date.";
    setFieldErr(errs);
    if (Object.keys(errs).length) return;
    setFilters({ ...draft, call_id: draft.call_id.trim(), request_id: draft.request_id.trim() });
  };
  const bulk = async () => {
    const ok = await confirm({
      title: "Download Recordings",
      message: "Download every recording of the calls matching these filters, all attempts, as one .zip file? Recordings older than 30 days are listed in MISSING.txt instead.",
      confirm: "Yes",
      cancel: "No",
      danger: false,
    });
    if (ok) window.location.assign(href("/api/v1/reports/recordings.zip", q(filters)));
  };

  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });
  // The columns stay the same between renders, so the table redraws only
  // the rows that change (see DataTable).
  const cols = useMemo<Column<CallRow>[]>(() => [
    { key: "started_at", label: "Start time", render: (r) => fmt(r.started_at) },
    { key: "call_id", label: "Phonon UUID", render: (r) => <code className="id">{r.call_id}</code> },
    { key: "attempt_number", label: "Attempt", className: "num" },
    { key: "request_id", label: "Request ID", render: (r) => (r.request_id ? <code className="id">{r.request_id}</code> : "") },
    { key: "flow_name", label: "Flow", value: (r) => (r.flow_name ? `${r.flow_name} (${r.flow_id})` : r.flow_id) },
    { key: "direction", label: "Direction" },
    { key: "cli", label: "CLI" },
    { key: "dnis", label: "DNIS" },
    { key: "status", label: "Status", render: (r) => <Badge text={r.status} tone={r.status === "ANSWER" || r.status === "COMPLETE" || r.status === "IN_ANSWER" ? "ok" : undefined} /> },
    { key: "duration_s", label: "Duration (s)", className: "num" },
    { key: "queue", label: "Queue" },
    {
      key: "journey",
      label: "View detailed report",
      sortable: false,
      render: (r) => (
        <button type="button" className="link" onClick={() => setJourney(r.attempt_id)} aria-label={`View JSON journey of attempt ${r.attempt_number} of call ${r.call_id}`}>
          View
        </button>
      ),
    },
    {
      key: "rec",
      label: "Download recording",
      sortable: false,
      render: (r) =>
        r.recorded ? (
          <button type="button" className="link" onClick={() => setRecs(r)} aria-label={`Download recordings of attempt ${r.attempt_number} of call ${r.call_id}`}>
            Download recordings
          </button>
        ) : (
          <span className="muted">None</span>
        ),
    },
  ], [fmt]);
  const flowsOfType = (flows.data ?? []).filter((f) => !draft.flow_type || f.type === draft.flow_type);
  return (
    <>
      <PageHead title="Reports" intro="Every call attempt performed, scheduled or in process; filter, then search or download.">
        <a className="btn" href={href("/api/v1/reports/calls.csv", q(filters))} download>
          Download csv
        </a>
        {can("supervisor") && (
          <button type="button" className="btn" onClick={() => void bulk()}>
            Download Recordings
          </button>
        )}
      </PageHead>
      <form className="filters" onSubmit={submit} aria-label="Filters" noValidate>
        <Field label="From date" error={fieldErr.from}>
          <input className="input" type="date" value={draft.from} onChange={set("from")} />
        </Field>
        <Field label="To date" error={fieldErr.to}>
          <input className="input" type="date" value={draft.to} onChange={set("to")} />
        </Field>
        <Field label="Flow Type" error={fieldErr.flow_type}>
          <select className="input" value={draft.flow_type} onChange={(e) => setDraft({ ...draft, flow_type: e.target.value, flow_id: "" })}>
            <option value="">All</option>
            {["inbound", "outbound_multicast", "outbound_dialer", "emergency_notification"].map((t) => (
              <option key={t} value={t}>
                {FLOW_TYPE_LABEL[t]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Flow Name - ID" error={fieldErr.flow_id}>
          <select className="input" value={draft.flow_id} onChange={set("flow_id")}>
            <option value="">All</option>
            {flowsOfType.map((f) => (
              <option key={f.id} value={String(f.id)}>
                {f.name} - {f.id}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Phonon UUID" error={fieldErr.call_id}>
          <input className="input" value={draft.call_id} onChange={set("call_id")} />
        </Field>
        <Field label="Request ID" error={fieldErr.request_id}>
          <input className="input" value={draft.request_id} onChange={set("request_id")} />
        </Field>
        <Field label="Queue" error={fieldErr.queue}>
          <input className="input" value={draft.queue} onChange={set("queue")} />
        </Field>
        <Field label="Call" error={fieldErr.customer} hint="The customer's number">
          <input className="input" inputMode="tel" value={draft.customer} onChange={set("customer")} />
        </Field>
        <Field label="SMS" error={fieldErr.sms}>
          <input className="input" inputMode="tel" value={draft.sms} onChange={set("sms")} />
        </Field>
        <Field label="Email" error={fieldErr.email}>
          <input className="input" type="email" value={draft.email} onChange={set("email")} />
        </Field>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Search
          </button>
          <button type="button" className="btn" onClick={() => { setDraft(none); setFilters(none); setFieldErr({}); }}>
            Clear
          </button>
        </div>
      </form>
      <ErrorBox text={error} />
      <DataTable caption="Call report" columns={cols} rows={rows} rowKey={(r) => r.attempt_id} loading={loading && rows.length === 0} empty="No calls match these filters." />
      {next && (
        <p className="more">
          <button type="button" className="btn" disabled={loading} onClick={() => void load(filters, next)}>
            Load more
          </button>
        </p>
      )}
      {journey && <JourneyModal attempt={journey} onClose={() => setJourney(null)} />}
      {recs && <RecordingsModal row={recs} onClose={() => setRecs(null)} />}
    </>
  );
}

function JourneyModal({ attempt, onClose }: { attempt: string; onClose: () => void }) {
  const j = useLoad(() => call<unknown>(api.GET("/api/v1/calls/{id}/journey", { params: { path: { id: attempt } } })), [attempt]);
  return (
    <Modal title={`Journey of attempt ${attempt}`} onClose={onClose} wide>
      <ErrorBox text={j.error} />
      {j.loading && <p>Loading…</p>}
      {j.data !== undefined && (
        <pre className="json" tabIndex={0} aria-label="Journey JSON">
          {JSON.stringify(j.data, null, 2)}
        </pre>
      )}
    </Modal>
  );
}

function RecordingsModal({ row, onClose }: { row: CallRow; onClose: () => void }) {
  const fmt = useTime();
  const r = useLoad(() => call<{ recordings: Recording[] }>(api.GET("/api/v1/reports/attempts/{id}/recordings", { params: { path: { id: row.attempt_id } } })), [row.attempt_id]);
  return (
    <Modal title={`Recordings of attempt ${row.attempt_number}`} onClose={onClose} wide>
      <ErrorBox text={r.error} />
      <DataTable
        caption="Recordings"
        rows={r.data?.recordings ?? []}
        rowKey={(x) => x.id}
        loading={r.loading}
        columns={[
          { key: "kind", label: "Recording Type" },
          { key: "file_name", label: "File" },
          { key: "started_at", label: "Started", render: (x) => fmt(x.started_at) },
          { key: "duration_ms", label: "Duration (s)", className: "num", value: (x) => Math.round(x.duration_ms / 100) / 10 },
          {
            key: "dl",
            label: "Download",
            sortable: false,
            render: (x) =>
              x.available ? (
                <a href={x.download_url} download={x.file_name}>
                  Download
                </a>
              ) : (
                <span className="muted">Not available</span>
              ),
          },
        ]}
        empty="This attempt has no recording."
      />
    </Modal>
  );
}
