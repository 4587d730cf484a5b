import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { OperatorAccount } from "../api/types";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Check, Field, FormError, useForm } from "../ui/Field";
import { useAction } from "../ui/action";
import { useToast } from "../ui/Toast";
import { Badge, ErrorBox, PageHead, useLoad, useTime } from "../util";

/**
 * OperatorAccountsPage is the operator's screen (our support team): every
 * account, enabling and disabling one (asked first), switching its
 * transactional messaging (the extended contract; asked first), and per
 * account the reports it may download and what its webhooks may reach.
 */
export function OperatorAccountsPage() {
  const fmt = useTime();
  const action = useAction();
  const list = useLoad(() => call<{ accounts: OperatorAccount[] }>(api.GET("/api/v1/operator/accounts")).then((r) => r.accounts ?? []), []);
  const [manage, setManage] = useState<OperatorAccount | null>(null);
  const [add, setAdd] = useState(false);
  const setDisabled = (a: OperatorAccount, disabled: boolean) =>
    action({
      ask: disabled
        ? {
            title: "Disable account",
            message: `Disable "${a.name}"? Its users are logged out and cannot log in, its API keys stop working and its dialing stops, until you enable it again.`,
            confirm: "Disable account",
            cancel: "Keep it enabled",
          }
        : undefined,
      run: () => call(api.PATCH("/api/v1/operator/accounts/{id}", { params: { path: { id: a.id } }, body: { disabled } })),
      done: `Account "${a.name}" ${disabled ? "disabled" : "enabled"}.`,
      after: list.reload,
    });
  const setTransactional = (a: OperatorAccount, on: boolean) =>
    action({
      ask: on
        ? {
            title: "Enable transactional messaging",
            message: `Enable transactional messaging for "${a.name}"? Do this once its extended contract is signed. Its flows can then be marked transactional; each version you approve goes live and its call lists are not DNC/NDNC scrubbed.`,
            confirm: "Enable transactional messaging",
            cancel: "Not yet",
            danger: false,
          }
        : {
            title: "Disable transactional messaging",
            message: `Disable transactional messaging for "${a.name}"? From now on all its call lists are DNC/NDNC scrubbed again, approved transactional flows included (their approvals are kept).`,
            confirm: "Disable transactional messaging",
            cancel: "Keep it enabled",
          },
      run: () => call(api.PATCH("/api/v1/operator/accounts/{id}", { params: { path: { id: a.id } }, body: { transactional_messaging: on } })),
      done: `Transactional messaging ${on ? "enabled" : "disabled"} for "${a.name}".`,
      after: list.reload,
    });
  const txnState = (a: OperatorAccount) => (a.transactional_messaging ? "enabled" : a.transactional_requested_at ? "requested" : "off");
  return (
    <>
      <PageHead title="Accounts" intro="Every account of this installation: enable or disable it, switch its transactional messaging (extended contract), and choose the reports it may download and what its webhooks may reach.">
        <button type="button" className="btn btn-primary" onClick={() => setAdd(true)}>Add account</button>
      </PageHead>
      <ErrorBox text={list.error} />
      <DataTable
        caption="Accounts"
        rows={list.data ?? []}
        rowKey={(a) => a.id}
        search
        loading={list.loading && !list.data}
        initialSort={{ key: "id", dir: "asc" }}
        columns={[
          { key: "id", label: "ID", className: "num" },
          { key: "name", label: "Name" },
          { key: "time_zone", label: "Time zone" },
          { key: "country", label: "Country" },
          { key: "disabled", label: "Status", value: (a) => (a.disabled ? "disabled" : "active"), render: (a) => <Badge text={a.disabled ? "disabled" : "active"} /> },
          {
            key: "transactional_messaging",
            label: "Transactional",
            value: txnState,
            render: (a) =>
              txnState(a) === "off" ? (
                <span className="muted">off</span>
              ) : (
                <span title={a.transactional_requested_at ? `requested ${fmt(a.transactional_requested_at)}` : undefined}>
                  <Badge text={txnState(a)} />
                  {txnState(a) === "requested" && a.transactional_requested_at && <span className="muted"> {fmt(a.transactional_requested_at)}</span>}
                </span>
              ),
          },
          { key: "created_at", label: "Created", render: (a) => fmt(a.created_at) },
          {
            key: "actions",
            label: "Actions",
            sortable: false,
            render: (a) => (
              <div className="row-actions">
                <button type="button" className="btn btn-small" onClick={() => setManage(a)} aria-label={`Manage ${a.name}`}>Manage</button>
                {a.transactional_messaging ? (
                  <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void setTransactional(a, false)} aria-label={`Disable transactional messaging for ${a.name}`}>Transactional off</button>
                ) : (
                  <button type="button" className="btn btn-small" onClick={() => void setTransactional(a, true)} aria-label={`Enable transactional messaging for ${a.name}`}>Transactional on</button>
                )}
                {a.disabled ? (
                  <button type="button" className="btn btn-small btn-primary" onClick={() => void setDisabled(a, false)} aria-label={`Enable ${a.name}`}>Enable</button>
                ) : (
                  <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void setDisabled(a, true)} aria-label={`Disable ${a.name}`}>Disable</button>
                )}
              </div>
            ),
          },
        ]}
        empty="No accounts yet."
      />
      {manage && <ManageAccount id={manage.id} name={manage.name} onClose={() => setManage(null)} onSaved={() => { setManage(null); list.reload(); }} />}
      {add && <AddAccount onClose={() => setAdd(false)} onDone={() => { setAdd(false); list.reload(); }} />}
    </>
  );
}

