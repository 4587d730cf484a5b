import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { AccessEntry } from "../api/types";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field, FormError, useForm } from "../ui/Field";
import { useConfirm } from "../ui/Confirm";
import { useToast } from "../ui/Toast";
import { ErrorBox, PageHead, useLoad, useTime } from "../util";

type List = "white" | "black";
type Kind = AccessEntry["kind"];

const SECTION: Record<Kind, { title: string; add: string; label: string; placeholder: string; intro: Record<List, string> }> = {
  phone: {
    title: "Phone Numbers",
    add: "Add number",
    label: "Phone number",
    placeholder: "+919876543210",
    intro: {
      white: "Numbers for testing flows before they are live; at most 10, each verified by an OTP call. NDNC scrubbing is not performed on them.",
      black: "Every call to or from a blacklisted number, inbound or outbound, is blocked.",
    },
  },
  email: {
    title: "Email ID",
    add: "Add Email",
    label: "Email ID",
    placeholder: "help@example.com",
    intro: {
      white: "Whitelisted Email IDs can upload call lists by email and receive status emails.",
      black: "No mail is sent to a blacklisted Email ID and no request is accepted from it.",
    },
  },
  ipv4: {
    title: "IP Address",
    add: "Add IP",
    label: "IP address",
    placeholder: "203.0.113.7",
    intro: { white: "API calls to the trigger webservice are accepted from whitelisted IPv4 addresses only.", black: "" },
  },
  domain: {
    title: "Domain",
    add: "Add Domain",
    label: "Domain",
    placeholder: "example.com",
    intro: { white: "Optional: once a domain is whitelisted, API requests from every other domain get 403 Forbidden.", black: "" },
  },
};

export function WhitelistPage() {
  return (
    <>
      <PageHead title="Whitelist" intro="Phone numbers, Email IDs, IP addresses and domains trusted by the account." />
      {(["phone", "email", "ipv4", "domain"] as Kind[]).map((k) => (
        <Section key={k} list="white" kind={k} />
      ))}
    </>
  );
}

export function BlacklistPage() {
  return (
    <>
      <PageHead title="Blacklist" intro="Blocked phone numbers and Email IDs." />
      {(["phone", "email"] as Kind[]).map((k) => (
        <Section key={k} list="black" kind={k} />
      ))}
    </>
  );
}

