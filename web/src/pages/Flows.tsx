import { useState, type FormEvent } from "react";
import { api, call, href } from "../api/client";
import type { Flow, FlowVersion, Problem } from "../api/types";
import { DataTable, type Column } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field, FormError, useForm } from "../ui/Field";
import { useConfirm } from "../ui/Confirm";
import { useToast } from "../ui/Toast";
import { ErrorBox, PageHead, useLoad, useTime } from "../util";
import { FLOW_TYPE_LABEL, listFlows } from "./flowsCache";
import { useSession } from "../session";

export function FlowsPage() {
  const fmt = useTime();
  const toast = useToast();
  const confirm = useConfirm();
  const { can } = useSession();
  const admin = can("admin");
  const flows = useLoad(listFlows, []);
  const [versions, setVersions] = useState<Flow | null>(null);
  const [problems, setProblems] = useState<{ flow: Flow; problems: Problem[] } | null>(null);
  const [create, setCreate] = useState(false);
  const publish = async (fl: Flow) => {
    if (!(await confirm({ title: "Publish flow", message: `Publish the draft of "${fl.name}" as version ${fl.published_version + 1}? New calls run it; calls in progress keep their version.`, confirm: "Publish", danger: false }))) return;
    try {
      const r = await call<{ version: number; warnings?: { message: string }[] }>(api.POST("/api/v1/flows/{id}/publish", { params: { path: { id: fl.id } } }));
      toast(`Published "${fl.name}" version ${r.version}.${r.warnings?.length ? ` ${r.warnings.length} warning(s): ${r.warnings.map((w) => w.message).join("; ")}` : ""}`);
      flows.reload();
    } catch (e) {
      const body = (e as { body?: { problems?: Problem[] } }).body;
      if (body?.problems?.length) setProblems({ flow: fl, problems: body.problems });
      else toast((e as Error).message, "error");
    }
  };
  const remove = async (fl: Flow) => {
    if (!(await confirm({ title: "Delete flow", message: `Delete "${fl.name}", its versions and its DID routes? Calls in progress keep their version.`, confirm: "Delete" }))) return;
    try {
      await call(api.DELETE("/api/v1/flows/{id}", { params: { path: { id: fl.id } } }));
      toast("Flow deleted.");
      flows.reload();
    } catch (e) {
      toast((e as Error).message, "error");
    }
  };
  const cols: Column<Flow>[] = [
    { key: "id", label: "Flow ID", className: "num" },
    { key: "name", label: "Flow Name" },
    { key: "type", label: "Flow Type", render: (x) => FLOW_TYPE_LABEL[x.type] ?? x.type },
    { key: "published_version", label: "Published version", className: "num", render: (x) => (x.published_version ? `v${x.published_version}` : <span className="muted">draft only</span>) },
    {
      key: "problems",
      label: "Draft",
      value: (x) => x.problems.length,
      render: (x) =>
        x.problems.length ? (
          <button type="button" className="link warn" onClick={() => setProblems({ flow: x, problems: x.problems })}>
            {x.problems.length} problem{x.problems.length > 1 ? "s" : ""}
          </button>
        ) : (
          <span className="ok-text">valid</span>
        ),
    },
    { key: "updated_at", label: "Updated", render: (x) => fmt(x.updated_at) },
    {
      key: "actions",
      label: "Actions",
      sortable: false,
      render: (x) => (
        <div className="row-actions">
          <button type="button" className="btn btn-small" onClick={() => setVersions(x)} aria-label={`Versions of ${x.name}`}>Versions</button>
          {x.type !== "inbound" && <a className="btn btn-small" href={href("/api/v1/calllists/template", { flow_id: x.id })} download aria-label={`CSV template of ${x.name}`}>Template</a>}
          {admin && <button type="button" className="btn btn-small btn-primary" onClick={() => void publish(x)} aria-label={`Publish ${x.name}`}>Publish</button>}
          {admin && <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => void remove(x)} aria-label={`Delete ${x.name}`}>Delete</button>}
        </div>
      ),
    },
  ];
  return (
    <>
      <PageHead title="Flows" intro="Call flows of the account: drafts, published versions and draft problems.">
        {admin && <button type="button" className="btn btn-primary" onClick={() => setCreate(true)}>Add flow</button>}
      </PageHead>
      <ErrorBox text={flows.error} />
      <DataTable caption="Flows" columns={cols} rows={flows.data ?? []} rowKey={(x) => x.id} loading={flows.loading && !flows.data} search initialSort={{ key: "id", dir: "desc" }} empty="No flows yet." />
      {versions && <VersionsModal flow={versions} onClose={() => setVersions(null)} />}
      {problems && (
        <Modal title={`Problems in "${problems.flow.name}"`} onClose={() => setProblems(null)} wide>
          <DataTable caption="Problems" rows={problems.problems.map((p, i) => ({ ...p, i }))} rowKey={(p) => p.i} columns={[{ key: "node", label: "Node" }, { key: "field", label: "Field" }, { key: "message", label: "Problem" }]} empty="None." />
        </Modal>
      )}
      {create && <CreateFlow onClose={() => setCreate(false)} onSaved={() => { setCreate(false); flows.reload(); }} />}
    </>
  );
}

