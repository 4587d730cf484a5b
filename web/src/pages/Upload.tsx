import { useEffect, useRef, useState, type DragEvent } from "react";
import { api, ApiError, call, href } from "../api/client";
import type { AccessEntry, Flow, FlowDoc, UploadResult } from "../api/types";
import { Modal } from "../ui/Modal";
import { Check, Field, FormError } from "../ui/Field";
import { useToast } from "../ui/Toast";
import { useSession } from "../session";
import { requestFlowType } from "./flowsCache";

const MB = 1024 * 1024;

interface Item {
  key: number;
  file: File;
  state: "ready" | "uploading" | "done" | "rejected";
  text: string;
}

let seq = 0;

function check(f: File): string {
  const n = f.name.toLowerCase();
  if (!n.endsWith(".csv") && !n.endsWith(".zip")) return "Only .csv and .zip files can be uploaded.";
  if (n.endsWith(".zip") && f.size > 25 * MB) return "A zip file can be at most 25 MB.";
  if (n.endsWith(".csv") && f.size > 10 * MB) return "A csv file can be at most 10 MB.";
  return "";
}

function size(n: number): string {
  return n < 1024 ? `${n} B` : n < MB ? `${(n / 1024).toFixed(1)} KB` : `${(n / MB).toFixed(1)} MB`;
}

/**
 * UploadModal is "upload call list": flow type and flow, files chosen or
 * dropped (several), each with its status, and the flow's Email Status.
 */
