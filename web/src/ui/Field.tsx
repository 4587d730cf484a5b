import { cloneElement, useCallback, useEffect, useId, useState, type ReactElement, type ReactNode } from "react";
import { ApiError } from "../api/client";

interface FieldProps {
  label: string;
  error?: string;
  hint?: ReactNode;
  children: ReactElement<Record<string, unknown>>;
  className?: string;
}

/** Field is a labelled control with its hint and its error text (announced, tied by aria-describedby). */
export function Field({ label, error, hint, children, className }: FieldProps) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const described = [hint ? hintId : "", error ? errId : ""].filter(Boolean).join(" ") || undefined;
  const control = cloneElement(children, {
    id,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": described,
  });
  return (
    <div className={`field${error ? " field-error" : ""}${className ? " " + className : ""}`}>
      <label htmlFor={id}>{label}</label>
      {control}
      {hint && (
        <div className="field-hint" id={hintId}>
          {hint}
        </div>
      )}
      {error && (
        <div className="field-err" id={errId} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** Check is a labelled checkbox. */
export function Check({ label, checked, onChange, disabled }: { label: string; checked: boolean; onChange: (v: boolean) => void; disabled?: boolean }) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} /> {label}
    </label>
  );
}

export interface FormState {
  errors: Record<string, string>;
  general: string;
  busy: boolean;
  /** run performs a submit: API errors naming a field land next to it, others above the form. */
  run: (fn: () => Promise<void>, known?: string[]) => Promise<boolean>;
  setErrors: (e: Record<string, string>) => void;
  reset: () => void;
}

/**
 * fieldCandidates are the form keys an API field name may land on, the
 * most precise first: "members[2].agent_id" → members[2].agent_id,
 * members[2], members.
 */
export function fieldCandidates(field: string): string[] {
  const out: string[] = [];
  let f = field;
  for (;;) {
    if (f && !out.includes(f)) out.push(f);
    const cut = Math.max(f.lastIndexOf("."), f.lastIndexOf("["));
    if (cut <= 0) break;
    f = f.slice(0, cut);
  }
  return out;
}

export function useForm(): FormState {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState("");
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (fn: () => Promise<void>, known?: string[]) => {
    setBusy(true);
    setErrors({});
    setGeneral("");
    try {
      await fn();
      return true;
    } catch (e) {
      if (e instanceof ApiError) {
        const cands = e.field ? fieldCandidates(e.field) : [];
        const f = known ? cands.find((c) => known.includes(c)) : cands[cands.length - 1];
        if (f) {
          setErrors({ [f]: e.message });
        } else {
          setGeneral(e.field ? `${e.field}: ${e.message}` : e.message);
        }
      } else {
        setGeneral(e instanceof Error ? e.message : String(e));
      }
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  // An error no field of the form shows (the form has no control for that
  // field) goes above the form: an error is never lost. Effects run once
  // the page shows the errors, so the field errors on screen are known.
  useEffect(() => {
    const onScreen = new Set([...document.querySelectorAll(".field-err")].map((e) => e.textContent ?? ""));
    const lost = Object.entries(errors).filter(([, m]) => !onScreen.has(m));
    if (lost.length === 0) return;
    setErrors((cur) => Object.fromEntries(Object.entries(cur).filter(([k]) => !lost.some(([l]) => l === k))));
    setGeneral((g) => [g, ...lost.map(([k, m]) => `${k}: ${m}`)].filter(Boolean).join(" "));
  }, [errors]);
  const reset = useCallback(() => {
    setErrors({});
    setGeneral("");
  }, []);
  return { errors, general, busy, run, setErrors, reset };
}

export function FormError({ text }: { text: string }) {
  if (!text) return null;
  return (
    <div className="alert alert-error" role="alert">
      {text}
    </div>
  );
}
