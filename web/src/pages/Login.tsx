import { useState, type FormEvent } from "react";
import { useSession } from "../session";
import { Field, FormError, useForm } from "../ui/Field";

export function Login() {
  const { login } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [accountId, setAccountId] = useState("");
  const [needAccount, setNeedAccount] = useState(false);
  const f = useForm();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!email.trim()) errs.email = "Enter your email address.";
    if (!password) errs.password = "Enter your password.";
    if (Object.keys(errs).length) {
      f.setErrors(errs);
      return;
    }
    await f.run(async () => {
      try {
        await login(email.trim(), password, accountId ? Number(accountId) : undefined);
      } catch (err) {
        if ((err as { field?: string }).field === "account_id") setNeedAccount(true);
        throw err;
      }
    }, ["email", "password", "account_id"]);
  };
  return (
    <div className="login-page">
      <form className="login-card" onSubmit={submit} noValidate aria-labelledby="login-title">
        <div className="brand brand-big">Switchyard</div>
        <h1 id="login-title">Log in</h1>
        <FormError text={f.general} />
        <Field label="Email" error={f.errors.email}>
          <input className="input" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        </Field>
        <Field label="Password" error={f.errors.password}>
          <input className="input" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        {needAccount && (
          <Field label="Account ID" error={f.errors.account_id} hint="This email belongs to several accounts: enter the account to log in to.">
            <input className="input" inputMode="numeric" value={accountId} onChange={(e) => setAccountId(e.target.value)} />
          </Field>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={f.busy}>
          {f.busy ? "Logging in…" : "Log in"}
        </button>
        <p className="login-foot">
          <a href="#/forgot">Forgot password?</a>
        </p>
      </form>
    </div>
  );
}
