import { useMemo, useState, type FormEvent } from "react";
import { api, call, href, ApiError } from "../api/client";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Check, Field, FormError, useForm } from "../ui/Field";
import { useAction } from "../ui/action";
import { Badge, ErrorBox, PageHead, useInterval, useLoad, useTime } from "../util";
import { navigate, useRoute } from "../router";

// Emergency Notification: the Address Book (Single Add, Bulk Add with a
// mode, a strategy, the template and the per-row report), Labels (a
// unique name and people picked from the address book in two lists), Send
// Notification (flow, labels, channels, the flow's parameters, Preview,
// then Send or Cancel) and the per-recipient, per-channel report.

interface Contact { id: number; name: string; phone: string; emails: string[]; labels: number[] }
interface Label { id: number; name: string; count: number; members?: number[] }
interface NotifyFlow { id: number; name: string; variables: string[]; notification?: { sms_text?: string; email_subject?: string; email_text?: string } }
interface ChannelCount { channel: string; recipients: number; missing: number }
interface Preview {
  flow_name: string;
  recipients: number;
  channels: ChannelCount[];
  sample: { name: string; phone: string; emails: string[] };
  sms_text?: string;
  email_subject?: string;
  email_text?: string;
  voice?: { flow: string; start: string; nodes: string[]; number: string; variables: Record<string, string> };
}
interface Notification { id: number; flow_id: number; flow_name: string; channels: string[]; status: string; created_by: string; created_at: string; finished_at?: string }
interface Delivery { id: number; recipient: string; channel: string; destination: string; status: string; reason: string; time: string }
interface Report extends Notification { counts: { channel: string; status: string; count: number }[] }

const CHANNEL_LABEL: Record<string, string> = { voice: "Voice", sms: "SMS", email: "Email" };

const loadContacts = () => call<{ contacts: Contact[] }>(api.GET("/api/v1/notify/contacts", { params: { query: {} } })).then((r) => r.contacts ?? []);
const loadLabels = () => call<{ labels: Label[] }>(api.GET("/api/v1/notify/labels")).then((r) => r.labels ?? []);

export function AddressBookPage() {
  const action = useAction();
  const contacts = useLoad(loadContacts, []);
  const labels = useLoad(loadLabels, []);
  const [editing, setEditing] = useState<Contact | "new" | null>(null);
  const [bulk, setBulk] = useState(false);
  const labelName = useMemo(() => new Map((labels.data ?? []).map((l) => [l.id, l.name])), [labels.data]);
  const remove = (c: Contact) =>
    void action({
      ask: { title: "Confirm removal", message: `Remove ${c.name} from the address book?`, confirm: "Remove" },
      run: () => call(api.DELETE("/api/v1/notify/contacts/{id}", { params: { path: { id: c.id } } })),
      done: `${c.name} removed.`,
      after: contacts.reload,
    });
  return (
    <>
      <PageHead title="Address Book" intro="The people emergency notifications reach: a name, up to 10 emails and a phone number, grouped by labels.">
        <button type="button" className="btn btn-primary" onClick={() => setEditing("new")}>Add new</button>
        <button type="button" className="btn" onClick={() => setBulk(true)}>Bulk add address</button>
      </PageHead>
      <ErrorBox text={contacts.error || labels.error} />
      <DataTable
        caption="Address book"
        search
        rows={contacts.data ?? []}
        rowKey={(c) => c.id}
        loading={contacts.loading && !contacts.data}
        columns={[
          { key: "name", label: "Name" },
          { key: "phone", label: "Phone" },
          { key: "emails", label: "Emails", value: (c) => c.emails.join(", ") },
          { key: "labels", label: "Labels", value: (c) => c.labels.map((id) => labelName.get(id) ?? id).join(", ") },
          {
            key: "a",
            label: "Actions",
            sortable: false,
            render: (c) => (
              <div className="row-actions">
                <button type="button" className="btn btn-small" aria-label={`Edit ${c.name}`} onClick={() => setEditing(c)}>Edit</button>
                <button type="button" className="btn btn-small btn-ghost-danger" aria-label={`Delete ${c.name}`} onClick={() => remove(c)}>Delete</button>
              </div>
            ),
          },
        ]}
        empty="The address book is empty: add people one by one or in bulk."
      />
      {editing && <ContactForm contact={editing === "new" ? undefined : editing} labels={labels.data ?? []} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); contacts.reload(); }} />}
      {bulk && <BulkForm onClose={() => { setBulk(false); contacts.reload(); }} />}
    </>
  );
}

