import { api, call } from "../api/client";
import type { Flow } from "../api/types";

/** requestFlowType maps a flow's type to the request dashboard's Flow Type (outbound, dialer). */
export function requestFlowType(t: string): string {
  if (t === "outbound_dialer") return "dialer";
  if (t === "outbound_multicast" || t === "emergency_notification") return "outbound";
  return t;
}

export const FLOW_TYPE_LABEL: Record<string, string> = {
  outbound: "Outbound",
  dialer: "Dialer",
  inbound: "Inbound",
  outbound_multicast: "Outbound multicast",
  outbound_dialer: "Outbound dialer",
  emergency_notification: "Emergency notification",
};

export async function listFlows(): Promise<Flow[]> {
  const r = await call<{ flows: Flow[] }>(api.GET("/api/v1/flows"));
  return r.flows ?? [];
}
