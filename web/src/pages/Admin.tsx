import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { APIKey, TransactionalMessaging, User } from "../api/types";
import type { components } from "../api/schema";

type AccountRole = components["schemas"]["AccountRole"];
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Check, Field, FormError, useForm } from "../ui/Field";
import { useAction } from "../ui/action";
import { useToast } from "../ui/Toast";
import { Badge, ErrorBox, PageHead, useLoad, useTime } from "../util";
import { useSession } from "../session";
import { passwordHint, passwordProblem } from "../password";

const ROLES = ["agent", "scheduler", "supervisor", "admin", "owner"] as const;

export function UsersPage() {
  const fmt = useTime();
  const { session, can } = useSession();
  const owner = can("owner");
  const action = useAction();
  const users = useLoad(() => call<{ users: User[] }>(api.GET("/api/v1/users")).then((r) => r.users ?? []), []);
  const [add, setAdd] = useState(false);
  const [edit, setEdit] = useState<User | null>(null);
  const remove = (u: User) =>
    action({
      ask: { title: "Remove user", message: `Remove ${u.email}? They are logged out at once.`, confirm: "Remove" },
      run: () => call(api.DELETE("/api/v1/users/{id}", { params: { path: { id: u.id } } })),
      done: "User removed.",
      after: users.reload,
    });
  return (
    <>
      <PageHead title="Users" intro="People who log in to the console, and their roles: agent < scheduler < supervisor < admin < owner. Only an owner manages owners.">
        <button type="button" className="btn btn-primary" onClick={() => setAdd(true)}>Add user</button>
      </PageHead>
      <ErrorBox text={users.error} />
      <DataTable caption="Users" rows={users.data ?? []} rowKey={(u) => u.id} search loading={users.loading && !users.data} columns={[
        { key: "name", label: "Name" },
        { key: "email", label: "Email" },
        { key: "role", label: "Role" },
        { key: "disabled", label: "Status", value: (u) => (u.disabled ? "disabled" : u.invited ? "invitation pending" : "active") },
        { key: "created_at", label: "Added", render: (u) => fmt(u.created_at) },
        { key: "a", label: "Actions", sortable: false, render: (u) => (u.role === "owner" && !owner) || u.id === session?.user.id ? null : <div className="row-actions"><button type="button" className="btn btn-small" onClick={() => setEdit(u)} aria-label={`Edit ${u.email}`}>Edit</button><button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void remove(u)} aria-label={`Remove ${u.email}`}>Remove</button></div> },
      ]} empty="No users." />
      {add && <AddUser owner={owner} onClose={() => setAdd(false)} onDone={() => { setAdd(false); users.reload(); }} />}
      {edit && <EditUser user={edit} owner={owner} onClose={() => setEdit(null)} onDone={() => { setEdit(null); users.reload(); }} />}
    </>
  );
}

function AddUser({ owner, onClose, onDone }: { owner: boolean; onClose: () => void; onDone: () => void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<AccountRole>("scheduler");
  const [invite, setInvite] = useState(true);
  const [password, setPassword] = useState("");
  const [url, setUrl] = useState("");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!email.trim()) errs.email = "Enter the email address.";
    const bad = invite ? "" : passwordProblem(password);
    if (bad) errs.password = bad;
    if (Object.keys(errs).length) return f.setErrors(errs);
    if (await f.run(async () => {
      const r = await call<{ invite_url?: string }>(api.POST("/api/v1/users", { body: { email: email.trim(), name: name.trim(), role, ...(invite ? { invite: true } : { password }) } }));
      toast("User added.");
      if (r.invite_url) setUrl(r.invite_url);
      else onDone();
    }, ["email", "name", "role", "password"])) { /* shown */ }
  };
  if (url) {
    return (
      <Modal title="Invitation" onClose={onDone} footer={<button type="button" className="btn btn-primary" onClick={onDone}>Done</button>}>
        <p>An invitation was mailed. The link, if you need to pass it on yourself:</p>
        <pre className="json">{url}</pre>
      </Modal>
    );
  }
  return (
    <Modal title="Add user" onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="user-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="user-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Email" error={f.errors.email}><input className="input" type="email" value={email} onChange={(e) => setEmail(e.target.value)} /></Field>
        <Field label="Name" error={f.errors.name}><input className="input" value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Role" error={f.errors.role}><select className="input" value={role} onChange={(e) => setRole(e.target.value as AccountRole)}>{ROLES.filter((r) => owner || r !== "owner").map((r) => <option key={r}>{r}</option>)}</select></Field>
        <Check label="Send an invitation (the user sets the password)" checked={invite} onChange={setInvite} />
        {!invite && <Field label="Password" error={f.errors.password} hint={passwordHint}><input className="input" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} /></Field>}
      </form>
    </Modal>
  );
}

