import type { ComponentType } from "react";
import { RequestsPage } from "./Requests";
import { ReportsPage } from "./Reports";
import { CampaignsPage } from "./Campaigns";
import { FlowsPage } from "./Flows";
import { BlacklistPage, WhitelistPage } from "./AccessLists";
import { DeskPage, MePage } from "./Me";

/** pages maps a hash path to its screen; nav.ts says who may open it. */
export const pages: Record<string, ComponentType> = {
  "/requests": RequestsPage,
  "/reports": ReportsPage,
  "/campaigns": CampaignsPage,
  "/flows": FlowsPage,
  "/whitelist": WhitelistPage,
  "/blacklist": BlacklistPage,
  "/me": MePage,
  "/desk": DeskPage,
};
