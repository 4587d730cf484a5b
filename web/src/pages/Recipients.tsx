import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { RequestSummary, UploadResult } from "../api/types";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field, FormError, useForm } from "../ui/Field";
import { useToast } from "../ui/Toast";
import { Badge, ErrorBox, PageHead, useLoad, useTime } from "../util";
import { listFlows } from "./flowsCache";

/** Recipients: the call lists seen as the dialer's recipients lists (name, accountcode, status). */
export function RecipientsPage() {
  const fmt = useTime();
  const lists = useLoad(() => call<{ requests: RequestSummary[] }>(api.GET("/api/v1/calllists/requests", { params: { query: { limit: 1000 } } })).then((r) => r.requests ?? []), []);
  const [add, setAdd] = useState(false);
  const [edit, setEdit] = useState<RequestSummary | null>(null);
  return (
    <>
      <PageHead title="Recipients" intro="Recipients lists for campaigns. A disabled list cannot be used in campaigns.">
        <button type="button" className="btn btn-primary" onClick={() => setAdd(true)}>Add list</button>
      </PageHead>
      <ErrorBox text={lists.error} />
      <DataTable caption="Recipients lists" rows={lists.data ?? []} rowKey={(r) => r.request_id} search loading={lists.loading && !lists.data} columns={[
        { key: "name", label: "Name", value: (r) => r.name || r.file_name || "" },
        { key: "accountcode", label: "Accountcode" },
        { key: "list_status", label: "Status", render: (r) => <Badge text={r.list_status} /> },
        { key: "flow_name", label: "Flow" },
        { key: "records_added", label: "Records", className: "num" },
        { key: "request_id", label: "Request ID", render: (r) => <code className="id">{r.request_id}</code> },
        { key: "created_at", label: "Added", render: (r) => fmt(r.created_at) },
        { key: "e", label: "Edit", sortable: false, render: (r) => <button type="button" className="btn btn-small" onClick={() => setEdit(r)} aria-label={`Edit list ${r.name || r.request_id}`}>Edit</button> },
      ]} empty="No recipients list yet." />
      {add && <AddList onClose={() => setAdd(false)} onDone={() => { setAdd(false); lists.reload(); }} />}
      {edit && <EditList list={edit} onClose={() => setEdit(null)} onDone={() => { setEdit(null); lists.reload(); }} />}
    </>
  );
}

function AddList({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const flows = useLoad(listFlows, []);
  const [accountcode, setAccountcode] = useState("");
  const [name, setName] = useState("");
  const [status, setStatus] = useState("active");
  const [flow, setFlow] = useState("");
  const [format, setFormat] = useState("ads");
  const [file, setFile] = useState<File | null>(null);
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!flow) errs.flow = "Select the flow the list is for.";
    if (!file) errs.file = "Choose the file.";
    if (Object.keys(errs).length) return f.setErrors(errs);
    const fd = new FormData();
    fd.append("file", file!, file!.name);
    if (await f.run(async () => {
      const r = await call<UploadResult>(api.POST("/api/v1/calllists/uploads", { params: { query: { flow_id: flow, format: format as "ads", ...(name.trim() ? { name: name.trim() } : {}), ...(accountcode.trim() ? { accountcode: accountcode.trim() } : {}) } }, body: {}, bodySerializer: () => fd }));
      const bad = (r.files ?? []).filter((x) => x.error);
      if (bad.length) throw new Error(bad.map((b) => `${b.file}: ${b.error}`).join("; "));
      if (status === "disabled") {
        for (const x of r.files ?? []) if (x.request) await call(api.PATCH("/api/v1/calllists/requests/{id}", { params: { path: { id: x.request.request_id } }, body: { list_status: "disabled" } }));
      }
    }, ["name", "accountcode", "file", "format"])) {
      toast("List added.");
      onDone();
    }
  };
  return (
    <Modal title="Add list" onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="list-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="list-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Accountcode" error={f.errors.accountcode}><input className="input" value={accountcode} onChange={(e) => setAccountcode(e.target.value)} /></Field>
        <Field label="Name" error={f.errors.name}><input className="input" value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Status"><select className="input" value={status} onChange={(e) => setStatus(e.target.value)}><option value="active">Active</option><option value="disabled">Disabled</option></select></Field>
        <Field label="Flow" error={f.errors.flow}>
          <select className="input" value={flow} onChange={(e) => setFlow(e.target.value)}>
            <option value="">Select a flow</option>
            {(flows.data ?? []).filter((x) => x.type !== "inbound").map((x) => <option key={x.id} value={String(x.id)}>{x.name} ({x.id})</option>)}
          </select>
        </Field>
        <Field label="File" error={f.errors.file}><input className="input" type="file" accept=".csv,.zip" onChange={(e) => setFile(e.target.files?.[0] ?? null)} /></Field>
        <Field label="Format" error={f.errors.format} hint="CSV: numbers separated by | in the first column, other columns become variables, *Schedule* = UNIX_TIMESTAMP:EXTENSION.">
          <select className="input" value={format} onChange={(e) => setFormat(e.target.value)}><option value="ads">CSV (recipients list)</option><option value="csv">Call list CSV (tel1…tel10)</option><option value="auto">Detect</option></select>
        </Field>
      </form>
    </Modal>
  );
}

function EditList({ list, onClose, onDone }: { list: RequestSummary; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(list.name);
  const [accountcode, setAccountcode] = useState(list.accountcode);
  const [status, setStatus] = useState(list.list_status || "active");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await f.run(async () => { await call(api.PATCH("/api/v1/calllists/requests/{id}", { params: { path: { id: list.request_id } }, body: { name, accountcode, list_status: status as "active" | "disabled" } })); }, ["name", "accountcode", "list_status"])) {
      toast("List saved.");
      onDone();
    }
  };
  return (
    <Modal title="Edit list" onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="elist-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="elist-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Accountcode" error={f.errors.accountcode}><input className="input" value={accountcode} onChange={(e) => setAccountcode(e.target.value)} /></Field>
        <Field label="Name" error={f.errors.name}><input className="input" value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Status" error={f.errors.list_status}><select className="input" value={status} onChange={(e) => setStatus(e.target.value)}><option value="active">Active</option><option value="disabled">Disabled</option></select></Field>
      </form>
    </Modal>
  );
}