function ContactForm({ contact, labels, onClose, onSaved }: { contact?: Contact; labels: Label[]; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(contact?.name ?? "");
  const [phone, setPhone] = useState(contact?.phone ?? "");
  const [emails, setEmails] = useState<string[]>(contact?.emails.length ? contact.emails : [""]);
  const [chosen, setChosen] = useState<number[]>(contact?.labels ?? []);
  const f = useForm();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const body = { name, phone, emails: emails.filter((x) => x.trim() !== ""), labels: chosen };
    const ok = await f.run(async () => {
      if (contact) await call(api.PUT("/api/v1/notify/contacts/{id}", { params: { path: { id: contact.id } }, body: body as never }));
      else await call(api.POST("/api/v1/notify/contacts", { body }));
    }, ["name", "phone", "emails", "labels"]);
    if (ok) onSaved();
  };
  return (
    <Modal title={contact ? `Edit ${contact.name}` : "Add new person"} onClose={onClose}
      footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="contact-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="contact-form" noValidate onSubmit={(e) => void save(e)}>
        <FormError text={f.general} />
        <Field label="Name" error={f.errors.name}><input value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Phone" error={f.errors.phone} hint="With the country code (+1 202 555 0102), or a national number of the account's country."><input value={phone} onChange={(e) => setPhone(e.target.value)} /></Field>
        {emails.map((v, i) => (
          <Field key={i} label={`Email ${i + 1}`} error={i === 0 ? f.errors.emails : undefined}>
            <input type="email" value={v} placeholder="help@example.com" onChange={(e) => setEmails(emails.map((x, j) => (j === i ? e.target.value : x)))} />
          </Field>
        ))}
        {emails.length < 10 && <button type="button" className="btn btn-small" onClick={() => setEmails([...emails, ""])}>Add another email</button>}
        <fieldset className="field">
          <legend>Labels</legend>
          {labels.length === 0 && <p className="field-hint">No labels yet (add them on the Labels page); you can leave this blank.</p>}
          {labels.map((l) => (
            <Check key={l.id} label={l.name} checked={chosen.includes(l.id)} onChange={(on) => setChosen(on ? [...chosen, l.id] : chosen.filter((x) => x !== l.id))} />
          ))}
        </fieldset>
      </form>
    </Modal>
  );
}

