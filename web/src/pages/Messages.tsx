import { useEffect, useMemo, useState, type FormEvent } from "react";
import { api, call, clean, href, type Paths } from "../api/client";
import { DataTable, type Column } from "../ui/Table";
import { Field } from "../ui/Field";
import { Badge, ErrorBox, PageHead, useTime } from "../util";

// The Messages screen: the SMS and email the account sent (from flows,
// campaigns and notifications) with their delivery status, filtered by
// channel, recipient, status, period and source, searched or downloaded.

export interface Message {
  id: number;
  channel: "sms" | "email";
  to: string;
  subject?: string;
  body: string;
  status: "sending" | "sent" | "delivered" | "failed" | "blocked";
  reason?: string;
  source_kind?: string;
  source_id?: number;
  source_ref?: string;
  created_at: string;
  updated_at: string;
}

interface Filters {
  channel: string;
  to: string;
  status: string;
  from: string;
  to_date: string;
  source: string;
}
const none: Filters = { channel: "", to: "", status: "", from: "", to_date: "", source: "" };
const TONE: Record<string, string> = { delivered: "ok", sent: "info", sending: "muted", failed: "bad", blocked: "warn" };
const SOURCE: Record<string, string> = { flow: "Flow", campaign: "Campaign", notification: "Notification" };
type Query = NonNullable<Paths["/api/v1/messages"]["get"]["parameters"]["query"]>;
const q = (f: Filters) => clean({ ...f });

export function MessagesPage() {
  const fmt = useTime();
  const [draft, setDraft] = useState<Filters>(none);
  const [filters, setFilters] = useState<Filters>(none);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [rows, setRows] = useState<Message[]>([]);
  const [next, setNext] = useState(0);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);

  const load = async (f: Filters, before?: number) => {
    setLoading(true);
    setError("");
    try {
      // The selects offer only the values the API takes.
      const query = { ...q(f), limit: 100, ...(before ? { before_id: before } : {}) } as Query;
      const r = await call<{ messages: Message[]; next_before_id?: number }>(api.GET("/api/v1/messages", { params: { query } }));
      setRows((cur) => (before ? [...cur, ...(r.messages ?? [])] : r.messages ?? []));
      setNext(r.next_before_id ?? 0);
    } catch (e) {
      const err = e as { field?: string; message: string };
      if (err.field) setFieldErr({ [err.field]: err.message });
      else setError(err.message);
      if (!before) setRows([]);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(filters);
  }, [filters]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (draft.from && draft.to_date && draft.to_date < draft.from) errs.to_date = "The end date is before the start date.";
    setFieldErr(errs);
    if (Object.keys(errs).length) return;
    setFilters({ ...draft, to: draft.to.trim() });
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });
  const cols = useMemo<Column<Message>[]>(() => [
    { key: "created_at", label: "Sent", render: (m) => fmt(m.created_at) },
    { key: "channel", label: "Channel", value: (m) => (m.channel === "sms" ? "SMS" : "Email") },
    { key: "to", label: "To" },
    { key: "body", label: "Message", value: (m) => (m.subject ? `${m.subject} — ${m.body}` : m.body) },
    { key: "status", label: "Status", render: (m) => <Badge text={m.status} tone={TONE[m.status]} /> },
    { key: "reason", label: "Reason", value: (m) => m.reason ?? "" },
    { key: "source_kind", label: "Source", value: (m) => (m.source_kind ? `${SOURCE[m.source_kind] ?? m.source_kind} ${m.source_id ?? ""}`.trim() : "") },
    { key: "updated_at", label: "Status at", render: (m) => fmt(m.updated_at) },
  ], [fmt]);
  return (
    <>
      <PageHead title="Messages" intro="The SMS and email sent by flows, campaigns and notifications, with their delivery status: sent (the gateway or mail relay took it), delivered (the phone got it), failed, or blocked by the blacklist or DNC list.">
        <a className="btn" href={href("/api/v1/messages.csv", q(filters))} download>
          Download csv
        </a>
      </PageHead>
      <form className="filters" onSubmit={submit} aria-label="Filters" noValidate>
        <Field label="Channel" error={fieldErr.channel}>
          <select className="input" value={draft.channel} onChange={set("channel")}>
            <option value="">All</option>
            <option value="sms">SMS</option>
            <option value="email">Email</option>
          </select>
        </Field>
        <Field label="To" error={fieldErr.to} hint="A number (+E.164) or an email address">
          <input className="input" value={draft.to} onChange={set("to")} />
        </Field>
        <Field label="Status" error={fieldErr.status}>
          <select className="input" value={draft.status} onChange={set("status")}>
            <option value="">All</option>
            {["sent", "delivered", "failed", "blocked", "sending"].map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="From date" error={fieldErr.from}>
          <input className="input" type="date" value={draft.from} onChange={set("from")} />
        </Field>
        <Field label="To date" error={fieldErr.to_date}>
          <input className="input" type="date" value={draft.to_date} onChange={set("to_date")} />
        </Field>
        <Field label="Source" error={fieldErr.source}>
          <select className="input" value={draft.source} onChange={set("source")}>
            <option value="">All</option>
            {Object.entries(SOURCE).map(([k, v]) => (
              <option key={k} value={k}>{v}</option>
            ))}
          </select>
        </Field>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">Search</button>
          <button type="button" className="btn" onClick={() => { setDraft(none); setFilters(none); setFieldErr({}); }}>Clear</button>
        </div>
      </form>
      <ErrorBox text={error} />
      <DataTable caption="Messages" columns={cols} rows={rows} rowKey={(m) => String(m.id)} loading={loading && rows.length === 0} empty="No messages match these filters." />
      {next > 0 && (
        <p className="more">
          <button type="button" className="btn" disabled={loading} onClick={() => void load(filters, next)}>Load more</button>
        </p>
      )}
    </>
  );
}
