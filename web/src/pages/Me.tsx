import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import { useSession } from "../session";
import { Field, FormError, useForm } from "../ui/Field";
import { useToast } from "../ui/Toast";
import { PageHead } from "../util";
import { passwordHint, passwordProblem } from "../password";

export function MePage() {
  const { session } = useSession();
  const [cur, setCur] = useState("");
  const [next, setNext] = useState("");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!cur) errs.current_password = "Enter your current password.";
    const bad = passwordProblem(next);
    if (bad) errs.new_password = bad;
    if (Object.keys(errs).length) return f.setErrors(errs);
    if (await f.run(async () => { await call(api.POST("/api/v1/auth/password", { body: { current_password: cur, new_password: next } })); }, ["current_password", "new_password"])) {
      toast("Password changed; your other sessions were logged out.");
      setCur("");
      setNext("");
    }
  };
  const u = session!.user;
  return (
    <>
      <PageHead title="My profile" />
      <section className="card">
        <dl className="facts">
          <dt>Name</dt>
          <dd>{u.name}</dd>
          <dt>Email</dt>
          <dd>{u.email}</dd>
          <dt>Role</dt>
          <dd>{u.role}</dd>
          {session!.account && (
            <>
              <dt>Account</dt>
              <dd>{session!.account.name} ({session!.account.id})</dd>
              <dt>Time zone</dt>
              <dd>{session!.account.time_zone}</dd>
            </>
          )}
        </dl>
      </section>
      <section className="card" aria-labelledby="pw">
        <h2 id="pw">Change password</h2>
        <form onSubmit={submit} noValidate className="narrow">
          <FormError text={f.general} />
          <Field label="Current password" error={f.errors.current_password}>
            <input className="input" type="password" autoComplete="current-password" value={cur} onChange={(e) => setCur(e.target.value)} />
          </Field>
          <Field label="New password" error={f.errors.new_password} hint={passwordHint}>
            <input className="input" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
          </Field>
          <button type="submit" className="btn btn-primary" disabled={f.busy}>Change password</button>
        </form>
      </section>
    </>
  );
}