function BulkForm({ onClose }: { onClose: () => void }) {
  const [mode, setMode] = useState("new");
  const [strategy, setStrategy] = useState("default");
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<{ created: string; updated: string; rejected: string; url: string } | null>(null);
  const f = useForm();
  const upload = async () => {
    if (!file) {
      f.setErrors({ file: "Choose the CSV file to upload." });
      return;
    }
    await f.run(async () => {
      const fd = new FormData();
      fd.append("file", file);
      const r = await api.POST("/api/v1/notify/contacts/bulk", { params: { query: { mode: mode as "new", strategy: strategy as "default" } }, body: {} as never, bodySerializer: () => fd, parseAs: "blob" });
      if (!r.response.ok) {
        // Errors come back as JSON (parsed by the client), whatever parseAs says.
        let body: unknown = r.error;
        if (body instanceof Blob) {
          try {
            body = JSON.parse(await body.text());
          } catch {
            body = undefined;
          }
        }
        const e = (body as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
        throw new ApiError(r.response.status, e?.code ?? "error", e?.message ?? `The server answered ${r.response.status}.`, e?.field);
      }
      const url = URL.createObjectURL(r.data as Blob);
      const h = r.response.headers;
      setResult({ created: h.get("X-Created") ?? "0", updated: h.get("X-Updated") ?? "0", rejected: h.get("X-Rejected") ?? "0", url });
      const a = document.createElement("a");
      a.href = url;
      a.download = "address-book-upload-report.csv";
      document.body.appendChild(a);
      a.click();
      a.remove();
    }, ["file", "mode", "strategy"]);
  };
  return (
    <Modal title="Bulk add address" onClose={onClose}
      footer={<><button type="button" className="btn" onClick={onClose}>Close</button><button type="button" className="btn btn-primary" disabled={f.busy} onClick={() => void upload()}>Upload</button></>}>
      <FormError text={f.general} />
      <Field label="Mode" error={f.errors.mode}>
        <select value={mode} onChange={(e) => setMode(e.target.value)}>
          <option value="new">New Contact</option>
          <option value="update">Update Existing</option>
        </select>
      </Field>
      <Field label="Strategy" error={f.errors.strategy} hint={strategy === "default" ? "A name and mobile number combination must be unique: rows with an existing name and number are rejected." : "A row with an existing name and number becomes a new contact, when at least one other property (emails, labels) differs."}>
        <select value={strategy} onChange={(e) => setStrategy(e.target.value)}>
          <option value="default">Default Strategy</option>
          <option value="force">Force New Entry Strategy</option>
        </select>
      </Field>
      <Field label="File (.csv)" error={f.errors.file} hint={<a href={href("/api/v1/notify/contacts/template")} download>Download the template</a>}>
        <input type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </Field>
      {result && (
        <p role="status" className="bulk-result">
          Created {result.created}, updated {result.updated}, rejected {result.rejected}. <a href={result.url} download="address-book-upload-report.csv">Download the report</a>
        </p>
      )}
    </Modal>
  );
}

export function LabelsPage() {
  const action = useAction();
  const labels = useLoad(loadLabels, []);
  const [editing, setEditing] = useState<Label | "new" | null>(null);
  const remove = (l: Label) =>
    void action({
      ask: { title: "Confirm removal", message: `Remove label ${l.name}? Its people stay in the address book.`, confirm: "Remove" },
      run: () => call(api.DELETE("/api/v1/notify/labels/{id}", { params: { path: { id: l.id } } })),
      done: `Label ${l.name} removed.`,
      after: labels.reload,
    });
  return (
    <>
      <PageHead title="Labels" intro="Group people of the address book under a name: a notification is sent to labels.">
        <button type="button" className="btn btn-primary" onClick={() => setEditing("new")}>Add label</button>
      </PageHead>
      <ErrorBox text={labels.error} />
      <DataTable
        caption="Labels"
        rows={labels.data ?? []}
        rowKey={(l) => l.id}
        loading={labels.loading && !labels.data}
        columns={[
          { key: "name", label: "Name" },
          { key: "count", label: "People" },
          {
            key: "a",
            label: "Actions",
            sortable: false,
            render: (l) => (
              <div className="row-actions">
                <button type="button" className="btn btn-small" aria-label={`Edit ${l.name}`} onClick={() => setEditing(l)}>Edit</button>
                <button type="button" className="btn btn-small btn-ghost-danger" aria-label={`Delete ${l.name}`} onClick={() => remove(l)}>Delete</button>
              </div>
            ),
          },
        ]}
        empty="No labels yet."
      />
      {editing && <LabelForm label={editing === "new" ? undefined : editing} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); labels.reload(); }} />}
    </>
  );
}

