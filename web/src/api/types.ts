// The console's reading of API answers the spec describes in prose only.
// Schemas the spec does define are taken from the generated types.
import type { components as C } from "./schema";

export type Agent = C["schemas"]["Agent"];
export type AgentInput = C["schemas"]["AgentInput"];
export type AgentStatus = C["schemas"]["AgentStatus"];
export type Queue = C["schemas"]["Queue"];
export type QueueInput = C["schemas"]["QueueInput"];
export type QueueStatus = C["schemas"]["QueueStatus"];
export type Hook = C["schemas"]["Hook"];
export type HookInput = C["schemas"]["HookInput"];
export type AgentUI = C["schemas"]["AgentUI"];
export type FlowDialing = C["schemas"]["FlowDialing"];
export type Trunk = C["schemas"]["Trunk"];
export type OperatorAccount = C["schemas"]["OperatorAccount"];
export type FlowApproval = C["schemas"]["FlowApproval"];
export type FlowApprovalReview = C["schemas"]["FlowApprovalReview"];
export type TransactionalMessaging = C["schemas"]["TransactionalMessaging"];
export type VarDoc = C["schemas"]["VarDoc"];

export type User = C["schemas"]["User"];
export type Account = C["schemas"]["AccountBrief"];
export type Session = C["schemas"]["Me"];
export type APIKey = C["schemas"]["APIKey"];

export type Role = "agent" | "scheduler" | "supervisor" | "admin" | "owner" | "operator";

export interface RequestSummary {
  request_id: string;
  status: "Completed" | "In process" | "Scheduled" | string;
  flow_type: string;
  flow_name: string;
  flow_id: string;
  source: string;
  file_name?: string;
  records_loaded: number;
  records_added: number;
  records_completed: number;
  completion_percent: number;
  valid: number;
  invalid: number;
  scrubbed: number;
  created_at: string;
  start_time?: string;
  started_at?: string;
  name: string;
  accountcode: string;
  list_status: "active" | "disabled" | string;
  campaigns_only: boolean;
}

export interface RequestRecord {
  id: number;
  row: number;
  client_identifier: string;
  primary_number: string;
  numbers: string[];
  variables: Record<string, string>;
  start_time?: string;
  schedule_extension?: string;
  status: string;
  reason?: string;
  attempts: number;
  updated_at: string;
}

export interface RequestDetail extends RequestSummary {
  records: RequestRecord[];
  next_after?: number;
}

export interface UploadResult {
  files: { file: string; request?: RequestSummary; error?: string; code?: string }[];
}

export interface Problem {
  node?: string;
  field?: string;
  message: string;
}

export interface Flow {
  id: number;
  account_id: number;
  name: string;
  type: string;
  draft: FlowDoc;
  published_version: number;
  /** transactional: every version published waits for the operator's approval before it goes live */
  transactional: boolean;
  /** the version waiting for the operator's approval, 0 when none */
  awaiting_approval: number;
  problems: Problem[];
  created_at: string;
  updated_at: string;
}

export interface FlowDoc {
  format?: number;
  name?: string;
  type?: string;
  settings?: { email_status?: boolean; status_recipients?: string[]; record_call?: boolean };
  [k: string]: unknown;
}

export interface FlowVersion {
  flow_id: number;
  version: number;
  published_at: string;
  definition?: unknown;
  /** "" went live when published; pending | approved | rejected | superseded (transactional flows) */
  approval: "" | "pending" | "approved" | "rejected" | "superseded";
  submitted_by?: string;
  decided_by?: string;
  decided_at?: string;
  decision_reason?: string;
}

export interface AccessEntry {
  id: number;
  list: "white" | "black";
  kind: "phone" | "email" | "ipv4" | "domain";
  value: string;
  verified_at?: string;
  created_at: string;
}

export interface CallRow {
  call_id: string;
  attempt_id: string;
  attempt_number: number;
  request_id: string;
  flow_type: string;
  flow_id: string;
  flow_name: string;
  direction: string;
  cli: string;
  dnis: string;
  customer_number: string;
  status: string;
  hangup_cause: number;
  hangup_cause_text: string;
  started_at: string;
  answered_at?: string;
  ended_at?: string;
  duration_s: number;
  billsec_s: number;
  dtmf: string;
  queue: string;
  sms_number: string;
  email: string;
  recorded: boolean;
  recording_uri: string;
  finish_reason: string;
  journey_url: string;
  recordings_url: string;
}

export interface Recording {
  id: number;
  kind: string;
  name: string;
  format: string;
  file_name: string;
  started_at: string;
  duration_ms: number;
  available: boolean;
  available_until?: string;
  download_url: string;
}

export interface Campaign {
  id: number;
  account_id: number;
  type: "telephone" | "sms";
  mode: string;
  name: string;
  accountcode: string;
  recipients: string[];
  caller_id: string;
  trunk: string;
  simultaneous_calls: number;
  dial_attempts: number;
  dial_timeout_ms: number;
  only_when_free_members: boolean;
  queue: string;
  dial_to_extension: string;
  multiplier: number;
  retry_interval_sec: number;
  calling_window?: { start_minute: number; end_minute: number };
  calls_per_second: number;
  flow_id?: number;
  abandon_cap_pct: number;
  amd: boolean;
  machine_action: string;
  machine_flow_id?: number;
  /** sms campaigns: the message sent to each record (with its $flow.key.* variables). */
  sms_text?: string;
  status: "Created" | "Running" | "Paused" | "Finished" | "Cancelled";
  started_at?: string;
  ended_at?: string;
  created_at: string;
  updated_at: string;
}

export interface CampaignProgress {
  campaign_id: number;
  status: string;
  dialed: number;
  answered: number;
  abandoned: number;
  remaining: number;
  pending: number;
  in_process: number;
  complete: number;
  by_status: Record<string, number>;
  dial_level?: number;
  live?: { active: number; ringing: number; dialed: number; answered: number };
}

export interface StatRow {
  type: string;
  total: number;
  percentage: number;
}

export interface CampaignStats {
  campaign_id: number;
  campaign_name: string;
  records: number;
  by_status: StatRow[];
  by_attempts: StatRow[];
  by_tag: StatRow[];
}

export interface DetailedRecord {
  campaign_id: number;
  record_id: number;
  record: string;
  tries: number;
  status: string;
  last_status: string;
  duration_s: number;
  time?: string;
  tags: string;
}

export interface EmailReport {
  id: number;
  flow_id: number;
  to: string;
  cc: string;
  bcc: string;
  last_day?: string;
}

export interface CatalogueReport {
  name: string;
  enabled: boolean;
  url: string;
  csv_url: string;
}

export interface Webhook {
  id: number;
  name: string;
  config: WebhookConfig;
  created_at: string;
  updated_at: string;
}

export interface WebhookConfig {
  method: string;
  url: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body_type?: "json" | "form" | "raw" | "";
  body?: unknown;
  trigger?: "disconnect" | "widget" | "";
}

export interface UserVariable {
  name: string;
  value: string;
  updated_at: string;
}

export interface DID {
  did: string;
  account_id: number;
  flow_id: number;
  created_at: string;
}

/** A grammar (GET /api/v1/grammars, …/{name}: document only when one is read). */
export interface Grammar {
  name: string;
  title?: string;
  language: string;
  description?: string;
  sample: boolean;
  created_by?: string;
  created_at?: string;
  document?: Record<string, unknown>;
}
