import { useState, type FormEvent } from "react";
import { api, call, clean, href } from "../api/client";
import type { CampaignStats, CatalogueReport, DetailedRecord, EmailReport, Flow, Campaign, StatRow } from "../api/types";
import { DataTable, type Column } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field, FormError, useForm } from "../ui/Field";
import { useToast } from "../ui/Toast";
import { useAction } from "../ui/action";
import { ErrorBox, PageHead, pct, useLoad, useTime } from "../util";
import { FLOW_TYPE_LABEL, listFlows } from "./flowsCache";

export function EmailReportsPage() {
  const action = useAction();
  const flows = useLoad(listFlows, []);
  const list = useLoad(() => call<{ email_reports: EmailReport[] }>(api.GET("/api/v1/reports/email")).then((r) => r.email_reports ?? []), []);
  const [edit, setEdit] = useState<EmailReport | "new" | null>(null);
  const flowName = (id: number) => flows.data?.find((f) => f.id === id)?.name ?? String(id);
  const remove = (r: EmailReport) =>
    action({
      ask: { title: "Stop email report", message: `Stop the daily report of "${flowName(r.flow_id)}"?`, confirm: "Stop" },
      run: () => call(api.DELETE("/api/v1/reports/email/{flow}", { params: { path: { flow: r.flow_id } } })),
      done: "Email report stopped.",
      after: list.reload,
    });
  return (
    <>
      <PageHead title="Email Report" intro="A daily report per flow: every day at 12:05 AM (account time zone) the previous day's calls go as a .csv attachment to the configured addresses.">
        <button type="button" className="btn btn-primary" onClick={() => setEdit("new")}>Add Email</button>
      </PageHead>
      <ErrorBox text={list.error} />
      <DataTable
        caption="Email reports"
        rows={list.data ?? []}
        rowKey={(r) => r.id}
        loading={list.loading && !list.data}
        columns={[
          { key: "flow", label: "Flow", value: (r) => `${flowName(r.flow_id)} (${r.flow_id})` },
          { key: "to", label: "To" },
          { key: "cc", label: "CC" },
          { key: "bcc", label: "BCC" },
          { key: "last_day", label: "Last sent for" },
          { key: "a", label: "Actions", sortable: false, render: (r) => <div className="row-actions"><button type="button" className="btn btn-small" onClick={() => setEdit(r)}>Edit</button><button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void remove(r)} aria-label={`Stop report of ${flowName(r.flow_id)}`}>Stop</button></div> },
        ]}
        empty="No daily email report yet."
      />
      {edit && <EmailReportForm report={edit === "new" ? null : edit} flows={flows.data ?? []} onClose={() => setEdit(null)} onSaved={() => { setEdit(null); list.reload(); }} />}
    </>
  );
}

function EmailReportForm({ report, flows, onClose, onSaved }: { report: EmailReport | null; flows: Flow[]; onClose: () => void; onSaved: () => void }) {
  const [flowType, setFlowType] = useState(report ? flows.find((f) => f.id === report.flow_id)?.type ?? "" : "");
  const [flow, setFlow] = useState(report ? String(report.flow_id) : "");
  const [to, setTo] = useState(report?.to ?? "");
  const [cc, setCc] = useState(report?.cc ?? "");
  const [bcc, setBcc] = useState(report?.bcc ?? "");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!flow) errs.flow = "Select the flow.";
    if (!to.trim()) errs.to = "Enter at least one address.";
    if (Object.keys(errs).length) return f.setErrors(errs);
    if (await f.run(async () => { await call(api.PUT("/api/v1/reports/email/{flow}", { params: { path: { flow: Number(flow) } }, body: { to: to.trim(), cc: cc.trim(), bcc: bcc.trim() } })); }, ["to", "cc", "bcc"])) {
      toast("Email report saved.");
      onSaved();
    }
  };
  const types = Array.from(new Set(flows.map((x) => x.type)));
  return (
    <Modal title={report ? "Edit email report" : "Add Email"} onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="er-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="er-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Flow type">
          <select className="input" value={flowType} disabled={!!report} onChange={(e) => { setFlowType(e.target.value); setFlow(""); }}>
            <option value="">All</option>
            {types.map((t) => <option key={t} value={t}>{FLOW_TYPE_LABEL[t] ?? t}</option>)}
          </select>
        </Field>
        <Field label="Flow" error={f.errors.flow}>
          <select className="input" value={flow} disabled={!!report} onChange={(e) => setFlow(e.target.value)}>
            <option value="">Select a flow</option>
            {flows.filter((x) => !flowType || x.type === flowType).map((x) => <option key={x.id} value={String(x.id)}>{x.name} ({x.id})</option>)}
          </select>
        </Field>
        <Field label="To" error={f.errors.to} hint="Several addresses separated by commas.">
          <input className="input" value={to} onChange={(e) => setTo(e.target.value)} />
        </Field>
        <Field label="CC" error={f.errors.cc}>
          <input className="input" value={cc} onChange={(e) => setCc(e.target.value)} />
        </Field>
        <Field label="BCC" error={f.errors.bcc}>
          <input className="input" value={bcc} onChange={(e) => setBcc(e.target.value)} />
        </Field>
      </form>
    </Modal>
  );
}

