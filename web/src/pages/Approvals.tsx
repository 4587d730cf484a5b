import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { FlowApproval, FlowApprovalReview } from "../api/types";
import { DataTable } from "../ui/Table";
import { Modal } from "../ui/Modal";
import { Field, FormError, useForm } from "../ui/Field";
import { useAction } from "../ui/action";
import { useToast } from "../ui/Toast";
import { ErrorBox, PageHead, useLoad, useTime } from "../util";
import { FLOW_TYPE_LABEL } from "./flowsCache";

/**
 * ApprovalsPage is the operator's queue of transactional flow versions:
 * every change to a transactional flow waits here until the operator
 * approves it (it goes live at once) or rejects it with a reason the
 * account sees.
 */
export function ApprovalsPage() {
  const fmt = useTime();
  const list = useLoad(() => call<{ approvals: FlowApproval[] }>(api.GET("/api/v1/operator/flow-approvals")).then((r) => r.approvals ?? []), []);
  const [review, setReview] = useState<FlowApproval | null>(null);
  return (
    <>
      <PageHead title="Flow approvals" intro="Versions of transactional flows waiting for approval, oldest first. An approved version goes live at once and its call lists are not DNC/NDNC scrubbed; a rejected one never goes live and the account sees your reason." />
      <ErrorBox text={list.error} />
      <DataTable
        caption="Versions waiting for approval"
        rows={list.data ?? []}
        rowKey={(a) => `${a.flow_id}/${a.version}`}
        search
        loading={list.loading && !list.data}
        initialSort={{ key: "submitted_at", dir: "asc" }}
        columns={[
          { key: "account_name", label: "Account", render: (a) => `${a.account_name} (${a.account_id})` },
          { key: "flow_name", label: "Flow", render: (a) => `${a.flow_name} (${a.flow_id})` },
          { key: "flow_type", label: "Type", render: (a) => FLOW_TYPE_LABEL[a.flow_type] ?? a.flow_type },
          { key: "version", label: "Version", className: "num", render: (a) => `v${a.version}` },
          { key: "live_version", label: "Live now", className: "num", render: (a) => (a.live_version ? `v${a.live_version}` : <span className="muted">none</span>) },
          { key: "submitted_at", label: "Submitted", render: (a) => fmt(a.submitted_at) },
          { key: "submitted_by", label: "By", render: (a) => a.submitted_by || <span className="muted">unknown</span> },
          {
            key: "actions",
            label: "Actions",
            sortable: false,
            render: (a) => (
              <button type="button" className="btn btn-small btn-primary" onClick={() => setReview(a)} aria-label={`Review ${a.flow_name} version ${a.version}`}>Review</button>
            ),
          },
        ]}
        empty="Nothing waits for approval."
      />
      {review && <ReviewModal item={review} onClose={() => setReview(null)} onDone={() => { setReview(null); list.reload(); }} />}
    </>
  );
}

function ReviewModal({ item, onClose, onDone }: { item: FlowApproval; onClose: () => void; onDone: () => void }) {
  const action = useAction();
  const path = { flow_id: item.flow_id, version: item.version };
  const r = useLoad(() => call<FlowApprovalReview>(api.GET("/api/v1/operator/flow-approvals/{flow_id}/{version}", { params: { path } })), [item.flow_id, item.version]);
  const [view, setView] = useState<"diff" | "json">("diff");
  const [rejecting, setRejecting] = useState(false);
  const approve = () =>
    action({
      ask: {
        title: "Approve version",
        message: `Approve version ${item.version} of "${item.flow_name}" (${item.account_name})? It goes live at once: new calls run it and its call lists are not DNC/NDNC scrubbed while the account's transactional messaging is on.`,
        confirm: "Approve",
        cancel: "Not yet",
        danger: false,
      },
      run: () => call(api.POST("/api/v1/operator/flow-approvals/{flow_id}/{version}/approve", { params: { path } })),
      done: `Version ${item.version} of "${item.flow_name}" approved: it is live.`,
      after: onDone,
    });
  if (rejecting) return <RejectModal item={item} onClose={() => setRejecting(false)} onDone={onDone} />;
  return (
    <Modal
      title={`"${item.flow_name}" version ${item.version}`}
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>Close</button>
          <button type="button" className="btn btn-ghost-danger" onClick={() => setRejecting(true)}>Reject…</button>
          <button type="button" className="btn btn-primary" onClick={() => void approve()}>Approve</button>
        </>
      }
    >
      <ErrorBox text={r.error} />
      <p className="muted">
        Account {item.account_name} · {FLOW_TYPE_LABEL[item.flow_type] ?? item.flow_type} · submitted by {item.submitted_by || "unknown"} ·{" "}
        {r.data?.live ? `compared with the live version v${r.data.live.version}` : "no version is live yet: everything is new"}
      </p>
      <div className="row-actions" role="group" aria-label="Show">
        <button type="button" className={`btn btn-small${view === "diff" ? " btn-primary" : ""}`} aria-pressed={view === "diff"} onClick={() => setView("diff")}>Changes</button>
        <button type="button" className={`btn btn-small${view === "json" ? " btn-primary" : ""}`} aria-pressed={view === "json"} onClick={() => setView("json")}>Whole JSON</button>
      </div>
      {r.data && view === "diff" && (
        <pre className="diff" tabIndex={0} aria-label={`Changes in version ${item.version}`}>
          {r.data.diff.map((l, i) => (
            <span key={i} className={l.op === "+" ? "diff-add" : l.op === "-" ? "diff-del" : undefined}>
              {l.op === " " ? "  " : `${l.op} `}
              {l.text}
            </span>
          ))}
        </pre>
      )}
      {r.data && view === "json" && <pre className="json" tabIndex={0} aria-label={`Version ${item.version} JSON`}>{JSON.stringify(r.data.version.definition, null, 2)}</pre>}
    </Modal>
  );
}

function RejectModal({ item, onClose, onDone }: { item: FlowApproval; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const f = useForm();
  const toast = useToast();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return f.setErrors({ reason: "Say why: the account sees it on the flow's versions." });
    if (await f.run(async () => { await call(api.POST("/api/v1/operator/flow-approvals/{flow_id}/{version}/reject", { params: { path: { flow_id: item.flow_id, version: item.version } }, body: { reason: reason.trim() } })); }, ["reason"])) {
      toast(`Version ${item.version} of "${item.flow_name}" rejected.`);
      onDone();
    }
  };
  return (
    <Modal title={`Reject "${item.flow_name}" version ${item.version}`} onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Back</button><button type="submit" form="reject-form" className="btn btn-danger" disabled={f.busy}>Reject</button></>}>
      <form id="reject-form" onSubmit={submit} noValidate>
        <FormError text={f.general} />
        <Field label="Reason" error={f.errors.reason} hint="The account sees it on the flow's versions and in the mail to the account holder. The live version stays live.">
          <textarea className="input" rows={4} maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} />
        </Field>
      </form>
    </Modal>
  );
}
