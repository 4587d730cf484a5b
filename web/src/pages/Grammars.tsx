import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { Grammar } from "../api/types";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field, FormError, useForm } from "../ui/Field";
import { useToast } from "../ui/Toast";
import { useAction } from "../ui/action";
import { ErrorBox, PageHead, useLoad, useTime } from "../util";
import { useSession } from "../session";

// The Grammar screen: the grammars the say widget of flows may name (the
// Sample English Grammar first, read-only), adding one from its JSON
// document, viewing one with a preview of what it says for a value.

const SAMPLE = "sample_english";
const KINDS = ["number", "digits", "alphabet", "date", "time"] as const;
const EXAMPLES: Record<string, string> = { number: "1,000,001", digits: "0042", alphabet: "AbZ", date: "2026-03-15", time: "21:30" };

export function GrammarsPage() {
  const fmt = useTime();
  const action = useAction();
  const { can } = useSession();
  const admin = can("admin");
  const list = useLoad(() => call<{ grammars: Grammar[] }>(api.GET("/api/v1/grammars")).then((r) => r.grammars ?? []), []);
  const [view, setView] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const remove = (g: Grammar) =>
    void action({
      ask: { title: "Confirm removal", message: `Remove grammar ${g.name}? Flows that name it fail at their say widget.`, confirm: "Remove" },
      run: () => call(api.DELETE("/api/v1/grammars/{name}", { params: { path: { name: g.name } } })),
      done: `Grammar ${g.name} removed.`,
      after: list.reload,
    });
  return (
    <>
      <PageHead title="Grammar" intro="Grammars say numbers, digits, alphabets, dates and times from prompt segments in a language, when flows announce with prompts rather than text-to-speech. The say widget of a flow names the grammar (the Sample English Grammar by default).">
        {admin && <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>Add New Grammar</button>}
      </PageHead>
      <ErrorBox text={list.error} />
      <DataTable
        caption="Grammars"
        rows={list.data ?? []}
        rowKey={(g) => g.name}
        loading={list.loading && !list.data}
        columns={[
          { key: "name", label: "Name", value: (g) => g.title ?? g.name },
          { key: "language", label: "Language" },
          { key: "description", label: "Description", value: (g) => g.description ?? "" },
          { key: "created_by", label: "Added by", value: (g) => (g.sample ? "Switchyard (read-only)" : g.created_by ?? "") },
          { key: "created_at", label: "Added", render: (g) => (g.created_at ? fmt(g.created_at) : "") },
          {
            key: "a",
            label: "Actions",
            sortable: false,
            render: (g) => (
              <div className="row-actions">
                <button type="button" className="btn btn-small" aria-label={`View ${g.title ?? g.name}`} onClick={() => setView(g.name)}>View</button>
                {admin && !g.sample && <button type="button" className="btn btn-small btn-ghost-danger" aria-label={`Delete ${g.name}`} onClick={() => remove(g)}>Delete</button>}
              </div>
            ),
          },
        ]}
        empty="No grammars."
      />
      {view && <GrammarView name={view} onClose={() => setView(null)} />}
      {adding && <GrammarForm onClose={() => setAdding(false)} onSaved={() => { setAdding(false); list.reload(); }} />}
    </>
  );
}

