import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { api, call, href } from "../api/client";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field, FormError, useForm } from "../ui/Field";
import { useAction } from "../ui/action";
import { useToast } from "../ui/Toast";
import { useSession } from "../session";
import { Badge, ErrorBox, PageHead, useLoad, useTime } from "../util";

/** Prompt is a recording of the account's prompt library (GET /api/v1/prompts). */
export interface Prompt {
  id: number;
  account_id: number;
  name: string;
  tags: string[];
  status: "pending" | "approved" | "rejected";
  reason?: string;
  duration_ms: number;
  source: string;
  file_name?: string;
  created_by?: string;
  created_at: string;
  decided_by?: string;
  decided_at?: string;
}

const STATUS_LABEL: Record<string, string> = { pending: "Pending", approved: "Approved", rejected: "Rejected" };
const STATUS_TONE: Record<string, string> = { pending: "warn", approved: "ok", rejected: "bad" };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * PromptsPage is the account's prompt library: every prompt with its
 * tags and status, a play button, "Add New Prompt" (upload a file or
 * record with the system microphone) and delete. A new prompt is Pending
 * until the support team approves it; only approved prompts play in
 * published flows (as prompt:<name>).
 */
export function PromptsPage() {
  const fmt = useTime();
  const { can } = useSession();
  const action = useAction();
  const [status, setStatus] = useState("");
  const [tag, setTag] = useState("");
  const list = useLoad(
    () => call<{ prompts: Prompt[] }>(api.GET("/api/v1/prompts", { params: { query: { ...(status ? { status: status as "pending" } : {}), ...(tag.trim() ? { tag: tag.trim() } : {}) } } })).then((r) => r.prompts ?? []),
    [status, tag],
  );
  const [add, setAdd] = useState(false);
  const admin = can("admin");
  const remove = (p: Prompt) =>
    action({
      ask: { title: "Delete prompt", message: `Delete the prompt "${p.name}"? Published flows that play it fail at that step from then on.`, confirm: "Delete", cancel: "Keep it", danger: true },
      run: () => call(api.DELETE("/api/v1/prompts/{id}", { params: { path: { id: p.id } } })),
      done: `Prompt "${p.name}" deleted.`,
      after: list.reload,
    });
  return (
    <>
      <PageHead title="Prompts" intro={<>Recordings played in your flows as <code>prompt:name</code>. Prompts are converted to 8 kHz mono for the telephone. A new prompt is Pending until the support team approves it; only approved prompts play in published flows.</>}>
        {admin && <button type="button" className="btn btn-primary" onClick={() => setAdd(true)}>Add New Prompt</button>}
      </PageHead>
      <div className="filters">
        <Field label="Status">
          <select className="input" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            <option value="pending">Pending</option>
            <option value="approved">Approved</option>
            <option value="rejected">Rejected</option>
          </select>
        </Field>
        <Field label="Tag"><input className="input" value={tag} onChange={(e) => setTag(e.target.value)} placeholder="any tag" /></Field>
      </div>
      <ErrorBox text={list.error} />
      <DataTable
        caption="Prompts"
        rows={list.data ?? []}
        rowKey={(p) => String(p.id)}
        search
        loading={list.loading && !list.data}
        columns={[
          { key: "name", label: "Name", render: (p) => <code>{p.name}</code> },
          { key: "tags", label: "Tags", value: (p) => p.tags.join(" "), render: (p) => (p.tags.length ? p.tags.map((t) => <span key={t} className="tag">{t}</span>) : <span className="muted">none</span>) },
          { key: "status", label: "Status", render: (p) => <span title={p.reason || undefined}><Badge text={STATUS_LABEL[p.status] ?? p.status} tone={STATUS_TONE[p.status]} />{p.status === "rejected" && p.reason ? <span className="muted"> {p.reason}</span> : null}</span> },
          { key: "duration_ms", label: "Length", className: "num", render: (p) => seconds(p.duration_ms) },
          { key: "source", label: "Added by", render: (p) => `${p.source}${p.created_by ? ` (${p.created_by})` : ""}` },
          { key: "created_at", label: "Added", render: (p) => fmt(p.created_at) },
          { key: "play", label: "Play", sortable: false, render: (p) => <audio controls preload="none" src={href("/api/v1/prompts/{id}/audio", undefined, { id: p.id })} aria-label={`Play ${p.name}`} /> },
          ...(admin
            ? [{ key: "del", label: "Delete", sortable: false, render: (p: Prompt) => <button type="button" className="btn btn-small btn-danger" onClick={() => remove(p)} aria-label={`Delete ${p.name}`}>Delete</button> }]
            : []),
        ]}
        empty="No prompt yet."
      />
      {add && <AddPrompt onClose={() => setAdd(false)} onDone={() => { setAdd(false); list.reload(); }} />}
    </>
  );
}