type Row = Record<string, unknown>;

function genericColumns(rows: Row[]): Column<Row>[] {
  const keys = Array.from(new Set(rows.flatMap((r) => Object.keys(r)))).filter((k) => !k.endsWith("_url"));
  return keys.map((k) => ({
    key: k,
    label: k.replace(/_/g, " "),
    value: (r: Row) => {
      const v = r[k];
      return v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : typeof v === "number" ? v : String(v);
    },
  }));
}

export function DownloadReportsPage() {
  const cat = useLoad(() => call<{ reports: CatalogueReport[] }>(api.GET("/api/v1/reports/catalogue")).then((r) => r.reports ?? []), []);
  const [name, setName] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const enabled = (cat.data ?? []).filter((r) => r.enabled);
  const search = async (e: FormEvent) => {
    e.preventDefault();
    if (!name) return setError("Select a report.");
    setBusy(true);
    setError("");
    try {
      const r = await call<{ rows: Row[] }>(api.GET("/api/v1/reports/catalogue/{name}", { params: { path: { name: name as "calls" }, query: clean({ from, to }) } }));
      setRows(r.rows ?? []);
    } catch (err) {
      setError((err as Error).message);
      setRows(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <PageHead title="Download Reports" intro="The reports enabled for your account (calls, queues, agents, campaigns): select one, search to view it or download it. To enable another, ask support." />
      <ErrorBox text={cat.error} />
      {cat.data && (
        <p className="muted">
          Enabled: {enabled.map((r) => r.name).join(", ") || "none"}
          {cat.data.some((r) => !r.enabled) && <> · Not enabled: {cat.data.filter((r) => !r.enabled).map((r) => r.name).join(", ")}</>}
        </p>
      )}
      <form className="filters" onSubmit={search} aria-label="Report" noValidate>
        <Field label="Report">
          <select className="input" value={name} onChange={(e) => { setName(e.target.value); setRows(null); }}>
            <option value="">Select a report</option>
            {enabled.map((r) => <option key={r.name} value={r.name}>{r.name}</option>)}
          </select>
        </Field>
        <Field label="From date"><input className="input" type="date" value={from} onChange={(e) => setFrom(e.target.value)} /></Field>
        <Field label="To date"><input className="input" type="date" value={to} onChange={(e) => setTo(e.target.value)} /></Field>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>Search</button>
          {name && <a className="btn" href={href("/api/v1/reports/catalogue/{name}/csv", clean({ from, to }), { name })} download>Download csv</a>}
        </div>
      </form>
      <ErrorBox text={error} />
      {rows && <DataTable caption={`${name} report`} rows={rows} rowKey={(r) => JSON.stringify(r)} columns={genericColumns(rows)} search empty="No rows for this period." />}
    </>
  );
}

function useCampaigns() {
  return useLoad(() => call<{ campaigns: Campaign[] }>(api.GET("/api/v1/campaigns")).then((r) => r.campaigns ?? []), []);
}

function AdsParams({ onSearch, csv }: { onSearch: (q: Record<string, string>) => void; csv: "/api/v1/reports/ads/statistics.csv" | "/api/v1/reports/ads/detailed.csv" }) {
  const campaigns = useCampaigns();
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [sel, setSel] = useState<string[]>([]);
  const [code, setCode] = useState("");
  const accountcode = code.trim();
  const q = clean({ accountcode, start_date: start, end_date: end, campaign: sel.join(",") });
  const shown = (campaigns.data ?? []).filter(
    (c) => c.started_at && (!accountcode || c.accountcode === accountcode) && (!start || c.started_at.slice(0, 10) >= start) && (!end || c.started_at.slice(0, 10) <= end),
  );
  const codes = Array.from(new Set((campaigns.data ?? []).map((c) => c.accountcode).filter(Boolean))).sort();
  return (
    <form className="filters" aria-label="Parameters" onSubmit={(e) => { e.preventDefault(); onSearch(q); }}>
      <Field label="Accountcode" hint="The campaigns' accountcode; blank = any.">
        <input className="input" list="ads-accountcodes" value={code} maxLength={64} onChange={(e) => { setCode(e.target.value); setSel([]); }} />
      </Field>
      <datalist id="ads-accountcodes">{codes.map((c) => <option key={c} value={c} />)}</datalist>
      <Field label="Start Date"><input className="input" type="date" value={start} onChange={(e) => setStart(e.target.value)} /></Field>
      <Field label="End Date"><input className="input" type="date" value={end} onChange={(e) => setEnd(e.target.value)} /></Field>
      <Field label="Campaign" hint="Campaigns started in the period; none selected = all of them.">
        <select className="input" multiple size={Math.min(4, Math.max(2, shown.length))} value={sel} onChange={(e) => setSel(Array.from(e.target.selectedOptions).map((o) => o.value))}>
          {shown.map((c) => <option key={c.id} value={String(c.id)}>{c.name} ({c.id})</option>)}
        </select>
      </Field>
      <div className="filter-actions">
        <button type="submit" className="btn btn-primary">Search</button>
        <a className="btn" href={href(csv, q)} download>Download csv</a>
      </div>
    </form>
  );
}

export function AdsStatisticsPage() {
  const [q, setQ] = useState<Record<string, string> | null>(null);
  const r = useLoad(() => (q ? call<{ campaigns: CampaignStats[] }>(api.GET("/api/v1/reports/ads/statistics", { params: { query: q } })).then((x) => x.campaigns ?? []) : Promise.resolve(null)), [q]);
  const cols: Column<StatRow>[] = [
    { key: "type", label: "Type" },
    { key: "total", label: "Total", className: "num" },
    { key: "percentage", label: "Percentage", className: "num", render: (x) => pct(x.percentage) },
  ];
  return (
    <>
      <PageHead title="Statistics by Campaign" intro="Each campaign's records grouped by final status, by number of dial attempts and by tag." />
      <AdsParams onSearch={setQ} csv="/api/v1/reports/ads/statistics.csv" />
      <ErrorBox text={r.error} />
      {r.data && r.data.length === 0 && <div className="empty">No campaign started in this period.</div>}
      {r.data?.map((c) => (
        <section className="card" key={c.campaign_id} aria-labelledby={`st-${c.campaign_id}`}>
          <h2 id={`st-${c.campaign_id}`}>{c.campaign_name} ({c.campaign_id}) · {c.records} records</h2>
          <div className="grid3">
            <div><h3>Final status</h3><DataTable caption="By status" rows={c.by_status ?? []} rowKey={(x) => x.type} columns={cols} empty="None." /></div>
            <div><h3>Dial attempts</h3><DataTable caption="By attempts" rows={c.by_attempts ?? []} rowKey={(x) => x.type} columns={cols} empty="None." /></div>
            <div><h3>Tags</h3><DataTable caption="By tag" rows={c.by_tag ?? []} rowKey={(x) => x.type} columns={cols} empty="No tags." /></div>
          </div>
        </section>
      ))}
    </>
  );
}

export function AdsDetailedPage() {
  const fmt = useTime();
  const [q, setQ] = useState<Record<string, string> | null>(null);
  const r = useLoad(() => (q ? call<{ records: DetailedRecord[] }>(api.GET("/api/v1/reports/ads/detailed", { params: { query: q } })).then((x) => x.records ?? []) : Promise.resolve(null)), [q]);
  return (
    <>
      <PageHead title="Detailed Report" intro="Every record of the recipients lists of the campaigns, line by line, with its current status." />
      <AdsParams onSearch={setQ} csv="/api/v1/reports/ads/detailed.csv" />
      <ErrorBox text={r.error} />
      {r.data && (
        <DataTable
          caption="Detailed report"
          rows={r.data}
          rowKey={(x) => `${x.campaign_id}-${x.record_id}`}
          search
          columns={[
            { key: "campaign_id", label: "Campaign", className: "num" },
            { key: "record", label: "Record", render: (x) => <code>{x.record}</code> },
            { key: "tries", label: "Tries", className: "num" },
            { key: "status", label: "Status" },
            { key: "duration_s", label: "Duration", className: "num" },
            { key: "time", label: "Time", render: (x) => fmt(x.time) },
            { key: "tags", label: "Tags" },
          ]}
          empty="No records."
        />
      )}
    </>
  );
}