function Section({ list, kind }: { list: List; kind: Kind }) {
  const fmt = useTime();
  const toast = useToast();
  const confirm = useConfirm();
  const s = SECTION[kind];
  const [adding, setAdding] = useState(false);
  const entries = useLoad(() => call<{ entries: AccessEntry[] }>(api.GET("/api/v1/calllists/access-lists", { params: { query: { list, kind } } })).then((r) => r.entries ?? []), [list, kind]);
  const remove = async (e: AccessEntry) => {
    if (!(await confirm({ title: `Remove ${s.label.toLowerCase()}`, message: `Remove ${e.value} from the ${list === "white" ? "whitelist" : "blacklist"}?`, confirm: "Remove" }))) return;
    try {
      await call(api.DELETE("/api/v1/calllists/access-lists/{id}", { params: { path: { id: e.id } } }));
      toast(`${e.value} removed.`);
      entries.reload();
    } catch (err) {
      toast((err as Error).message, "error");
    }
  };
  const headingId = `${list}-${kind}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h2 id={headingId}>{s.title}</h2>
        <button type="button" className="btn" onClick={() => setAdding(true)}>
          {s.add}
        </button>
      </div>
      {s.intro[list] && <p className="muted">{s.intro[list]}</p>}
      <ErrorBox text={entries.error} />
      <DataTable
        caption={`${list === "white" ? "Whitelisted" : "Blacklisted"} ${s.title}`}
        rows={entries.data ?? []}
        rowKey={(e) => e.id}
        loading={entries.loading && !entries.data}
        search={(entries.data?.length ?? 0) > 10}
        columns={[
          { key: "value", label: s.label },
          ...(list === "white" && kind === "phone" ? [{ key: "verified_at", label: "Verified", render: (e: AccessEntry) => fmt(e.verified_at) || "not verified" }] : []),
          { key: "created_at", label: "Added", render: (e) => fmt(e.created_at) },
          { key: "rm", label: "Remove", sortable: false, render: (e) => <button type="button" className="link danger" aria-label={`Remove ${e.value}`} onClick={() => void remove(e)}>Remove</button> },
        ]}
        empty={`No ${s.title.toLowerCase()} yet.`}
      />
      {adding && (list === "white" && kind === "phone" ? <PhoneOTP onClose={() => setAdding(false)} onDone={() => { setAdding(false); entries.reload(); }} /> : <AddEntry list={list} kind={kind} onClose={() => setAdding(false)} onDone={() => { setAdding(false); entries.reload(); }} />)}
    </section>
  );
}

function AddEntry({ list, kind, onClose, onDone }: { list: List; kind: Kind; onClose: () => void; onDone: () => void }) {
  const s = SECTION[kind];
  const [value, setValue] = useState("");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!value.trim()) return f.setErrors({ value: `Enter the ${s.label.toLowerCase()}.` });
    if (await f.run(async () => { await call(api.POST("/api/v1/calllists/access-lists", { body: { list, kind, value: value.trim() } })); }, ["value"])) {
      toast(`${value.trim()} added.`);
      onDone();
    }
  };
  return (
    <Modal title={s.add} onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="entry-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="entry-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label={s.label} error={f.errors.value}>
          <input className="input" value={value} placeholder={s.placeholder} onChange={(e) => setValue(e.target.value)} type={kind === "email" ? "email" : "text"} />
        </Field>
      </form>
    </Modal>
  );
}

function PhoneOTP({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [type, setType] = useState("mobile");
  const [value, setValue] = useState("");
  const [otp, setOtp] = useState("");
  const [sent, setSent] = useState(false);
  const f = useForm();
  const toast = useToast();
  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!value.trim()) return f.setErrors({ value: "Enter the phone number." });
    if (await f.run(async () => { await call(api.POST("/api/v1/calllists/access-lists/phone-otp", { body: { value: value.trim() } })); }, ["value"])) {
      setSent(true);
      toast("The OTP is being read out on a call to the number (valid 10 minutes).", "info");
    }
  };
  const verify = async (e: FormEvent) => {
    e.preventDefault();
    if (!otp.trim()) return f.setErrors({ otp: "Enter the OTP heard on the call." });
    if (await f.run(async () => { await call(api.POST("/api/v1/calllists/access-lists/phone-verify", { body: { value: value.trim(), otp: otp.trim() } })); }, ["value", "otp"])) {
      toast(`${value.trim()} whitelisted.`);
      onDone();
    }
  };
  return (
    <Modal title="Add number" onClose={onClose}>
      <FormError text={f.general} />
      {!sent ? (
        <form onSubmit={send} noValidate>
          <Field label="Type of number">
            <select className="input" value={type} onChange={(e) => setType(e.target.value)}>
              <option value="mobile">Mobile</option>
              <option value="landline">Landline</option>
            </select>
          </Field>
          <Field label="Phone number" error={f.errors.value} hint="With the country code, e.g. +919876543210.">
            <input className="input" inputMode="tel" value={value} onChange={(e) => setValue(e.target.value)} />
          </Field>
          <button type="submit" className="btn btn-primary" disabled={f.busy}>Send OTP</button>
        </form>
      ) : (
        <form onSubmit={verify} noValidate>
          <p>An OTP call goes to <strong>{value}</strong>. Enter the 6 digits you hear.</p>
          <Field label="OTP" error={f.errors.otp}>
            <input className="input" inputMode="numeric" autoComplete="one-time-code" maxLength={6} value={otp} onChange={(e) => setOtp(e.target.value)} />
          </Field>
          <div className="row-actions">
            <button type="button" className="btn" onClick={() => setSent(false)}>Change number</button>
            <button type="submit" className="btn btn-primary" disabled={f.busy}>Verify</button>
          </div>
        </form>
      )}
    </Modal>
  );
}
