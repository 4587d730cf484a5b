import { createElement, lazy, type ComponentType } from "react";

// Each screen's code is its own chunk, fetched when the screen is first
// opened (or, for the screen the page opens on, beside the session check:
// preloadScreen), so the entry module stays small.
interface Screen {
  load: () => Promise<unknown>;
  Page: ComponentType;
}

// A screen whose code is already here renders at once; only one still
// loading goes through lazy (and its Suspense fallback, which React keeps
// up for a while once shown: the first screen of a page load must not
// take that path, so main.tsx waits for its code beside the session check).
function screen<M>(load: () => Promise<M>, pick: (m: M) => ComponentType): Screen {
  let Loaded: ComponentType | undefined;
  const get = () => load().then((m) => (Loaded = pick(m)));
  const Lazy = lazy(async () => ({ default: await get() }));
  const Page = () => (Loaded ? createElement(Loaded) : createElement(Lazy));
  return { load: get, Page };
}

const requests = () => import("./Requests");
const reports = () => import("./Reports");
const more = () => import("./ReportsMore");
const campaigns = () => import("./Campaigns");
const recipients = () => import("./Recipients");
const flows = () => import("./Flows");
const editor = () => import("./FlowEditor");
const lists = () => import("./AccessLists");
const advanced = () => import("./Advanced");
const grammars = () => import("./Grammars");
const notify = () => import("./Notify");
const contact = () => import("./ContactCenter");
const admin = () => import("./Admin");
const me = () => import("./Me");
const desk = () => import("./Desk");
const operator = () => import("./Operator");
const approvals = () => import("./Approvals");
const wallboard = () => import("./Wallboard");
const cloud = () => import("./Cloud");
const prompts = () => import("./Prompts");
const messages = () => import("./Messages");

const screens: Record<string, Screen> = {
  "/requests": screen(requests, (m) => m.RequestsPage),
  "/reports": screen(reports, (m) => m.ReportsPage),
  "/email-reports": screen(more, (m) => m.EmailReportsPage),
  "/download-reports": screen(more, (m) => m.DownloadReportsPage),
  "/messages": screen(messages, (m) => m.MessagesPage),
  "/campaigns": screen(campaigns, (m) => m.CampaignsPage),
  "/recipients": screen(recipients, (m) => m.RecipientsPage),
  "/ads-statistics": screen(more, (m) => m.AdsStatisticsPage),
  "/ads-detailed": screen(more, (m) => m.AdsDetailedPage),
  "/flows": screen(flows, (m) => m.FlowsPage),
  "/flow-editor": screen(editor, (m) => m.FlowEditorPage),
  "/prompts": screen(prompts, (m) => m.PromptsPage),
  "/dids": screen(advanced, (m) => m.DIDsPage),
  "/whitelist": screen(lists, (m) => m.WhitelistPage),
  "/blacklist": screen(lists, (m) => m.BlacklistPage),
  "/supervisor": screen(contact, (m) => m.SupervisorPage),
  "/wallboard": screen(wallboard, (m) => m.WallboardPage),
  "/agents": screen(contact, (m) => m.AgentsPage),
  "/queues": screen(contact, (m) => m.QueuesPage),
  "/webhooks": screen(advanced, (m) => m.WebhooksPage),
  "/flow-variables": screen(advanced, (m) => m.FlowVariablesPage),
  "/crm-setup": screen(advanced, (m) => m.CRMSetupPage),
  "/agent-ui": screen(advanced, (m) => m.AgentUIPage),
  "/grammars": screen(grammars, (m) => m.GrammarsPage),
  "/notify/address-book": screen(notify, (m) => m.AddressBookPage),
  "/notify/labels": screen(notify, (m) => m.LabelsPage),
  "/notify/send": screen(notify, (m) => m.SendNotificationPage),
  "/notify/reports": screen(notify, (m) => m.NotificationReportsPage),
  "/cloud": screen(cloud, (m) => m.CloudPage),
  "/users": screen(admin, (m) => m.UsersPage),
  "/api-keys": screen(admin, (m) => m.APIKeysPage),
  "/settings": screen(admin, (m) => m.SettingsPage),
  "/me": screen(me, (m) => m.MePage),
  "/desk": screen(desk, (m) => m.DeskPage),
  "/operator/accounts": screen(operator, (m) => m.OperatorAccountsPage),
  "/operator/approvals": screen(approvals, (m) => m.ApprovalsPage),
  "/operator/prompts": screen(prompts, (m) => m.PromptApprovalsPage),
};

/** pages maps a hash path to its screen; nav.ts says who may open it. */
export const pages: Record<string, ComponentType> = Object.fromEntries(Object.entries(screens).map(([path, s]) => [path, s.Page]));

/**
 * preloadScreen fetches the code of the screen at path (nothing for other
 * paths); it settles when the code is here or failed to load (opening the
 * screen then tries again and shows the failure).
 */
export async function preloadScreen(path: string): Promise<void> {
  try {
    await screens[path]?.load();
  } catch {
    /* shown when the screen is opened */
  }
}
