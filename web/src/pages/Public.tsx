// The pages a person opens without a session: "Forgot password?", and the
// links of the password-reset and invitation mails
// (<console>/#/reset?token=… and <console>/#/invite?token=…).
import { useState, type FormEvent, type ReactNode } from "react";
import { api, ApiError, call } from "../api/client";
import type { Session } from "../api/types";
import { navigate, useRoute } from "../router";
import { useSession } from "../session";
import { Field, FormError, useForm } from "../ui/Field";
import { passwordHint, passwordProblem } from "../password";

/** publicPages are shown whether or not someone is logged in. */
export const publicPages: Record<string, () => ReactNode> = {
  "/forgot": () => <ForgotPassword />,
  "/reset": () => <ResetPassword />,
  "/invite": () => <AcceptInvite />,
};

/** badLink: the API refused the token itself (unknown, expired or used), not a field. */
function badLink(e: unknown): boolean {
  return e instanceof ApiError && e.status === 422 && !e.field;
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="login-page">
      <div className="login-card" role="region" aria-labelledby="public-title">
        <div className="brand brand-big">Switchyard</div>
        <h1 id="public-title">{title}</h1>
        {children}
      </div>
    </div>
  );
}

function ToLogin({ text = "Back to log in" }: { text?: string }) {
  return (
    <p className="login-foot">
      <a href="#/">{text}</a>
    </p>
  );
}

/** ForgotPassword asks for the email and always answers the same, so it does not tell who has an account. */
function ForgotPassword() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState("");
  const f = useForm();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const v = email.trim();
    if (!v || !v.includes("@")) {
      f.setErrors({ email: "Enter the email address you log in with." });
      return;
    }
    if (await f.run(() => call(api.POST("/api/v1/auth/password-reset", { body: { email: v } })), ["email"])) setSent(v);
  };
  if (sent) {
    return (
      <Card title="Check your mail">
        <p role="status">
          If <strong>{sent}</strong> belongs to a Switchyard user, a mail with a link to choose a new password is on its way. The link works once, for one hour.
        </p>
        <p className="muted small">No mail after a few minutes? Look in the spam folder, check the address, or ask an administrator of your account.</p>
        <ToLogin />
      </Card>
    );
  }
  return (
    <Card title="Forgot your password?">
      <form onSubmit={submit} noValidate>
        <p className="muted">Enter the email address you log in with: we mail you a link to choose a new password.</p>
        <FormError text={f.general} />
        <Field label="Email" error={f.errors.email}>
          <input className="input" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        </Field>
        <button type="submit" className="btn btn-primary btn-block" disabled={f.busy}>
          {f.busy ? "Sending…" : "Send the link"}
        </button>
      </form>
      <ToLogin />
    </Card>
  );
}

/** usePasswordPair is the "password twice" pair of fields with the policy checked before sending. */
function usePasswordPair() {
  const [pw, setPw] = useState("");
  const [again, setAgain] = useState("");
  const check = (): Record<string, string> => {
    const errs: Record<string, string> = {};
    const p = passwordProblem(pw);
    if (p) errs.password = p;
    else if (pw !== again) errs.password_again = "The two passwords differ.";
    return errs;
  };
  return { pw, setPw, again, setAgain, check };
}

function PasswordFields({ p, errors, focus }: { p: ReturnType<typeof usePasswordPair>; errors: Record<string, string>; focus?: boolean }) {
  return (
    <>
      <Field label="New password" error={errors.password} hint={passwordHint}>
        <input className="input" type="password" autoComplete="new-password" value={p.pw} onChange={(e) => p.setPw(e.target.value)} autoFocus={focus} />
      </Field>
      <Field label="New password again" error={errors.password_again}>
        <input className="input" type="password" autoComplete="new-password" value={p.again} onChange={(e) => p.setAgain(e.target.value)} />
      </Field>
    </>
  );
}

function ResetPassword() {
  const token = useRoute().query.get("token") ?? "";
  const p = usePasswordPair();
  const [done, setDone] = useState(false);
  const [expired, setExpired] = useState(!token);
  const f = useForm();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs = p.check();
    if (Object.keys(errs).length) {
      f.setErrors(errs);
      return;
    }
    await f.run(async () => {
      try {
        await call(api.POST("/api/v1/auth/password-reset/confirm", { body: { token, password: p.pw } }));
        setDone(true);
      } catch (err) {
        if (badLink(err)) {
          setExpired(true);
          return;
        }
        throw err;
      }
    }, ["password"]);
  };
  if (expired) {
    return (
      <Card title="This link no longer works">
        <div className="alert alert-error" role="alert">
          The password-reset link is invalid, has expired (it works for one hour) or was already used.
        </div>
        <p>
          <a className="btn btn-primary" href="#/forgot">
            Send me a new link
          </a>
        </p>
        <ToLogin />
      </Card>
    );
  }
  if (done) {
    return (
      <Card title="Password changed">
        <p role="status">Your new password is set; every session opened with the old one has ended.</p>
        <p>
          <button type="button" className="btn btn-primary btn-block" onClick={() => navigate("/")}>
            Log in with the new password
          </button>
        </p>
      </Card>
    );
  }
  return (
    <Card title="Choose a new password">
      <form onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <PasswordFields p={p} errors={f.errors} focus />
        <button type="submit" className="btn btn-primary btn-block" disabled={f.busy}>
          {f.busy ? "Saving…" : "Set the password"}
        </button>
      </form>
      <ToLogin />
    </Card>
  );
}

function AcceptInvite() {
  const token = useRoute().query.get("token") ?? "";
  const { adopt } = useSession();
  const [name, setName] = useState("");
  const p = usePasswordPair();
  const [expired, setExpired] = useState(!token);
  const f = useForm();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs = p.check();
    if (name.length > 200) errs.name = "Use at most 200 characters.";
    if (Object.keys(errs).length) {
      f.setErrors(errs);
      return;
    }
    await f.run(async () => {
      try {
        const s = await call<Session>(api.POST("/api/v1/auth/invite/accept", { body: { token, name: name.trim(), password: p.pw } }));
        adopt(s);
        navigate("/");
      } catch (err) {
        if (badLink(err)) {
          setExpired(true);
          return;
        }
        if (err instanceof ApiError && err.status === 403) {
          // The user was disabled after the invitation was sent.
          throw new ApiError(403, err.code, "Your access was turned off after the invitation was sent: ask an administrator of the account.");
        }
        throw err;
      }
    }, ["name", "password"]);
  };
  if (expired) {
    return (
      <Card title="This invitation no longer works">
        <div className="alert alert-error" role="alert">
          The invitation link is invalid, has expired (it works for seven days) or was already used.
        </div>
        <p>If you already set your password with it, log in. Otherwise ask the person who invited you to send a new invitation.</p>
        <ToLogin text="Go to log in" />
      </Card>
    );
  }
  return (
    <Card title="Welcome to Switchyard">
      <form onSubmit={submit} noValidate>
        <p className="muted">You were invited to a Switchyard account. Tell us your name and choose a password to start.</p>
        <FormError text={f.general} />
        <Field label="Your name" error={f.errors.name}>
          <input className="input" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} autoFocus />
        </Field>
        <PasswordFields p={p} errors={f.errors} />
        <button type="submit" className="btn btn-primary btn-block" disabled={f.busy}>
          {f.busy ? "Starting…" : "Set the password and start"}
        </button>
      </form>
      <ToLogin text="I already have a password" />
    </Card>
  );
}