function VersionsModal({ flow, onClose }: { flow: Flow; onClose: () => void }) {
  const fmt = useTime();
  const v = useLoad(() => call<{ versions: FlowVersion[] }>(api.GET("/api/v1/flows/{id}/versions", { params: { path: { id: flow.id } } })).then((r) => r.versions ?? []), [flow.id]);
  const [shown, setShown] = useState<FlowVersion | null>(null);
  const open = async (x: FlowVersion) => setShown(await call<FlowVersion>(api.GET("/api/v1/flows/{id}/versions/{version}", { params: { path: { id: flow.id, version: String(x.version) } } })));
  return (
    <Modal title={`Versions of "${flow.name}"`} onClose={onClose} wide>
      <ErrorBox text={v.error} />
      <DataTable
        caption="Versions"
        rows={v.data ?? []}
        rowKey={(x) => x.version}
        loading={v.loading}
        initialSort={{ key: "version", dir: "desc" }}
        columns={[
          { key: "version", label: "Version", className: "num", render: (x) => `v${x.version}${x.version === flow.published_version ? " (current)" : ""}` },
          { key: "published_at", label: "Published", render: (x) => fmt(x.published_at) },
          { key: "view", label: "Definition", sortable: false, render: (x) => <button type="button" className="link" onClick={() => void open(x)}>View JSON</button> },
        ]}
        empty="Never published: publish the draft to make it live."
      />
      {shown && <pre className="json" tabIndex={0} aria-label={`Version ${shown.version} JSON`}>{JSON.stringify(shown.definition, null, 2)}</pre>}
    </Modal>
  );
}

function CreateFlow({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const [text, setText] = useState("");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(text);
    } catch {
      f.setErrors({ document: "This is not JSON." });
      return;
    }
    if (await f.run(async () => { await call(api.POST("/api/v1/flows", { body: doc })); }, ["document"])) {
      toast("Flow created.");
      onSaved();
    }
  };
  return (
    <Modal title="Add flow" onClose={onClose} wide footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="flow-form" className="btn btn-primary" disabled={f.busy}>Create</button></>}>
      <form id="flow-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Flow document (JSON)" error={f.errors.document} hint="Format 1: {format, name, type, start, variables, nodes}. Choose a file or paste it.">
          <textarea className="input mono" rows={14} value={text} onChange={(e) => setText(e.target.value)} />
        </Field>
        <label className="btn">
          Choose a .json file
          <input type="file" className="sr-only" accept=".json,application/json" onChange={async (e) => { const file = e.target.files?.[0]; if (file) setText(await file.text()); }} />
        </label>
      </form>
    </Modal>
  );
}