function LabelForm({ label, onClose, onSaved }: { label?: Label; onClose: () => void; onSaved: () => void }) {
  const people = useLoad(loadContacts, []);
  const current = useLoad(() => (label ? call<Label>(api.GET("/api/v1/notify/labels/{id}", { params: { path: { id: label.id } } })) : Promise.resolve(undefined)), [label?.id]);
  const [name, setName] = useState(label?.name ?? "");
  const [picked, setPicked] = useState<number[] | null>(null);
  const [filter, setFilter] = useState("");
  const f = useForm();
  const chosen = picked ?? current.data?.members ?? [];
  const all = people.data ?? [];
  const match = (c: Contact) => {
    const q = filter.trim().toLowerCase();
    return q === "" || c.name.toLowerCase().includes(q) || c.phone.includes(q) || c.emails.some((e) => e.toLowerCase().includes(q));
  };
  const available = all.filter((c) => !chosen.includes(c.id) && match(c));
  const selected = all.filter((c) => chosen.includes(c.id));
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const body = { name, members: chosen };
    const ok = await f.run(async () => {
      if (label) await call(api.PUT("/api/v1/notify/labels/{id}", { params: { path: { id: label.id } }, body: body as never }));
      else await call(api.POST("/api/v1/notify/labels", { body }));
    }, ["name", "members"]);
    if (ok) onSaved();
  };
  return (
    <Modal wide title={label ? `Edit label ${label.name}` : "Add label"} onClose={onClose}
      footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="label-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="label-form" onSubmit={(e) => void save(e)}>
        <FormError text={f.general} />
        <ErrorBox text={people.error} />
        <Field label="Label name" error={f.errors.name}><input value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Filter people" error={f.errors.members}><input type="search" value={filter} placeholder="Name, phone or email" onChange={(e) => setFilter(e.target.value)} /></Field>
        <div className="picker" style={{ display: "flex", gap: "1rem", alignItems: "flex-start" }}>
          <div style={{ flex: 1 }}>
            <h3>Address book ({available.length})</h3>
            <ul className="picker-list" aria-label="Address book people" style={{ maxHeight: "16rem", overflow: "auto" }}>
              {available.map((c) => (
                <li key={c.id}><button type="button" className="btn btn-small btn-link" aria-label={`Add ${c.name}`} onClick={() => setPicked([...chosen, c.id])}>{c.name} · {c.phone}</button></li>
              ))}
            </ul>
          </div>
          <div style={{ display: "flex", flexDirection: "column", gap: "0.5rem", paddingTop: "2rem" }}>
            <button type="button" className="btn btn-small" aria-label="Add all" title="Add all" onClick={() => setPicked([...chosen, ...available.map((c) => c.id)])}>→ →</button>
            <button type="button" className="btn btn-small" aria-label="Remove all" title="Remove all" onClick={() => setPicked([])}>← ←</button>
          </div>
          <div style={{ flex: 1 }}>
            <h3>In the label ({selected.length})</h3>
            <ul className="picker-list" aria-label="People in the label" style={{ maxHeight: "16rem", overflow: "auto" }}>
              {selected.map((c) => (
                <li key={c.id}><button type="button" className="btn btn-small btn-link" aria-label={`Remove ${c.name}`} onClick={() => setPicked(chosen.filter((x) => x !== c.id))}>{c.name} · {c.phone}</button></li>
              ))}
            </ul>
          </div>
        </div>
      </form>
    </Modal>
  );
}