/** wavOf encodes mono float samples as a 16-bit PCM WAV file. */
export function wavOf(chunks: Float32Array[], rate: number): Blob {
  const n = chunks.reduce((s, c) => s + c.length, 0);
  const buf = new ArrayBuffer(44 + 2 * n);
  const v = new DataView(buf);
  const str = (off: number, s: string) => { for (let i = 0; i < s.length; i++) v.setUint8(off + i, s.charCodeAt(i)); };
  str(0, "RIFF");
  v.setUint32(4, 36 + 2 * n, true);
  str(8, "WAVE");
  str(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  str(36, "data");
  v.setUint32(40, 2 * n, true);
  let off = 44;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++, off += 2) {
      const s = Math.max(-1, Math.min(1, c[i]));
      v.setInt16(off, s < 0 ? s * 0x8000 : s * 0x7fff, true);
    }
  }
  return new Blob([buf], { type: "audio/wav" });
}

/** Recorder records the system microphone as PCM (Web Audio API, no codec). */
interface Recorder {
  stop: () => Promise<Blob>;
}

async function startRecording(): Promise<Recorder> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false } });
  const ctx = new AudioContext();
  const src = ctx.createMediaStreamSource(stream);
  const proc = ctx.createScriptProcessor(4096, 1, 1);
  const chunks: Float32Array[] = [];
  proc.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
  src.connect(proc);
  proc.connect(ctx.destination);
  return {
    stop: async () => {
      proc.disconnect();
      src.disconnect();
      stream.getTracks().forEach((t) => t.stop());
      const rate = ctx.sampleRate;
      await ctx.close();
      return wavOf(chunks, rate);
    },
  };
}

function AddPrompt({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState("");
  const [tags, setTags] = useState<string[]>([]);
  const [tagInput, setTagInput] = useState("");
  const [method, setMethod] = useState<"upload" | "browser" | "phone">("upload");
  const [file, setFile] = useState<File | null>(null);
  const [take, setTake] = useState<Blob | null>(null);
  const [recording, setRecording] = useState<Recorder | null>(null);
  const [preview, setPreview] = useState("");
  const f = useForm();
  const toast = useToast();
  const recRef = useRef<Recorder | null>(null);
  recRef.current = recording;
  useEffect(() => () => { void recRef.current?.stop(); }, []);
  const audio = method === "upload" ? file : take;
  useEffect(() => {
    if (!audio) return setPreview("");
    const u = URL.createObjectURL(audio);
    setPreview(u);
    return () => URL.revokeObjectURL(u);
  }, [audio]);
  const addTag = () => {
    const t = tagInput.trim().toLowerCase();
    if (t && !tags.includes(t)) setTags([...tags, t]);
    setTagInput("");
  };
  const tagKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter" || e.key === ",") {
      e.preventDefault();
      addTag();
    }
  };
  const record = async () => {
    if (recording) {
      setTake(await recording.stop());
      setRecording(null);
      return;
    }
    try {
      setTake(null);
      setRecording(await startRecording());
    } catch (e) {
      f.setErrors({ file: `The microphone could not be opened: ${(e as Error).message}` });
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!/^[A-Za-z0-9_]+$/.test(name.trim())) errs.name = "Use letters, digits and underscores only.";
    if (recording) errs.file = "Stop the recording first.";
    else if (!audio) errs.file = method === "upload" ? "Choose an mp3, wav or ogg file." : "Record the prompt first.";
    if (Object.keys(errs).length) return f.setErrors(errs);
    if (method === "phone") return;
    const fd = new FormData();
    fd.append("name", name.trim());
    for (const t of tagInput.trim() ? [...tags, tagInput.trim()] : tags) fd.append("tags", t);
    fd.append("source", method as string);
    fd.append("file", audio!, method === "upload" ? file!.name : `${name.trim()}.wav`);
    if (await f.run(async () => { await call(api.POST("/api/v1/prompts", { body: {} as never, bodySerializer: () => fd })); }, ["name", "tags", "file", "source"])) {
      toast(`Prompt "${name.trim()}" saved: it is pending the support team's approval (you will get a mail).`);
      onDone();
    }
  };
  return (
    <Modal title="Add New Prompt" onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button>{method !== "phone" && <button type="submit" form="prompt-form" className="btn btn-primary" disabled={f.busy}>Save</button>}</>}>
      <form id="prompt-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Prompt name" error={f.errors.name} hint="Unique in your account; letters, digits and underscores. Flows play it as prompt:name.">
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Tags" error={f.errors.tags} hint="Key words to find the prompt: type one and press Enter (optional).">
          <input className="input" value={tagInput} onChange={(e) => setTagInput(e.target.value)} onKeyDown={tagKey} onBlur={addTag} />
        </Field>
        {tags.length > 0 && (
          <p className="tags">
            {tags.map((t) => (
              <button key={t} type="button" className="tag" onClick={() => setTags(tags.filter((x) => x !== t))} aria-label={`Remove tag ${t}`}>{t} ×</button>
            ))}
          </p>
        )}
        <fieldset className="field">
          <legend>Method</legend>
          <label className="check"><input type="radio" name="method" checked={method === "upload"} onChange={() => setMethod("upload")} /> Upload a file</label>
          <label className="check"><input type="radio" name="method" checked={method === "browser"} onChange={() => setMethod("browser")} /> Record using system microphone</label>
          <label className="check"><input type="radio" name="method" checked={method === "phone"} onChange={() => setMethod("phone")} /> Record by phone (call me)</label>
        </fieldset>
        {method === "phone" ? (
          <PhoneRecord name={name} tags={tagInput.trim() ? [...tags, tagInput.trim()] : tags} onSaved={onDone} />
        ) : method === "upload" ? (
          <Field label="Audio file" error={f.errors.file} hint="mp3, wav or ogg.">
            <input className="input" type="file" accept=".mp3,.wav,.ogg,audio/mpeg,audio/wav,audio/ogg" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </Field>
        ) : (
          <div className="field">
            <button type="button" className={`btn${recording ? " btn-danger" : ""}`} onClick={record}>{recording ? "Stop recording" : take ? "Record again" : "Record using system microphone"}</button>
            {recording && <span className="muted" role="status"> Recording… speak now.</span>}
            {f.errors.file && <div className="field-err" role="alert">{f.errors.file}</div>}
          </div>
        )}
        {preview && (
          <div className="field">
            <label>Play</label>
            <audio controls src={preview} aria-label="Play the prompt before saving" />
          </div>
        )}
      </form>
    </Modal>
  );
}