export function UploadModal({ flows, onClose, onUploaded }: { flows: Flow[]; onClose: () => void; onUploaded: () => void }) {
  const toast = useToast();
  const { can } = useSession();
  const [flowType, setFlowType] = useState("outbound");
  const [flowId, setFlowId] = useState("");
  const [items, setItems] = useState<Item[]>([]);
  const [drag, setDrag] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState("");
  const [emailStatus, setEmailStatus] = useState(false);
  const [recipients, setRecipients] = useState<string[]>([]);
  const [origEmail, setOrigEmail] = useState<{ on: boolean; to: string[] }>({ on: false, to: [] });
  const [whitelisted, setWhitelisted] = useState<string[] | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const candidates = flows.filter((f) => f.type !== "inbound" && requestFlowType(f.type) === flowType);

  useEffect(() => {
    if (!can("admin")) return;
    call<{ entries: AccessEntry[] }>(api.GET("/api/v1/calllists/access-lists", { params: { query: { list: "white", kind: "email" } } }))
      .then((r) => setWhitelisted((r.entries ?? []).map((e) => e.value)))
      .catch(() => setWhitelisted(null));
  }, [can]);

  useEffect(() => {
    const f = flows.find((x) => String(x.id) === flowId);
    const s = f?.draft?.settings;
    const on = !!s?.email_status;
    const to = s?.status_recipients ?? [];
    setEmailStatus(on);
    setRecipients(to);
    setOrigEmail({ on, to });
  }, [flowId, flows]);

  const add = (files: FileList | File[]) => {
    const xs = Array.from(files).map((file) => {
      const bad = check(file);
      return { key: ++seq, file, state: bad ? "rejected" : "ready", text: bad || "Ready to upload" } as Item;
    });
    setItems((cur) => [...cur, ...xs]);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDrag(false);
    if (e.dataTransfer?.files?.length) add(e.dataTransfer.files);
  };
  const setItem = (key: number, p: Partial<Item>) => setItems((cur) => cur.map((x) => (x.key === key ? { ...x, ...p } : x)));

  const saveEmailStatus = async () => {
    const changed = emailStatus !== origEmail.on || recipients.join(",") !== origEmail.to.join(",");
    if (!changed || !can("admin")) return;
    const f = await call<Flow>(api.GET("/api/v1/flows/{id}", { params: { path: { id: Number(flowId) } } }));
    const doc: FlowDoc = { ...f.draft, settings: { ...(f.draft.settings ?? {}), email_status: emailStatus, status_recipients: emailStatus ? recipients : [] } };
    if (!emailStatus) delete doc.settings!.status_recipients;
    await call(api.PUT("/api/v1/flows/{id}", { params: { path: { id: Number(flowId) } }, body: doc }));
    setOrigEmail({ on: emailStatus, to: recipients });
  };

  const upload = async () => {
    const errs: Record<string, string> = {};
    if (!flowId) errs.flow = "Select the flow to upload for.";
    const ready = items.filter((x) => x.state === "ready");
    if (ready.length === 0) errs.files = "Add at least one .csv or .zip file.";
    setErrors(errs);
    setGeneral("");
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      await saveEmailStatus();
    } catch (e) {
      setGeneral(`Email Status was not saved: ${e instanceof Error ? e.message : String(e)}`);
      setBusy(false);
      return;
    }
    let ok = 0;
    for (const it of ready) {
      setItem(it.key, { state: "uploading", text: "Uploading…" });
      const fd = new FormData();
      fd.append("file", it.file, it.file.name);
      try {
        const r = await call<UploadResult>(
          api.POST("/api/v1/calllists/uploads", { params: { query: { flow_id: flowId } }, body: {}, bodySerializer: () => fd }),
        );
        const results = r.files ?? [];
        const good = results.filter((x) => x.request);
        const bad = results.filter((x) => x.error);
        if (good.length) {
          ok += good.length;
          const req = good[0]!.request!;
          const extra = good.length > 1 ? ` and ${good.length - 1} more` : "";
          setItem(it.key, {
            state: bad.length ? "rejected" : "done",
            text:
              `Uploaded: request ${req.request_id}${extra} · ${req.valid} valid, ${req.invalid} invalid, ${req.scrubbed} scrubbed` +
              (bad.length ? ` · rejected: ${bad.map((b) => `${b.file}: ${b.error}`).join("; ")}` : ""),
          });
        } else {
          setItem(it.key, { state: "rejected", text: bad.map((b) => b.error).join("; ") || "Rejected." });
        }
      } catch (e) {
        setItem(it.key, { state: "rejected", text: e instanceof ApiError ? e.message : String(e) });
      }
    }
    setBusy(false);
    if (ok) {
      toast(`${ok} request${ok > 1 ? "s" : ""} created.`);
      onUploaded();
    }
  };

  const wl = whitelisted ?? [];
  const options = Array.from(new Set([...wl, ...recipients]));
  return (
    <Modal
      title="Upload call list"
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void upload()} disabled={busy}>
            {busy ? "Uploading…" : "Upload"}
          </button>
        </>
      }
    >
      <FormError text={general} />
      <div className="grid2">
        <Field label="Flow type">
          <select className="input" value={flowType} onChange={(e) => { setFlowType(e.target.value); setFlowId(""); }}>
            <option value="outbound">Outbound</option>
            <option value="dialer">Dialer</option>
          </select>
        </Field>
        <Field label="Flow" error={errors.flow} hint={flowId ? <a href={href("/api/v1/calllists/template", { flow_id: flowId })} download>Download the template</a> : undefined}>
          <select className="input" value={flowId} onChange={(e) => setFlowId(e.target.value)}>
            <option value="">Select a flow</option>
            {candidates.map((f) => (
              <option key={f.id} value={String(f.id)}>
                {f.name} ({f.id})
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div
        className={`dropzone${drag ? " dropzone-over" : ""}${errors.files ? " dropzone-error" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => { e.preventDefault(); setDrag(true); }}
        onDragLeave={() => setDrag(false)}
        onDrop={onDrop}
      >
        <p>Drag and drop .csv or .zip files here, or</p>
        <label className="btn">
          Choose files
          <input ref={inputRef} className="sr-only" type="file" multiple accept=".csv,.zip,text/csv,application/zip" onChange={(e) => { if (e.target.files) add(e.target.files); e.target.value = ""; }} />
        </label>
        <p className="muted small">Maximum file size: 10 MB for one file or 25 MB for a zip file. Columns tel1…tel10, starttime, client-identifier and $flow.key.&lt;variable&gt;.</p>
      </div>
      {errors.files && <div className="field-err" role="alert">{errors.files}</div>}
      {items.length > 0 && (
        <ul className="file-list" aria-label="Files">
          {items.map((it) => (
            <li key={it.key} className={`file-${it.state}`}>
              <div className="file-name">
                <strong>{it.file.name}</strong> <span className="muted">{size(it.file.size)}</span>
              </div>
              <div className="file-status" role="status">
                {it.text}
              </div>
              {(it.state === "ready" || it.state === "rejected") && (
                <button type="button" className="link" aria-label={`Remove ${it.file.name}`} onClick={() => setItems((cur) => cur.filter((x) => x.key !== it.key))}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <fieldset className="fieldset">
        <legend>Email Status</legend>
        <Check label="Email Status: mail the status of each uploaded file" checked={emailStatus} disabled={!flowId || !can("admin")} onChange={setEmailStatus} />
        <p className="muted small">
          The status goes to the account holder and to the selected addresses. Only whitelisted email IDs can be chosen; a rejected file's status is mailed to the account holder even when this is off.
          {!can("admin") && " Only an administrator can change this flow setting."}
        </p>
        {emailStatus && (
          <div className="checklist" role="group" aria-label="Email IDs to receive the status">
            {options.length === 0 && <p className="muted">No whitelisted email IDs yet: add them on the Whitelist page.</p>}
            {options.map((a) => (
              <Check key={a} label={a} checked={recipients.includes(a)} disabled={!can("admin")} onChange={(v) => setRecipients((cur) => (v ? [...cur, a] : cur.filter((x) => x !== a)))} />
            ))}
          </div>
        )}
      </fieldset>
    </Modal>
  );
}