function ManageAccount({ id, name, onClose, onSaved }: { id: number; name: string; onClose: () => void; onSaved: () => void }) {
  const acc = useLoad(() => call<OperatorAccount>(api.GET("/api/v1/operator/accounts/{id}", { params: { path: { id } } })), [id]);
  return (
    <Modal
      title={`Account "${name}"`}
      onClose={onClose}
      wide
      footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="op-account-form" className="btn btn-primary" disabled={!acc.data}>Save</button></>}
    >
      <ErrorBox text={acc.error} />
      {acc.data && <ManageForm acc={acc.data} onSaved={onSaved} />}
    </Modal>
  );
}

function ManageForm({ acc, onSaved }: { acc: OperatorAccount; onSaved: () => void }) {
  const toast = useToast();
  const f = useForm();
  const [reports, setReports] = useState<Record<string, boolean>>(() => Object.fromEntries((acc.available_reports ?? acc.reports).map((r) => [r, acc.reports.includes(r)])));
  const [allowHTTP, setAllowHTTP] = useState(!!acc.http_policy?.allow_http);
  const [networks, setNetworks] = useState((acc.http_policy?.networks ?? []).join("\n"));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const nets = networks.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
    if (await f.run(async () => { await call(api.PATCH("/api/v1/operator/accounts/{id}", { params: { path: { id: acc.id } }, body: { reports, http_policy: { allow_http: allowHTTP, networks: nets } } })); }, ["reports", "http_policy", "http_policy.networks"])) {
      toast(`Account "${acc.name}" saved.`);
      onSaved();
    }
  };
  return (
    <form id="op-account-form" onSubmit={submit} noValidate>
      <FormError text={f.general} />
      <p className="muted">
        Account holder{(acc.owners ?? []).length === 1 ? "" : "s"}: {(acc.owners ?? []).join(", ") || "none"} · time zone {acc.time_zone || "UTC"}
        {acc.country ? ` · country ${acc.country}` : ""}
      </p>
      <fieldset className="fieldset">
        <legend>Reports enabled</legend>
        {f.errors.reports && <div className="field-err" role="alert">{f.errors.reports}</div>}
        <div className="checklist" role="group" aria-label="Reports enabled">
          {Object.keys(reports).map((r) => (
            <Check key={r} label={r} checked={reports[r]} onChange={(on) => setReports((cur) => ({ ...cur, [r]: on }))} />
          ))}
        </div>
      </fieldset>
      <fieldset className="fieldset">
        <legend>Webhooks (HTTP and network policy)</legend>
        <Check label="Allow plain http:// webhooks" checked={allowHTTP} onChange={setAllowHTTP} />
        <Field label="Private networks the webhooks may reach" error={f.errors["http_policy.networks"] || f.errors.http_policy} hint="Loopback, private or link-local networks in CIDR form (e.g. 10.1.0.0/16), one per line. Empty = public addresses only.">
          <textarea className="input mono" rows={3} value={networks} onChange={(e) => setNetworks(e.target.value)} />
        </Field>
      </fieldset>
    </form>
  );
}

function AddAccount({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [url, setUrl] = useState("");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = "Name the account.";
    if (!email.trim()) errs.owner_email = "Enter the account holder's email.";
    if (Object.keys(errs).length) return f.setErrors(errs);
    let invite = "";
    if (await f.run(async () => {
      const r = await call<{ invite_url?: string }>(api.POST("/api/v1/operator/accounts", { body: { name: name.trim(), owner_email: email.trim(), ...(password ? { owner_password: password } : {}) } }));
      invite = r.invite_url ?? "";
    }, ["name", "owner_email", "owner_password"])) {
      toast("Account created.");
      if (invite) setUrl(invite);
      else onDone();
    }
  };
  if (url) {
    return (
      <Modal title="Invitation" onClose={onDone} footer={<button type="button" className="btn btn-primary" onClick={onDone}>Done</button>}>
        <p>The account holder was invited by mail. The link, if you need to pass it on yourself:</p>
        <pre className="json">{url}</pre>
      </Modal>
    );
  }
  return (
    <Modal title="Add account" onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="op-add-form" className="btn btn-primary" disabled={f.busy}>Create</button></>}>
      <form id="op-add-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Account name" error={f.errors.name}><input className="input" value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Account holder's email" error={f.errors.owner_email}><input className="input" type="email" value={email} onChange={(e) => setEmail(e.target.value)} /></Field>
        <Field label="Password" error={f.errors.owner_password} hint="Blank: the account holder gets an invitation to choose one.">
          <input className="input" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
      </form>
    </Modal>
  );
}