/** RecordCall is a record-by-phone call (POST /api/v1/prompts/record-call). */
interface RecordCall {
  id: string;
  state: "ringing" | "recording" | "reviewing" | "saved" | "not_saved" | "not_answered" | "failed";
  prompt_id?: number;
  error?: string;
}

const CALL_STATE: Record<string, string> = {
  ringing: "Ringing your phone…",
  recording: "Speak after the beep; press any key when you are done.",
  reviewing: "Listening back: press 1 to save it, 2 to hear it again, 3 to record again.",
  not_answered: "The call was not answered.",
  not_saved: "The call ended without saving the recording.",
  failed: "The recording failed.",
};

/**
 * PhoneRecord records the prompt by phone: Switchyard calls the number;
 * after the beep the person speaks, hears it back and presses 1 to save
 * it (the prompt is then added, pending approval).
 */
function PhoneRecord({ name, tags, onSaved }: { name: string; tags: string[]; onSaved: () => void }) {
  const [number, setNumber] = useState("");
  const [rc, setRC] = useState<RecordCall | null>(null);
  const f = useForm();
  const toast = useToast();
  const done = useRef(onSaved);
  done.current = onSaved;
  const live = rc !== null && ["ringing", "recording", "reviewing"].includes(rc.state);
  useEffect(() => {
    if (!rc || !live) return;
    const id = setTimeout(async () => {
      try {
        const next = await call<RecordCall>(api.GET("/api/v1/prompts/record-calls/{call_id}", { params: { path: { call_id: rc.id } } }));
        if (next.state === "saved") {
          toast(`Prompt "${name.trim()}" saved: it is pending the support team's approval (you will get a mail).`);
          done.current();
          return;
        }
        setRC(next);
      } catch (e) {
        setRC({ ...rc, state: "failed", error: (e as Error).message });
      }
    }, 1000);
    return () => clearTimeout(id);
  }, [rc, live, name, toast]);
  const start = async () => {
    const errs: Record<string, string> = {};
    if (!/^[A-Za-z0-9_]+$/.test(name.trim())) errs.name = "Give the prompt a name first (letters, digits and underscores).";
    if (!/^\+[1-9][0-9]{5,14}$/.test(number.trim())) errs.number = "Give the number in international form, e.g. +4930123456.";
    if (Object.keys(errs).length) return f.setErrors(errs);
    await f.run(async () => {
      setRC(await call<RecordCall>(api.POST("/api/v1/prompts/record-call", { body: { name: name.trim(), tags, number: number.trim() } })));
    }, ["number", "name", "tags"]);
  };
  return (
    <>
      <FormError text={f.general || f.errors.name} />
      <Field label="Phone number" error={f.errors.number} hint="Switchyard calls this number: speak after the beep, listen back, press 1 to save.">
        <input className="input" type="tel" value={number} onChange={(e) => setNumber(e.target.value)} placeholder="+4930123456" disabled={live} />
      </Field>
      <div className="field">
        <button type="button" className="btn btn-primary" onClick={start} disabled={live || f.busy}>{rc && !live ? "Call me again" : "Call me"}</button>
        {rc && <span className="muted" role="status"> {CALL_STATE[rc.state] ?? rc.state}{rc.error ? ` ${rc.error}` : ""}</span>}
      </div>
    </>
  );
}