function EditUser({ user, owner, onClose, onDone }: { user: User; owner: boolean; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(user.name);
  const [role, setRole] = useState<AccountRole>(user.role === "operator" ? "admin" : user.role);
  const [disabled, setDisabled] = useState(!!user.disabled);
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await f.run(async () => { await call(api.PATCH("/api/v1/users/{id}", { params: { path: { id: user.id } }, body: { name, role, disabled } })); }, ["name", "role", "disabled"])) {
      toast("User saved.");
      onDone();
    }
  };
  return (
    <Modal title={`Edit ${user.email}`} onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="euser-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="euser-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Name" error={f.errors.name}><input className="input" value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Role" error={f.errors.role}><select className="input" value={role} onChange={(e) => setRole(e.target.value as AccountRole)}>{ROLES.filter((r) => owner || r !== "owner").map((r) => <option key={r}>{r}</option>)}</select></Field>
        <Check label="Disabled (cannot log in)" checked={disabled} onChange={setDisabled} />
      </form>
    </Modal>
  );
}

export function APIKeysPage() {
  const fmt = useTime();
  const action = useAction();
  const keys = useLoad(() => call<{ api_keys: APIKey[] }>(api.GET("/api/v1/api-keys")).then((r) => r.api_keys ?? []), []);
  const [add, setAdd] = useState(false);
  const [shown, setShown] = useState<string>("");
  const rotate = (k: APIKey) =>
    action({
      ask: { title: "Rotate key", message: `Rotate "${k.name}"? The current key stops working at once; the new one is shown once.`, confirm: "Rotate" },
      run: () => call<{ api_key: string }>(api.POST("/api/v1/api-keys/{id}/rotate", { params: { path: { id: k.id } } })),
      after: (r) => {
        setShown(r.api_key);
        keys.reload();
      },
    });
  const revoke = (k: APIKey) =>
    action({
      ask: { title: "Revoke key", message: `Revoke "${k.name}"? Integrations using it stop working at once.`, confirm: "Revoke" },
      run: () => call(api.DELETE("/api/v1/api-keys/{id}", { params: { path: { id: k.id } } })),
      done: "Key revoked.",
      after: keys.reload,
    });
  return (
    <>
      <PageHead title="API keys" intro="Keys for integrations (the trigger API, uploads, reports). Each key has a role; the key itself is shown only once.">
        <button type="button" className="btn btn-primary" onClick={() => setAdd(true)}>Create key</button>
      </PageHead>
      <ErrorBox text={keys.error} />
      <DataTable caption="API keys" rows={keys.data ?? []} rowKey={(k) => k.id} search loading={keys.loading && !keys.data} columns={[
        { key: "name", label: "Name" },
        { key: "role", label: "Role" },
        { key: "prefix", label: "Key", render: (k) => <code>{k.prefix}…</code> },
        { key: "created_at", label: "Created", render: (k) => fmt(k.created_at) },
        { key: "last_used_at", label: "Last used", render: (k) => fmt(k.last_used_at) || "never" },
        { key: "a", label: "Actions", sortable: false, render: (k) => <div className="row-actions"><button type="button" className="btn btn-small" onClick={() => void rotate(k)} aria-label={`Rotate ${k.name}`}>Rotate</button><button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void revoke(k)} aria-label={`Revoke ${k.name}`}>Revoke</button></div> },
      ]} empty="No API keys." />
      {add && <AddKey onClose={() => setAdd(false)} onCreated={(k) => { setAdd(false); setShown(k); keys.reload(); }} />}
      {shown && (
        <Modal title="Your new API key" onClose={() => setShown("")} footer={<button type="button" className="btn btn-primary" onClick={() => setShown("")}>I have stored it</button>}>
          <p>Copy it now: it is not shown again.</p>
          <pre className="json" tabIndex={0}>{shown}</pre>
        </Modal>
      )}
    </>
  );
}

function AddKey({ onClose, onCreated }: { onClose: () => void; onCreated: (k: string) => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<AccountRole>("scheduler");
  const f = useForm();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return f.setErrors({ name: "Name the key after the integration that uses it." });
    let key = "";
    if (await f.run(async () => { key = (await call<{ api_key: string }>(api.POST("/api/v1/api-keys", { body: { name: name.trim(), role } }))).api_key; }, ["name", "role"])) onCreated(key);
  };
  return (
    <Modal title="Create key" onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="key-form" className="btn btn-primary" disabled={f.busy}>Create</button></>}>
      <form id="key-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Name" error={f.errors.name}><input className="input" value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Role" error={f.errors.role}><select className="input" value={role} onChange={(e) => setRole(e.target.value as AccountRole)}>{["scheduler", "supervisor", "admin"].map((r) => <option key={r}>{r}</option>)}</select></Field>
      </form>
    </Modal>
  );
}

