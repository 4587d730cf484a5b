// The Cloud screen: the account's cloud speech accounts (amazon web
// service, google cloud service) with "Check now", and its text-to-speech
// engine and voice with a spoken preview.
import { useEffect, useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Check, Field, FormError, useForm } from "../ui/Field";
import { useAction } from "../ui/action";
import { useToast } from "../ui/Toast";
import { Badge, ErrorBox, PageHead, useLoad, useTime, wavSeconds } from "../util";

interface ServiceCheck {
  service: string;
  status: "ok" | "failed" | "not_checked";
  message?: string;
}
interface CloudAccount {
  id: number;
  provider: "aws" | "google";
  alias: string;
  services: string[];
  region?: string;
  access_key_id?: string;
  project_id?: string;
  checks: ServiceCheck[] | null;
  checked_at?: string;
}
interface CloudList {
  cloud_accounts: CloudAccount[];
  providers: Record<string, string[]>;
}
interface TTSSettings {
  engine: string;
  voice: string;
}
interface Voice {
  id: string;
  language: string;
  name: string;
  gender?: string;
}

const PROVIDERS: Record<string, string> = { aws: "amazon web service", google: "google cloud service" };
const SERVICE_NAMES: Record<string, string> = {
  polly: "Amazon Polly",
  ses: "Simple Email Service",
  s3: "Amazon S3",
  text_to_speech: "Text to speech",
  dialogflow: "DialogFlow",
  speech_to_text: "Speech to text",
  verified_calls: "Verified calls",
  verified_sms: "Verified SMS",
};
const TTS_SERVICE: Record<string, string> = { aws: "polly", google: "text_to_speech" };
const AWS_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "sa-east-1", "me-south-1", "af-south-1"];

export function CloudPage() {
  const fmt = useTime();
  const action = useAction();
  const list = useLoad(() => call<CloudList>(api.GET("/api/v1/cloud-accounts")), []);
  const [edit, setEdit] = useState<CloudAccount | "new" | null>(null);
  const remove = (a: CloudAccount) =>
    action({
      ask: { title: "Delete cloud account", message: `Delete ${a.alias}? Its keys are forgotten.`, confirm: "Delete", danger: true },
      run: () => call(api.DELETE("/api/v1/cloud-accounts/{id}", { params: { path: { id: a.id } } })),
      done: "Cloud account deleted.",
      after: list.reload,
    });
  const check = (a: CloudAccount) =>
    action({
      run: () => call<CloudAccount>(api.POST("/api/v1/cloud-accounts/{id}/check", { params: { path: { id: a.id } } })),
      done: `Checked ${a.alias}.`,
      after: list.reload,
    });
  const accounts = list.data?.cloud_accounts ?? [];
  return (
    <>
      <PageHead title="Cloud" intro="Cloud accounts for text-to-speech in your flows (Amazon Polly, Google Text-to-Speech). Keys are stored encrypted and never shown again.">
        <button type="button" className="btn btn-primary" onClick={() => setEdit("new")}>Add cloud account</button>
      </PageHead>
      <ErrorBox text={list.error} />
      <DataTable caption="Cloud accounts" rows={accounts} rowKey={(a) => a.id} loading={list.loading && !list.data} columns={[
        { key: "alias", label: "Alias" },
        { key: "provider", label: "Account type", value: (a) => PROVIDERS[a.provider] ?? a.provider },
        { key: "services", label: "Services", value: (a) => a.services.map((s) => SERVICE_NAMES[s] ?? s).join(", ") },
        { key: "where", label: "Region / project", value: (a) => a.region || a.project_id || "" },
        { key: "checks", label: "Check", sortable: false, render: (a) => <Checks checks={a.checks} /> },
        { key: "checked_at", label: "Checked", render: (a) => fmt(a.checked_at) || "never" },
        { key: "x", label: "Actions", sortable: false, render: (a) => <div className="row-actions">
          <button type="button" className="btn btn-small" onClick={() => void check(a)} aria-label={`Check ${a.alias} now`}>Check now</button>
          <button type="button" className="btn btn-small" onClick={() => setEdit(a)} aria-label={`Edit ${a.alias}`}>Edit</button>
          <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void remove(a)} aria-label={`Delete ${a.alias}`}>Delete</button>
        </div> },
      ]} empty="No cloud accounts: flows speak with the local engine (espeak-ng)." />
      {list.data && <TTSCard accounts={accounts} />}
      {edit && list.data && <CloudForm initial={edit === "new" ? null : edit} providers={list.data.providers} onClose={() => setEdit(null)} onDone={() => { setEdit(null); list.reload(); }} />}
    </>
  );
}

function Checks({ checks }: { checks: ServiceCheck[] | null }) {
  if (!checks?.length) return <>not checked</>;
  return (
    <ul className="plain-list">
      {checks.map((c) => (
        <li key={c.service} title={c.message}>
          <Badge text={c.status === "ok" ? "works" : c.status === "failed" ? "failed" : "not checked"} tone={c.status === "ok" ? "ok" : c.status === "failed" ? "bad" : undefined} /> {SERVICE_NAMES[c.service] ?? c.service}
          {c.status === "failed" && c.message && <div className="muted">{c.message}</div>}
        </li>
      ))}
    </ul>
  );
}