/**
 * PromptApprovalsPage is the operator's queue of prompts: listen to each
 * one and approve it (the account's flows play it from then on) or reject
 * it with a reason the account sees. The account is mailed either way.
 */
export function PromptApprovalsPage() {
  const fmt = useTime();
  const action = useAction();
  const [status, setStatus] = useState("pending");
  const list = useLoad(() => call<{ prompts: Prompt[] }>(api.GET("/api/v1/operator/prompts", { params: { query: { status: status as "pending" } } })).then((r) => r.prompts ?? []), [status]);
  const [rejecting, setRejecting] = useState<Prompt | null>(null);
  const approve = (p: Prompt) =>
    action({
      run: () => call(api.POST("/api/v1/operator/prompts/{id}/approve", { params: { path: { id: p.id } } })),
      done: `Prompt "${p.name}" approved.`,
      after: list.reload,
    });
  return (
    <>
      <PageHead title="Prompt approvals" intro="Prompts the accounts uploaded or recorded, oldest first. Listen to each one: an approved prompt plays in the account's flows; a rejected one never does and the account sees your reason." />
      <div className="filters">
        <Field label="Status">
          <select className="input" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="pending">Pending</option>
            <option value="approved">Approved</option>
            <option value="rejected">Rejected</option>
            <option value="all">All</option>
          </select>
        </Field>
      </div>
      <ErrorBox text={list.error} />
      <DataTable
        caption="Prompts to approve"
        rows={list.data ?? []}
        rowKey={(p) => String(p.id)}
        search
        loading={list.loading && !list.data}
        columns={[
          { key: "account_id", label: "Account", className: "num" },
          { key: "name", label: "Name", render: (p) => <code>{p.name}</code> },
          { key: "tags", label: "Tags", value: (p) => p.tags.join(" ") },
          { key: "duration_ms", label: "Length", className: "num", render: (p) => seconds(p.duration_ms) },
          { key: "status", label: "Status", render: (p) => <Badge text={STATUS_LABEL[p.status] ?? p.status} tone={STATUS_TONE[p.status]} /> },
          { key: "created_at", label: "Submitted", render: (p) => fmt(p.created_at) },
          { key: "play", label: "Play", sortable: false, render: (p) => <audio controls preload="none" src={href("/api/v1/operator/prompts/{id}/audio", undefined, { id: p.id })} aria-label={`Play ${p.name}`} /> },
          {
            key: "actions",
            label: "Actions",
            sortable: false,
            render: (p) =>
              p.status === "pending" ? (
                <>
                  <button type="button" className="btn btn-small btn-primary" onClick={() => approve(p)} aria-label={`Approve ${p.name}`}>Approve</button>{" "}
                  <button type="button" className="btn btn-small btn-danger" onClick={() => setRejecting(p)} aria-label={`Reject ${p.name}`}>Reject</button>
                </>
              ) : (
                <span className="muted">{p.reason || "decided"}</span>
              ),
          },
        ]}
        empty="No prompt waits for approval."
      />
      {rejecting && <RejectPrompt prompt={rejecting} onClose={() => setRejecting(null)} onDone={() => { setRejecting(null); list.reload(); }} />}
    </>
  );
}

function RejectPrompt({ prompt, onClose, onDone }: { prompt: Prompt; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return f.setErrors({ reason: "Say why: the account sees the reason." });
    if (await f.run(async () => { await call(api.POST("/api/v1/operator/prompts/{id}/reject", { params: { path: { id: prompt.id } }, body: { reason: reason.trim() } })); }, ["reason"])) {
      toast(`Prompt "${prompt.name}" rejected.`);
      onDone();
    }
  };
  return (
    <Modal title={`Reject "${prompt.name}"`} onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="reject-prompt-form" className="btn btn-danger" disabled={f.busy}>Reject</button></>}>
      <form id="reject-prompt-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Reason" error={f.errors.reason}><textarea className="input" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} /></Field>
      </form>
    </Modal>
  );
}