function GrammarView({ name, onClose }: { name: string; onClose: () => void }) {
  const g = useLoad(() => call<Grammar>(api.GET("/api/v1/grammars/{name}", { params: { path: { name } } })), [name]);
  const [kind, setKind] = useState<string>("date");
  const [value, setValue] = useState(EXAMPLES.date);
  const [items, setItems] = useState<string[] | null>(null);
  const f = useForm();
  const say = async (e: FormEvent) => {
    e.preventDefault();
    setItems(null);
    await f.run(async () => {
      const r = await call<{ items: string[] }>(api.POST("/api/v1/grammars/{name}/say", { params: { path: { name } }, body: { type: kind as (typeof KINDS)[number], value } }));
      setItems(r.items);
    }, ["type", "value"]);
  };
  return (
    <Modal title={g.data?.title ?? name} onClose={onClose} wide footer={<button type="button" className="btn" onClick={onClose}>Close</button>}>
      <ErrorBox text={g.error} />
      {g.data && (
        <>
          <p className="muted">Language {g.data.language}{g.data.sample ? " — shipped with Switchyard, read-only; copy its document to make your own." : ""}</p>
          <form className="filters" onSubmit={say} noValidate aria-label="Try the grammar">
            <Field label="Type" error={f.errors.type}>
              <select className="input" value={kind} onChange={(e) => { setKind(e.target.value); setValue(EXAMPLES[e.target.value] ?? ""); setItems(null); }}>{KINDS.map((k) => <option key={k}>{k}</option>)}</select>
            </Field>
            <Field label="Value" error={f.errors.value}><input className="input" value={value} onChange={(e) => setValue(e.target.value)} /></Field>
            <div className="filter-actions"><button type="submit" className="btn btn-primary" disabled={f.busy}>Say</button></div>
          </form>
          <FormError text={f.general} />
          {items && <p role="status" aria-label="Segments said" className="mono">{items.join(" · ")}</p>}
          <Field label="Grammar document"><textarea className="input mono" rows={18} readOnly value={JSON.stringify(g.data.document, null, 2)} /></Field>
        </>
      )}
    </Modal>
  );
}

function GrammarForm({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const sample = useLoad(() => call<Grammar>(api.GET("/api/v1/grammars/{name}", { params: { path: { name: SAMPLE } } })), []);
  const [name, setName] = useState("");
  const [language, setLanguage] = useState("");
  const [doc, setDoc] = useState<string | null>(null);
  const f = useForm();
  const toast = useToast();
  const text = doc ?? (sample.data ? JSON.stringify({ ...sample.data.document, description: "" }, null, 2) : "");
  const load = (file: File | undefined) => {
    if (!file) return;
    void file.text().then((t) => setDoc(t));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!/^[A-Za-z0-9_]{1,64}$/.test(name.trim())) errs.name = "Name it with letters, digits and underscores (up to 64).";
    let parsed: Record<string, unknown> | null = null;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      errs.document = "The grammar document is not JSON.";
    }
    if (Object.keys(errs).length || !parsed) return f.setErrors(errs);
    if (language.trim()) parsed.language = language.trim();
    if (await f.run(async () => { await call(api.POST("/api/v1/grammars", { body: { name: name.trim(), document: parsed as Record<string, never> } })); }, ["name", "document"])) {
      toast(`Grammar ${name.trim()} added.`);
      onSaved();
    }
  };
  return (
    <Modal title="Add New Grammar" onClose={onClose} wide footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="gr-form" className="btn btn-primary" disabled={f.busy}>Save</button></>}>
      <form id="gr-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <ErrorBox text={sample.error} />
        <div className="grid2">
          <Field label="Name" error={f.errors.name}><input className="input" value={name} onChange={(e) => setName(e.target.value)} /></Field>
          <Field label="Language" hint="e.g. en, en-GB, hi (replaces the document's language)"><input className="input" value={language} onChange={(e) => setLanguage(e.target.value)} /></Field>
        </div>
        <Field label="Upload a grammar file (JSON)"><input className="input" type="file" accept=".json,application/json" onChange={(e) => load(e.target.files?.[0])} /></Field>
        <Field label="Grammar document" error={f.errors.document} hint="The segments (sound:<name> or prompt:<name>) of the digits, numbers, scales, ordinals, months, weekdays, letters and words, and the order rules. Starts from the Sample English Grammar.">
          <textarea className="input mono" rows={18} value={text} onChange={(e) => setDoc(e.target.value)} />
        </Field>
      </form>
    </Modal>
  );
}
