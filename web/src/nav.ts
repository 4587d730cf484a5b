import type { Role } from "./api/types";

export interface NavItem {
  path: string;
  label: string;
  min: Role;
  /** only: shown to this role alone (the agent's own desk) */
  only?: Role;
  /** anyone: every logged-in person, operators included (their own profile) */
  anyone?: boolean;
}
export interface NavGroup {
  label: string;
  items: NavItem[];
}

// The console's menu, grouped as the product documents group the screens.
// min is the least role that may open the page (the API enforces the same).
export const NAV: NavGroup[] = [
  { label: "Central Menu", items: [{ path: "/requests", label: "Request Summary Dashboard", min: "scheduler" }, { path: "/desk", label: "Agent desk", min: "agent", only: "agent" }] },
  {
    label: "Report",
    items: [
      { path: "/reports", label: "Reports", min: "scheduler" },
      { path: "/email-reports", label: "Email Report", min: "supervisor" },
      { path: "/download-reports", label: "Download Reports", min: "scheduler" },
      { path: "/messages", label: "Messages", min: "scheduler" },
    ],
  },
  {
    label: "ADS",
    items: [
      { path: "/campaigns", label: "Campaigns", min: "scheduler" },
      { path: "/recipients", label: "Recipients", min: "scheduler" },
      { path: "/ads-statistics", label: "Statistics by Campaign", min: "scheduler" },
      { path: "/ads-detailed", label: "Detailed Report", min: "scheduler" },
    ],
  },
  {
    label: "Flows",
    items: [
      { path: "/flows", label: "Flows", min: "scheduler" },
      { path: "/flow-editor", label: "Flow editor", min: "scheduler" },
      { path: "/prompts", label: "Prompts", min: "scheduler" },
      { path: "/dids", label: "DIDs", min: "admin" },
    ],
  },
  {
    label: "Lists",
    items: [
      { path: "/whitelist", label: "Whitelist", min: "admin" },
      { path: "/blacklist", label: "Blacklist", min: "admin" },
    ],
  },
  {
    label: "Notification",
    items: [
      { path: "/notify/address-book", label: "Address Book", min: "scheduler" },
      { path: "/notify/labels", label: "Labels", min: "scheduler" },
      { path: "/notify/send", label: "Send Notification", min: "scheduler" },
      { path: "/notify/reports", label: "Notification report", min: "scheduler" },
    ],
  },
  {
    label: "Contact center",
    items: [
      { path: "/supervisor", label: "Supervisor Agent Dashboard", min: "supervisor" },
      { path: "/wallboard", label: "Wallboard", min: "supervisor" },
      { path: "/agents", label: "Agents", min: "supervisor" },
      { path: "/queues", label: "Queues", min: "supervisor" },
    ],
  },
  {
    label: "Advanced",
    items: [
      { path: "/webhooks", label: "Webhook", min: "admin" },
      { path: "/flow-variables", label: "Flow Variable", min: "admin" },
      { path: "/crm-setup", label: "CRM Setup", min: "admin" },
      { path: "/agent-ui", label: "Agent UI Setup", min: "admin" },
      { path: "/grammars", label: "Grammar", min: "scheduler" },
      { path: "/cloud", label: "Cloud", min: "admin" },
    ],
  },
  {
    label: "Operator",
    items: [
      { path: "/operator/accounts", label: "Accounts", min: "operator" },
      { path: "/operator/approvals", label: "Flow approvals", min: "operator" },
      { path: "/operator/prompts", label: "Prompt approvals", min: "operator" },
    ],
  },
  {
    label: "Administration",
    items: [
      { path: "/users", label: "Users", min: "admin" },
      { path: "/api-keys", label: "API keys", min: "admin" },
      { path: "/settings", label: "Account settings", min: "admin" },
      { path: "/me", label: "My profile", min: "agent", anyone: true },
    ],
  },
];

/** minRole is the least role that may open path; undefined: anyone logged in (or not a menu page). */
export function minRole(path: string): Role | undefined {
  for (const g of NAV) for (const i of g.items) if (i.path === path) return i.anyone ? undefined : i.min;
  return undefined;
}