export function SettingsPage() {
  const country = useLoad(() => call<{ country: string }>(api.GET("/api/v1/account/country")), []);
  const tz = useLoad(() => call<{ time_zone: string }>(api.GET("/api/v1/account/time-zone")), []);
  return (
    <>
      <PageHead title="Account settings" />
      <ErrorBox text={country.error || tz.error} />
      {tz.data && <TimeZoneForm initial={tz.data.time_zone} />}
      {country.data && <CountryForm initial={country.data.country} />}
      <TransactionalCard />
    </>
  );
}

/**
 * TransactionalCard shows the account's transactional messaging: only the
 * operator enables it (an extended contract); the account requests it here.
 */
function TransactionalCard() {
  const fmt = useTime();
  const action = useAction();
  const st = useLoad(() => call<TransactionalMessaging>(api.GET("/api/v1/account/transactional-messaging")), []);
  const request = () =>
    action({
      run: () => call<TransactionalMessaging>(api.POST("/api/v1/account/transactional-messaging/request")),
      done: "Requested: our operations team will send you the extended contract.",
      after: st.reload,
    });
  return (
    <section className="card narrow-card" aria-labelledby="txn">
      <h2 id="txn">Transactional messaging</h2>
      <ErrorBox text={st.error} />
      {st.data && (
        <>
          <p>
            {st.data.enabled ? (
              <>
                <Badge text="enabled" /> Flows marked transactional (Flows screen) have every version approved by our operations team; once approved their call lists are not DNC/NDNC scrubbed.
              </>
            ) : (
              <>
                Not enabled: all call lists are DNC/NDNC scrubbed (marketing traffic). It needs an extended contract, sent when you request it.
                {st.data.requested_at && <> You requested it {fmt(st.data.requested_at)}.</>}
              </>
            )}
          </p>
          {!st.data.enabled && (
            <button type="button" className="btn btn-primary" onClick={() => void request()}>
              {st.data.requested_at ? "Request again" : "Request transactional messaging"}
            </button>
          )}
        </>
      )}
    </section>
  );
}

/** zones: the IANA names the browser knows (suggestions only: the API decides). */
const zones: string[] = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];

function TimeZoneForm({ initial }: { initial: string }) {
  const { refresh } = useSession();
  const [tz, setTz] = useState(initial);
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!tz.trim()) return f.setErrors({ time_zone: "Enter a time zone such as Europe/Berlin or Asia/Kolkata." });
    let saved = "";
    if (await f.run(async () => { saved = (await call<{ time_zone: string }>(api.PUT("/api/v1/account/time-zone", { body: { time_zone: tz.trim() } }))).time_zone; }, ["time_zone"])) {
      setTz(saved);
      toast(`Time zone set to ${saved}.`);
      await refresh(); // every screen's times follow the new zone
    }
  };
  return (
    <form className="card narrow-card" onSubmit={submit} noValidate aria-labelledby="tz">
      <h2 id="tz">Time zone</h2>
      <FormError text={f.general} />
      <Field label="Time zone" error={f.errors.time_zone} hint="An IANA name such as Asia/Kolkata. Reports, the daily email report (12:05 AM), call-list start times written without an offset and the times on every screen use it.">
        <input className="input" list="tz-names" value={tz} autoComplete="off" spellCheck={false} onChange={(e) => setTz(e.target.value)} />
      </Field>
      <datalist id="tz-names">{zones.map((z) => <option key={z} value={z} />)}</datalist>
      <button type="submit" className="btn btn-primary" disabled={f.busy}>Save</button>
    </form>
  );
}

function CountryForm({ initial }: { initial: string }) {
  const [c, setC] = useState(initial);
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await f.run(async () => { await call(api.PUT("/api/v1/account/country", { body: { country: c.trim().toUpperCase() } })); }, ["country"])) toast("Country saved.");
  };
  return (
    <form className="card narrow-card" onSubmit={submit} noValidate aria-labelledby="cty">
      <h2 id="cty">Default country</h2>
      <FormError text={f.general} />
      <Field label="Country" error={f.errors.country} hint="ISO code such as IN or US: numbers written without a country code are read as this country's. Blank = numbers need their country code.">
        <input className="input" value={c} maxLength={2} onChange={(e) => setC(e.target.value)} />
      </Field>
      <button type="submit" className="btn btn-primary" disabled={f.busy}>Save</button>
    </form>
  );
}
