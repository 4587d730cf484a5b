import type { ComponentType } from "react";
import { RequestsPage } from "./Requests";
import { ReportsPage } from "./Reports";
import { AdsDetailedPage, AdsStatisticsPage, DownloadReportsPage, EmailReportsPage } from "./ReportsMore";
import { CampaignsPage } from "./Campaigns";
import { RecipientsPage } from "./Recipients";
import { FlowsPage } from "./Flows";
import { BlacklistPage, WhitelistPage } from "./AccessLists";
import { AgentUIPage, CRMSetupPage, DIDsPage, FlowVariablesPage, WebhooksPage } from "./Advanced";
import { AgentsPage, QueuesPage, SupervisorPage } from "./ContactCenter";
import { APIKeysPage, SettingsPage, UsersPage } from "./Admin";
import { DeskPage, MePage } from "./Me";
import { OperatorAccountsPage } from "./Operator";

/** pages maps a hash path to its screen; nav.ts says who may open it. */
export const pages: Record<string, ComponentType> = {
  "/requests": RequestsPage,
  "/reports": ReportsPage,
  "/email-reports": EmailReportsPage,
  "/download-reports": DownloadReportsPage,
  "/campaigns": CampaignsPage,
  "/recipients": RecipientsPage,
  "/ads-statistics": AdsStatisticsPage,
  "/ads-detailed": AdsDetailedPage,
  "/flows": FlowsPage,
  "/dids": DIDsPage,
  "/whitelist": WhitelistPage,
  "/blacklist": BlacklistPage,
  "/supervisor": SupervisorPage,
  "/agents": AgentsPage,
  "/queues": QueuesPage,
  "/webhooks": WebhooksPage,
  "/flow-variables": FlowVariablesPage,
  "/crm-setup": CRMSetupPage,
  "/agent-ui": AgentUIPage,
  "/users": UsersPage,
  "/api-keys": APIKeysPage,
  "/settings": SettingsPage,
  "/me": MePage,
  "/desk": DeskPage,
  "/operator/accounts": OperatorAccountsPage,
};