export function SendNotificationPage() {
  const flows = useLoad(() => call<{ flows: NotifyFlow[] }>(api.GET("/api/v1/notify/flows")).then((r) => r.flows ?? []), []);
  const labels = useLoad(loadLabels, []);
  const [flowId, setFlowId] = useState("");
  const [chosen, setChosen] = useState<number[]>([]);
  const [channels, setChannels] = useState<string[]>([]);
  const [params, setParams] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<Preview | null>(null);
  const f = useForm();
  const action = useAction();
  const flow = (flows.data ?? []).find((x) => String(x.id) === flowId);
  const body = () => ({ flow_id: Number(flowId), labels: chosen, channels, params: Object.fromEntries((flow?.variables ?? []).map((v) => [v, params[v] ?? ""])) });
  const doPreview = async (e: FormEvent) => {
    e.preventDefault();
    setPreview(null);
    if (!flowId) {
      f.setErrors({ flow_id: "Select the notification flow." });
      return;
    }
    await f.run(async () => {
      setPreview(await call<Preview>(api.POST("/api/v1/notify/preview", { body: body() as never })));
    }, ["flow_id", "labels", "channels", "params"]);
  };
  const send = () =>
    void action({
      run: () => call<Notification>(api.POST("/api/v1/notify/notifications", { body: body() as never })),
      done: (n) => `Notification ${n.id} is being sent.`,
      after: (n) => navigate("/notify/reports", { id: String(n.id) }),
    });
  return (
    <>
      <PageHead title="Send Notification" intro="Send an emergency notification flow to the people of labels by voice, SMS and email. Preview it first, then send or cancel." />
      <ErrorBox text={flows.error || labels.error} />
      <form onSubmit={(e) => void doPreview(e)} className="form-narrow">
        <FormError text={f.general} />
        <Field label="Notification flow" error={f.errors.flow_id} hint={flows.data && flows.data.length === 0 ? "No published emergency notification flow yet." : undefined}>
          <select value={flowId} onChange={(e) => { setFlowId(e.target.value); setPreview(null); }}>
            <option value="">Select a flow</option>
            {(flows.data ?? []).map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
          </select>
        </Field>
        <fieldset className="field">
          <legend>Labels</legend>
          {f.errors.labels && <div className="field-err" role="alert">{f.errors.labels}</div>}
          {(labels.data ?? []).map((l) => (
            <Check key={l.id} label={`${l.name} (${l.count})`} checked={chosen.includes(l.id)} onChange={(on) => { setChosen(on ? [...chosen, l.id] : chosen.filter((x) => x !== l.id)); setPreview(null); }} />
          ))}
        </fieldset>
        <fieldset className="field">
          <legend>Channels</legend>
          {f.errors.channels && <div className="field-err" role="alert">{f.errors.channels}</div>}
          {["voice", "sms", "email"].map((c) => (
            <Check key={c} label={CHANNEL_LABEL[c]!} checked={channels.includes(c)} onChange={(on) => { setChannels(on ? [...channels, c] : channels.filter((x) => x !== c)); setPreview(null); }} />
          ))}
        </fieldset>
        {flow && flow.variables.length > 0 && (
          <fieldset className="field">
            <legend>Parameters of {flow.name}</legend>
            {f.errors.params && <div className="field-err" role="alert">{f.errors.params}</div>}
            {flow.variables.map((v) => (
              <Field key={v} label={v} hint={v === "contact_name" ? "Leave empty: each recipient's name." : undefined}>
                <input value={params[v] ?? ""} onChange={(e) => { setParams({ ...params, [v]: e.target.value }); setPreview(null); }} />
              </Field>
            ))}
          </fieldset>
        )}
        <button type="submit" className="btn btn-primary" disabled={f.busy}>Preview</button>
      </form>
      {preview && (
        <section className="card notify-preview" aria-label="Preview">
          <h2>Preview: {preview.flow_name}</h2>
          <p>{preview.recipients} recipients.</p>
          <table className="table">
            <thead><tr><th>Channel</th><th>Recipients</th><th>Without an address</th></tr></thead>
            <tbody>
              {preview.channels.map((c) => <tr key={c.channel}><td>{CHANNEL_LABEL[c.channel]}</td><td>{c.recipients}</td><td>{c.missing}</td></tr>)}
            </tbody>
          </table>
          <p>Sample recipient: <strong>{preview.sample.name}</strong> · {preview.sample.phone} {preview.sample.emails.join(", ")}</p>
          {preview.sms_text !== undefined && <><h3>SMS</h3><pre className="sms-text">{preview.sms_text}</pre></>}
          {preview.email_subject !== undefined && <><h3>Email</h3><p><strong>Subject:</strong> <span className="email-subject">{preview.email_subject}</span></p><pre className="email-text">{preview.email_text}</pre></>}
          {preview.voice && (
            <>
              <h3>Voice</h3>
              <p>Calls {preview.voice.number} and runs {preview.voice.flow} (from {preview.voice.start}: {preview.voice.nodes.join(" → ")}) with {Object.entries(preview.voice.variables).map(([k, v]) => `${k} = ${v}`).join(", ") || "no variables"}.</p>
            </>
          )}
          <div className="row-actions">
            <button type="button" className="btn btn-primary" onClick={send}>Send</button>
            <button type="button" className="btn" onClick={() => setPreview(null)}>Cancel</button>
          </div>
        </section>
      )}
    </>
  );
}

const TONE: Record<string, string> = { delivered: "ok", sent: "info", pending: "muted", sending: "info", failed: "danger", blocked: "warn", done: "ok" };

export function NotificationReportsPage() {
  const route = useRoute();
  const id = route.query.get("id");
  const fmt = useTime();
  const list = useLoad(() => call<{ notifications: Notification[] }>(api.GET("/api/v1/notify/notifications")).then((r) => r.notifications ?? []), []);
  if (id) return <NotificationReport id={Number(id)} />;
  return (
    <>
      <PageHead title="Notification report" intro="Every notification sent, with its status per recipient and channel." />
      <ErrorBox text={list.error} />
      <DataTable
        caption="Notifications"
        rows={list.data ?? []}
        rowKey={(n) => n.id}
        loading={list.loading && !list.data}
        columns={[
          { key: "id", label: "Id" },
          { key: "flow_name", label: "Flow" },
          { key: "channels", label: "Channels", value: (n) => n.channels.map((c) => CHANNEL_LABEL[c] ?? c).join(", ") },
          { key: "status", label: "Status", render: (n) => <Badge text={n.status} tone={TONE[n.status]} /> },
          { key: "created_by", label: "Sent by" },
          { key: "created_at", label: "Sent", render: (n) => fmt(n.created_at) },
          { key: "a", label: "Report", sortable: false, render: (n) => <button type="button" className="btn btn-small" aria-label={`Report of notification ${n.id}`} onClick={() => navigate("/notify/reports", { id: String(n.id) })}>View</button> },
        ]}
        empty="No notifications sent yet."
      />
    </>
  );
}

function NotificationReport({ id }: { id: number }) {
  const fmt = useTime();
  const rep = useLoad(() => call<Report>(api.GET("/api/v1/notify/notifications/{id}", { params: { path: { id } } })), [id]);
  const rows = useLoad(() => call<{ deliveries: Delivery[] }>(api.GET("/api/v1/notify/notifications/{id}/deliveries", { params: { path: { id }, query: { limit: 1000 } } })).then((r) => r.deliveries ?? []), [id]);
  useInterval(() => { rep.reload(); rows.reload(); }, 3000, rep.data?.status === "sending");
  return (
    <>
      <PageHead title={`Notification ${id}${rep.data ? ": " + rep.data.flow_name : ""}`} intro="Each recipient on each channel: sent (accepted by the gateway, or the call on the flow's call list), delivered (delivery report, or the call answered), failed or blocked.">
        <a className="btn" href={href("/api/v1/notify/notifications/{id}/report.csv", undefined, { id })} download>Download CSV</a>
        <button type="button" className="btn" onClick={() => navigate("/notify/reports")}>All notifications</button>
      </PageHead>
      <ErrorBox text={rep.error || rows.error} />
      {rep.data && (
        <p className="notify-status">
          Status: <Badge text={rep.data.status} tone={TONE[rep.data.status]} />{" "}
          {rep.data.counts.map((c) => `${CHANNEL_LABEL[c.channel] ?? c.channel} ${c.status}: ${c.count}`).join(" · ")}
        </p>
      )}
      <DataTable
        caption="Deliveries"
        search
        rows={rows.data ?? []}
        rowKey={(d) => d.id}
        loading={rows.loading && !rows.data}
        columns={[
          { key: "recipient", label: "Recipient" },
          { key: "channel", label: "Channel", value: (d) => CHANNEL_LABEL[d.channel] ?? d.channel },
          { key: "destination", label: "Destination" },
          { key: "status", label: "Status", render: (d) => <Badge text={d.status} tone={TONE[d.status]} /> },
          { key: "reason", label: "Reason" },
          { key: "time", label: "Time", render: (d) => fmt(d.time) },
        ]}
        empty="No deliveries."
      />
    </>
  );
}
