import { useState, type FormEvent } from "react";
import { api, call, clean, href } from "../api/client";
import type { Flow, RequestDetail, RequestSummary } from "../api/types";
import { DataTable, type Column } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field } from "../ui/Field";
import { Badge, ErrorBox, PageHead, dayEnd, dayStart, pct, useInterval, useLoad, useTime } from "../util";
import { FLOW_TYPE_LABEL, listFlows, requestFlowType } from "./flowsCache";
import { UploadModal } from "./Upload";
import { useSession } from "../session";

interface Filters {
  from: string;
  to: string;
  request_id: string;
  flow_type: string;
  flow_id: string;
}
const empty: Filters = { from: "", to: "", request_id: "", flow_type: "", flow_id: "" };

export function RequestsPage() {
  const fmt = useTime();
  const { can } = useSession();
  const [draft, setDraft] = useState<Filters>(empty);
  const [filters, setFilters] = useState<Filters>(empty);
  const [upload, setUpload] = useState(false);
  const [view, setView] = useState<string | null>(null);
  const flows = useLoad(listFlows, []);
  const list = useLoad(
    () =>
      call<{ requests: RequestSummary[] }>(
        api.GET("/api/v1/calllists/requests", {
          params: { query: clean({ from: dayStart(filters.from), to: dayEnd(filters.to), request_id: filters.request_id.trim(), flow_type: filters.flow_type as "outbound" | "dialer", flow_id: filters.flow_id, limit: 500 }) },
        }),
      ).then((r) => r.requests ?? []),
    [filters],
  );
  // The dashboard follows requests as they are dialed.
  useInterval(list.reload, 5000);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft });
  };
  const outboundFlows = (flows.data ?? []).filter((f) => f.type !== "inbound" && (!draft.flow_type || requestFlowType(f.type) === draft.flow_type));
  const cols: Column<RequestSummary>[] = [
    { key: "request_id", label: "Request ID", render: (r) => <code className="id">{r.request_id}</code> },
    { key: "status", label: "Status", render: (r) => <Badge text={r.status} /> },
    { key: "flow_type", label: "Flow Type", render: (r) => FLOW_TYPE_LABEL[r.flow_type] ?? r.flow_type },
    { key: "flow_name", label: "Flow Name" },
    { key: "flow_id", label: "Flow ID", value: (r) => Number(r.flow_id) || r.flow_id },
    { key: "records_loaded", label: "Records loaded", className: "num" },
    { key: "records_added", label: "Records added", className: "num" },
    { key: "records_completed", label: "Records Completed", className: "num" },
    { key: "completion_percent", label: "Completion Percentage", className: "num", render: (r) => pct(r.completion_percent) },
    { key: "created_at", label: "Request creation time", render: (r) => fmt(r.created_at) },
    {
      key: "eye",
      label: "View",
      sortable: false,
      render: (r) => (
        <button type="button" className="icon-btn" aria-label={`View request ${r.request_id}`} title="View details" onClick={() => setView(r.request_id)}>
          <EyeIcon />
        </button>
      ),
    },
  ];
  return (
    <>
      <PageHead title="Request Summary Dashboard" intro="Every call list uploaded or triggered for an outbound or dialer flow, newest first.">
        {can("scheduler") && (
          <button type="button" className="btn btn-primary" onClick={() => setUpload(true)}>
            Upload call list
          </button>
        )}
      </PageHead>
      <form className="filters" onSubmit={submit} aria-label="Filters">
        <Field label="From date">
          <input className="input" type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </Field>
        <Field label="To date">
          <input className="input" type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </Field>
        <Field label="Request ID">
          <input className="input" value={draft.request_id} onChange={(e) => setDraft({ ...draft, request_id: e.target.value })} />
        </Field>
        <Field label="Flow Type">
          <select className="input" value={draft.flow_type} onChange={(e) => setDraft({ ...draft, flow_type: e.target.value, flow_id: "" })}>
            <option value="">All</option>
            <option value="outbound">Outbound</option>
            <option value="dialer">Dialer</option>
          </select>
        </Field>
        <Field label="Flow">
          <select className="input" value={draft.flow_id} onChange={(e) => setDraft({ ...draft, flow_id: e.target.value })}>
            <option value="">All</option>
            {outboundFlows.map((f) => (
              <option key={f.id} value={String(f.id)}>
                {f.name} ({f.id})
              </option>
            ))}
          </select>
        </Field>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Search
          </button>
          <button type="button" className="btn" onClick={() => { setDraft(empty); setFilters(empty); }}>
            Clear
          </button>
        </div>
      </form>
      <ErrorBox text={list.error} />
      <DataTable
        caption="Requests"
        columns={cols}
        rows={list.data ?? []}
        rowKey={(r) => r.request_id}
        loading={list.loading && !list.data}
        search
        empty={<>No call lists yet. Use <strong>Upload call list</strong> to send one for a flow.</>}
      />
      {upload && (
        <UploadModal
          flows={(flows.data ?? []) as Flow[]}
          onClose={() => setUpload(false)}
          onUploaded={list.reload}
        />
      )}
      {view && <RequestView id={view} onClose={() => setView(null)} />}
    </>
  );
}