function CloudForm({ initial, providers, onClose, onDone }: { initial: CloudAccount | null; providers: Record<string, string[]>; onClose: () => void; onDone: () => void }) {
  const [provider, setProvider] = useState<"aws" | "google">(initial?.provider ?? "aws");
  const [services, setServices] = useState<string[]>(initial?.services ?? [TTS_SERVICE[initial?.provider ?? "aws"]]);
  const [alias, setAlias] = useState(initial?.alias ?? "");
  const [keyID, setKeyID] = useState(initial?.access_key_id ?? "");
  const [secret, setSecret] = useState("");
  const [region, setRegion] = useState(initial?.region ?? "us-east-1");
  const [project, setProject] = useState(initial?.project_id ?? "");
  const [creds, setCreds] = useState("");
  const [checks, setChecks] = useState<ServiceCheck[] | null>(null);
  const f = useForm();
  const toast = useToast();
  const known = ["provider", "alias", "services", "region", "access_key_id", "secret_access_key", "project_id", "credentials"];
  const body = () =>
    provider === "aws"
      ? { provider, alias: alias.trim(), services, region, access_key_id: keyID.trim(), secret_access_key: secret.trim() }
      : { provider, alias: alias.trim(), services, project_id: project.trim(), credentials: creds.trim() };
  const pick = (p: "aws" | "google") => {
    setProvider(p);
    setServices([TTS_SERVICE[p]]);
    setChecks(null);
  };
  const checkNow = async () => {
    setChecks(null);
    if (initial && !secret.trim() && !creds.trim()) {
      // The saved keys: checked where they are kept.
      await f.run(async () => setChecks((await call<CloudAccount>(api.POST("/api/v1/cloud-accounts/{id}/check", { params: { path: { id: initial.id } } }))).checks), known);
      return;
    }
    await f.run(async () => setChecks((await call<{ checks: ServiceCheck[] }>(api.POST("/api/v1/cloud-accounts/check", { body: body() }))).checks), known);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^[A-Za-z0-9_]{1,32}$/.test(alias.trim())) return f.setErrors({ alias: "Only letters, digits and underscore are allowed in the alias (at most 32)." });
    if (await f.run(async () => {
      const saved = initial
        ? await call<CloudAccount>(api.PUT("/api/v1/cloud-accounts/{id}", { params: { path: { id: initial.id } }, body: body() }))
        : await call<CloudAccount>(api.POST("/api/v1/cloud-accounts", { body: body() }));
      // Checked before saving: the saved account keeps its own result.
      if (checks) await call(api.POST("/api/v1/cloud-accounts/{id}/check", { params: { path: { id: saved.id } } }));
    }, known)) {
      toast(initial ? "Cloud account saved." : "Cloud account configured.");
      onDone();
    }
  };
  const toggle = (s: string, on: boolean) => setServices((cur) => (on ? [...cur.filter((x) => x !== s), s] : cur.filter((x) => x !== s)));
  return (
    <Modal title={initial ? `Edit ${initial.alias}` : "Add cloud account"} onClose={onClose} wide footer={<>
      <button type="button" className="btn" onClick={onClose}>Cancel</button>
      <button type="button" className="btn" onClick={() => void checkNow()} disabled={f.busy}>Check now</button>
      <button type="submit" form="cloud-form" className="btn btn-primary" disabled={f.busy}>Save</button>
    </>}>
      <form id="cloud-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Account type" error={f.errors.provider}>
          <select className="input" value={provider} disabled={!!initial} onChange={(e) => pick(e.target.value === "google" ? "google" : "aws")}>
            {Object.keys(providers).map((p) => <option key={p} value={p}>{PROVIDERS[p] ?? p}</option>)}
          </select>
        </Field>
        <fieldset className="field" aria-label="Services">
          <legend>Services</legend>
          {(providers[provider] ?? []).map((s) => <Check key={s} label={SERVICE_NAMES[s] ?? s} checked={services.includes(s)} onChange={(v) => toggle(s, v)} />)}
          {f.errors.services && <div className="field-err">{f.errors.services}</div>}
        </fieldset>
        <Field label="Alias" error={f.errors.alias} hint="A short name to recognise the account (letters, digits and underscore). Flows name it: tts:[alias/voice] text.">
          <input className="input" value={alias} onChange={(e) => setAlias(e.target.value)} />
        </Field>
        {provider === "aws" ? (
          <>
            <Field label="Access key ID" error={f.errors.access_key_id}><input className="input" value={keyID} autoComplete="off" spellCheck={false} onChange={(e) => setKeyID(e.target.value)} /></Field>
            <Field label="Secret access key" error={f.errors.secret_access_key} hint={initial ? "Leave empty to keep the saved key." : undefined}>
              <input className="input" type="password" value={secret} autoComplete="new-password" onChange={(e) => setSecret(e.target.value)} />
            </Field>
            <Field label="Region" error={f.errors.region}>
              <select className="input" value={region} onChange={(e) => setRegion(e.target.value)}>{(AWS_REGIONS.includes(region) ? AWS_REGIONS : [region, ...AWS_REGIONS]).map((r) => <option key={r}>{r}</option>)}</select>
            </Field>
          </>
        ) : (
          <>
            <Field label="Project ID" error={f.errors.project_id} hint="Blank: the project of the JSON credentials."><input className="input" value={project} onChange={(e) => setProject(e.target.value)} /></Field>
            <Field label="JSON Credentials" error={f.errors.credentials} hint={initial ? "Leave empty to keep the saved credentials." : "The service account's JSON key file."}>
              <textarea className="input" rows={6} value={creds} spellCheck={false} onChange={(e) => setCreds(e.target.value)} />
            </Field>
          </>
        )}
        {checks && (
          <section aria-label="Check result">
            <h3>Check result</h3>
            <Checks checks={checks} />
          </section>
        )}
      </form>
    </Modal>
  );
}

