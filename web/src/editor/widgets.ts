// The widgets of the flow format (flows/doc.go): their exit lines and the
// parameters the properties panel edits. The validator (POST
// /flows/validate) stays the judge: this table only draws the form.

export type FieldKind = "media" | "text" | "var" | "int" | "seconds" | "bool" | "enum" | "json" | "node" | "password";

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  label?: string;
  hint?: string;
  options?: string[];
  required?: boolean;
  /** json: the value a new field starts from (shown as a placeholder) */
  example?: string;
}

export interface WidgetSpec {
  type: string;
  label: string;
  group: "Call" | "Audio" | "Input" | "Logic" | "Integration" | "Routing";
  /** lines: the exit lines' labels (line i = exits[i]) */
  lines: string[];
  fields: FieldSpec[];
}

const terminators = ["none", "any", "*", "#"];
const media = (name: string, required = false, hint?: string): FieldSpec => ({ name, kind: "media", required, hint });

export const WIDGETS: WidgetSpec[] = [
  { type: "answer", label: "Answer", group: "Call", lines: ["answered", "failed"], fields: [] },
  { type: "play", label: "Play", group: "Audio", lines: ["played", "failed"], fields: [media("media", true, "sound:, prompt:, recording:, digits:, number:, tts: — variables allowed"), { name: "barge_in", kind: "bool", label: "Barge in (a digit stops it)" }] },
  {
    type: "say",
    label: "Say",
    group: "Audio",
    lines: ["said", "failed"],
    fields: [
      { name: "type", kind: "enum", required: true, options: ["number", "digits", "alphabet", "date", "time"] },
      { name: "value", kind: "text", required: true, hint: "the value, variables allowed, e.g. $flow.key.due_date (date YYYY-MM-DD, time HH:MM)" },
      { name: "grammar", kind: "text", hint: "a grammar's name (default: the Sample English Grammar)" },
      { name: "tts", kind: "bool", label: "Say with text-to-speech instead of a grammar" },
      { name: "barge_in", kind: "bool", label: "Barge in (a digit stops it)" },
    ],
  },
  {
    type: "record",
    label: "Record",
    group: "Audio",
    lines: ["recorded", "failed"],
    fields: [
      { name: "beep", kind: "bool" },
      { name: "max_duration", kind: "seconds" },
      { name: "max_silence", kind: "seconds" },
      { name: "terminator", kind: "enum", options: terminators },
      { name: "format", kind: "enum", options: ["gsm", "wav", "ulaw", "alaw", "sln"] },
      { name: "variable", kind: "var", hint: "where the recording's URI goes, e.g. $flow.key.message" },
    ],
  },
  {
    type: "play_and_record",
    label: "Play and record",
    group: "Audio",
    lines: ["recorded", "failed"],
    fields: [
      media("prompt", true),
      { name: "name", kind: "text", hint: "the module name in the file name (default: the node id)" },
      { name: "beep", kind: "bool" },
      { name: "max_duration", kind: "seconds" },
      { name: "max_silence", kind: "seconds" },
      { name: "terminator", kind: "enum", options: terminators },
      { name: "format", kind: "enum", options: ["gsm", "wav", "ulaw", "alaw", "sln"] },
      { name: "variable", kind: "var" },
    ],
  },
  {
    type: "gather",
    label: "Gather digits",
    group: "Input",
    lines: ["valid input", "no valid input"],
    fields: [
      media("prompt"),
      { name: "min_digits", kind: "int" },
      { name: "max_digits", kind: "int" },
      { name: "terminator", kind: "enum", options: terminators },
      { name: "timeout", kind: "seconds" },
      { name: "inter_digit_timeout", kind: "seconds" },
      { name: "overall_timeout", kind: "seconds" },
      { name: "retries", kind: "int" },
      media("no_input_prompt"),
      media("invalid_prompt"),
      { name: "pattern", kind: "text", hint: "a regular expression the digits must match" },
      { name: "variable", kind: "var", hint: "where the digits go, e.g. $flow.key.account_number" },
    ],
  },
  {
    type: "menu",
    label: "Menu",
    group: "Input",
    lines: ["next", "no input / invalid"],
    fields: [
      media("prompt"),
      { name: "options", kind: "json", required: true, hint: 'digit → exit line (0, or 2 and up): {"1": 2, "2": 3}', example: '{"1": 2}' },
      { name: "timeout", kind: "seconds" },
      { name: "retries", kind: "int" },
      media("no_input_prompt"),
      media("invalid_prompt"),
      { name: "variable", kind: "var" },
    ],
  },
  {
    type: "decision",
    label: "Decision",
    group: "Logic",
    lines: ["true", "false"],
    fields: [
      { name: "match", kind: "enum", options: ["all", "any"] },
      { name: "conditions", kind: "json", required: true, hint: "op: eq ne lt gt contains regex empty not_empty", example: '[{"left": "$flow.key.x", "op": "eq", "right": "1"}]' },
    ],
  },
  {
    type: "time_condition",
    label: "Time condition",
    group: "Logic",
    lines: ["open", "closed", "holiday"],
    fields: [
      { name: "timezone", kind: "text", required: true, hint: "IANA zone, e.g. Europe/Berlin" },
      { name: "ranges", kind: "json", example: '[{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]' },
      { name: "holidays", kind: "json", example: '["2026-12-25"]' },
    ],
  },
  { type: "set_variable", label: "Set variable", group: "Logic", lines: ["next"], fields: [{ name: "assign", kind: "json", required: true, example: '[{"name": "$flow.key.x", "value": "1"}]' }] },
  {
    type: "webhook",
    label: "Webhook",
    group: "Integration",
    lines: ["success", "failure"],
    fields: [
      { name: "webhook", kind: "text", hint: "a configured webhook's name, or the inline request below" },
      { name: "method", kind: "enum", options: ["GET", "POST", "PUT", "PATCH", "DELETE"] },
      { name: "url", kind: "var" },
      { name: "username", kind: "text" },
      { name: "password", kind: "password" },
      { name: "headers", kind: "json", example: '{"X-Key": "value"}' },
      { name: "query", kind: "json", example: '{"id": "$flow.key.id"}' },
      { name: "body_type", kind: "enum", options: ["json", "form", "raw"] },
      { name: "body", kind: "json", example: '{"id": "$flow.key.id"}' },
      { name: "extract", kind: "json", example: '{"$flow.key.x": "$.data.x"}' },
      { name: "timeout", kind: "seconds" },
    ],
  },
  {
    type: "sms",
    label: "SMS",
    group: "Integration",
    lines: ["sent", "failed"],
    fields: [
      { name: "to", kind: "var", hint: "the number (+E.164), variables allowed; empty: the customer (the caller, or the called number)" },
      { name: "text", kind: "text", required: true, hint: "the message, variables allowed, e.g. Hi ${flow.key.customer_name}" },
    ],
  },
  {
    type: "email",
    label: "Email",
    group: "Integration",
    lines: ["sent", "failed"],
    fields: [
      { name: "to", kind: "var", required: true, hint: "one or more addresses, comma-separated; variables allowed" },
      { name: "subject", kind: "text", required: true },
      { name: "text", kind: "text", required: true, hint: "the message, variables allowed" },
    ],
  },
  {
    type: "caller_id",
    label: "Caller ID (CRM)",
    group: "Integration",
    lines: ["positive", "negative"],
    fields: [
      { name: "mode", kind: "enum", options: ["none", "true_false", "destination"] },
      { name: "id_length", kind: "int" },
      media("audio"),
      { name: "url", kind: "var" },
      { name: "attempts", kind: "int" },
      { name: "timeout", kind: "seconds" },
      { name: "http_timeout", kind: "seconds" },
      { name: "user_agent", kind: "text" },
      { name: "request_format", kind: "enum", options: ["text", "form", "json"] },
      { name: "variable", kind: "var" },
      { name: "routes", kind: "json", example: '[{"type": "queue", "id": "1", "exit": 2}]' },
    ],
  },
  {
    type: "transfer",
    label: "Transfer",
    group: "Routing",
    lines: ["answered", "failed", "busy", "no answer", "congestion"],
    fields: [{ name: "endpoint", kind: "var", required: true, hint: "e.g. PJSIP/operator" }, { name: "caller_id", kind: "var" }, { name: "timeout", kind: "seconds" }],
  },
  { type: "queue", label: "Queue", group: "Routing", lines: ["answered", "not answered"], fields: [{ name: "queue", kind: "var", required: true }, { name: "timeout", kind: "seconds" }] },
  { type: "goto", label: "Go to", group: "Routing", lines: [], fields: [{ name: "node", kind: "node", required: true }] },
  { type: "hangup", label: "Hang up", group: "Call", lines: [], fields: [{ name: "cause", kind: "int", hint: "Q.850 cause, default 16" }] },
];

