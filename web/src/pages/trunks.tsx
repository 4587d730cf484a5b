import { api, call } from "../api/client";
import type { Trunk } from "../api/types";
import { useLoad } from "../util";

/** useTrunks loads the trunks the operator configured (names only, never dial strings). */
export function useTrunks() {
  return useLoad(() => call<{ trunks: Trunk[] }>(api.GET("/api/v1/trunks")).then((r) => r.trunks ?? []), []);
}

/**
 * TrunkOptions are the <option>s of a trunk <select>: "" is the default
 * trunk; a stored name the operator has since removed stays selectable so
 * the form shows what is stored (the API then refuses it, next to the field).
 */
export function TrunkOptions({ trunks, value }: { trunks: Trunk[]; value: string }) {
  const def = trunks.find((t) => t.default);
  const known = trunks.some((t) => t.name === value);
  return (
    <>
      <option value="">{def ? `Default (${def.name})` : "Default"}</option>
      {trunks.map((t) => (
        <option key={t.name} value={t.name}>
          {t.name}
          {t.technology ? ` · ${t.technology}` : ""}
        </option>
      ))}
      {value && !known && <option value={value}>{value} (no longer configured)</option>}
    </>
  );
}