/** TTSCard chooses the account's engine and voice and plays a preview. */
function TTSCard({ accounts }: { accounts: CloudAccount[] }) {
  const st = useLoad(() => call<TTSSettings>(api.GET("/api/v1/tts/settings")), []);
  const [engine, setEngine] = useState("local");
  const [voice, setVoice] = useState("");
  const [text, setText] = useState("Your payment is due tomorrow. Thank you.");
  const [audio, setAudio] = useState("");
  const [clipSecs, setClipSecs] = useState<number | undefined>();
  const f = useForm();
  const pv = useForm();
  const toast = useToast();
  useEffect(() => {
    if (st.data) {
      setEngine(st.data.engine);
      setVoice(st.data.voice);
    }
  }, [st.data]);
  const voices = useLoad(() => call<{ voices: Voice[] }>(api.GET("/api/v1/tts/voices", { params: { query: { engine } } })).then((r) => r.voices ?? []), [engine]);
  useEffect(() => () => { if (audio) URL.revokeObjectURL(audio); }, [audio]);
  const engines = ["local", ...accounts.filter((a) => a.services.includes(TTS_SERVICE[a.provider])).map((a) => a.alias)];
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (await f.run(async () => { await call(api.PUT("/api/v1/tts/settings", { body: { engine, voice: voice.trim() } })); }, ["engine", "voice"])) toast(`Text-to-speech speaks with ${engine}, voice ${voice.trim() || "default"}.`);
  };
  const preview = async () => {
    await pv.run(async () => {
      const r = await api.POST("/api/v1/tts/preview", { body: { text }, parseAs: "blob" });
      if (!r.response.ok) {
        await call(Promise.resolve({ error: await r.response.clone().json().catch(() => undefined), response: r.response }));
        return;
      }
      const blob = r.data as Blob;
      setClipSecs(wavSeconds(await blob.arrayBuffer()));
      setAudio(URL.createObjectURL(blob));
    }, ["text"]);
  };
  return (
    <form className="card narrow-card" onSubmit={save} noValidate aria-labelledby="tts-h">
      <h2 id="tts-h">Text-to-speech</h2>
      <p className="muted">Flows speak tts: items with this engine and voice unless an item names its own: tts:[en-gb] Hello, tts:[alias/voice] Hello.</p>
      <ErrorBox text={st.error} />
      <FormError text={f.general} />
      <Field label="Engine" error={f.errors.engine}>
        <select className="input" value={engine} onChange={(e) => { setEngine(e.target.value); setVoice(""); }}>
          {engines.map((x) => <option key={x} value={x}>{x === "local" ? "local (espeak-ng)" : x}</option>)}
        </select>
      </Field>
      <Field label="Voice" error={f.errors.voice || voices.error} hint={voices.data ? `${voices.data.length} voices` : undefined}>
        <input className="input" list="tts-voices" value={voice} autoComplete="off" spellCheck={false} onChange={(e) => setVoice(e.target.value)} />
      </Field>
      <datalist id="tts-voices">{(voices.data ?? []).map((v) => <option key={v.id} value={v.id}>{`${v.name} (${v.language})`}</option>)}</datalist>
      <button type="submit" className="btn btn-primary" disabled={f.busy}>Save</button>
      <h3>Preview</h3>
      <FormError text={pv.general} />
      <Field label="Preview text" error={pv.errors.text} hint="Spoken with the saved engine and voice, or the one named in brackets.">
        <input className="input" value={text} onChange={(e) => setText(e.target.value)} />
      </Field>
      <button type="button" className="btn" onClick={() => void preview()} disabled={pv.busy}>Play</button>
      {audio && <audio controls autoPlay src={audio} aria-label="Preview audio" />}
      {audio && clipSecs !== undefined && <p className="muted" aria-label="Preview length">{clipSecs.toFixed(2)} s of audio</p>}
    </form>
  );
}