export const WIDGET: Record<string, WidgetSpec> = Object.fromEntries(WIDGETS.map((w) => [w.type, w]));

/**
 * lineLabels are the exit lines a node shows: the widget's own, then the
 * lines its parameters add (a menu's digits, a caller-ID route's exit),
 * then any further line its exits already use.
 */
export function lineLabels(type: string, params: Record<string, unknown> | undefined, exits: number): string[] {
  const out = [...(WIDGET[type]?.lines ?? [])];
  const extra = new Map<number, string>();
  if (type === "menu" && params?.options && typeof params.options === "object") {
    for (const [digit, line] of Object.entries(params.options as Record<string, unknown>)) {
      if (typeof line !== "number" || line < 0 || line > 63) continue;
      if (line === 0) out[0] = out[0] === "next" ? `digit ${digit}` : `${out[0]}, ${digit}`;
      else if (line >= 2) extra.set(line, extra.has(line) ? `${extra.get(line)}, ${digit}` : `digit ${digit}`);
    }
  }
  if (type === "caller_id" && Array.isArray(params?.routes)) {
    for (const r of params.routes as { id?: unknown; exit?: unknown }[]) {
      if (typeof r?.exit === "number" && r.exit >= 2 && r.exit <= 63) extra.set(r.exit, `route ${String(r.id ?? "")}`);
    }
  }
  const max = Math.max(out.length, exits, ...[...extra.keys()].map((k) => k + 1));
  for (let i = 0; i < max; i++) out[i] = out[i] ?? extra.get(i) ?? `line ${i}`;
  return out;
}