export function EyeIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M12 5C6.5 5 2.3 8.6 1 12c1.3 3.4 5.5 7 11 7s9.7-3.6 11-7c-1.3-3.4-5.5-7-11-7Zm0 11.5A4.5 4.5 0 1 1 12 7.5a4.5 4.5 0 0 1 0 9Zm0-7A2.5 2.5 0 1 0 12 14.5 2.5 2.5 0 0 0 12 9.5Z" />
    </svg>
  );
}

function RequestView({ id, onClose }: { id: string; onClose: () => void }) {
  const fmt = useTime();
  const d = useLoad(() => call<RequestDetail>(api.GET("/api/v1/calllists/requests/{id}", { params: { path: { id }, query: { limit: 200 } } })), [id]);
  const r = d.data;
  return (
    <Modal title={`Request ${id}`} onClose={onClose} wide>
      <ErrorBox text={d.error} />
      {r && (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd><Badge text={r.status} /></dd>
            <dt>Flow</dt>
            <dd>{r.flow_name} ({r.flow_id}), {FLOW_TYPE_LABEL[r.flow_type] ?? r.flow_type}</dd>
            <dt>Source</dt>
            <dd>{r.source}{r.file_name ? ` · ${r.file_name}` : ""}</dd>
            <dt>Records loaded</dt>
            <dd>{r.records_loaded} (valid {r.valid}, invalid {r.invalid}, NCPR scrubbed {r.scrubbed})</dd>
            <dt>Records added</dt>
            <dd>{r.records_added}</dd>
            <dt>Records Completed</dt>
            <dd>{r.records_completed} ({pct(r.completion_percent)})</dd>
            <dt>Start time</dt>
            <dd>{fmt(r.start_time) || "as soon as possible"}</dd>
            <dt>Request creation time</dt>
            <dd>{fmt(r.created_at)}</dd>
          </dl>
          <p className="row-actions">
            <a className="btn" href={href("/api/v1/calllists/requests/{id}/report.csv", undefined, { id })} download>
              Download status report
            </a>
            <a className="btn" href={`#/reports?request_id=${encodeURIComponent(id)}`} onClick={onClose}>
              Calls in Reports
            </a>
          </p>
          <DataTable
            caption="Records"
            rows={r.records}
            rowKey={(x) => x.id}
            search
            columns={[
              { key: "row", label: "Row", className: "num" },
              { key: "client_identifier", label: "Client identifier" },
              { key: "numbers", label: "Numbers", value: (x) => x.numbers.join(", ") },
              { key: "status", label: "Status", render: (x) => <Badge text={x.status} /> },
              { key: "reason", label: "Reason" },
              { key: "attempts", label: "Attempts", className: "num" },
              { key: "updated_at", label: "Updated", render: (x) => fmt(x.updated_at) },
            ]}
            empty="No records."
          />
          {r.next_after ? <p className="muted">Showing the first {r.records.length} records; the status report has them all.</p> : null}
        </>
      )}
    </Modal>
  );
}
