import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, ApiError, call, setCSRF, setUnauthorizedHandler } from "./api/client";
import type { Role, Session } from "./api/types";
import { dropPrefetched, takeSessionCheck, takeSettledSession } from "./boot";

const rank: Record<string, number> = { agent: 0, scheduler: 1, supervisor: 2, admin: 3, owner: 4 };

/** atLeast: is the role at least min (agent < scheduler < supervisor < admin < owner)? */
export function atLeast(role: string | undefined, min: Role): boolean {
  if (!role || role === "operator") return min === "operator";
  return (rank[role] ?? -1) >= (rank[min] ?? 99);
}

interface Ctx {
  session: Session | null;
  loading: boolean;
  login: (email: string, password: string, accountId?: number) => Promise<void>;
  logout: () => Promise<void>;
  refresh: () => Promise<void>;
  /** adopt takes a session the API just opened (invitation accepted). */
  adopt: (s: Session | null) => void;
  can: (min: Role) => boolean;
  timeZone: string;
}

const SessionCtx = createContext<Ctx | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  // The session the check started with the page load found, when it is
  // already back: the first render draws the screen, not "Loading…".
  const [first] = useState(() => {
    const s = takeSettledSession() as Session | undefined;
    if (s) setCSRF(s.csrf_token ?? "");
    return s;
  });
  const [session, setSession] = useState<Session | null>(first ?? null);
  const [loading, setLoading] = useState(!first);
  const adopt = useCallback((s: Session | null) => {
    setCSRF(s?.csrf_token ?? "");
    if (!s) dropPrefetched();
    setSession(s);
  }, []);
  const refresh = useCallback(async () => {
    try {
      adopt(await call<Session>(takeSessionCheck()));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) console.warn("session check failed", e);
      adopt(null);
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    setUnauthorizedHandler(() => adopt(null));
    if (!first) void refresh();
  }, [refresh, first]);
  const login = useCallback(async (email: string, password: string, accountId?: number) => {
    const s = await call<Session>(api.POST("/api/v1/auth/login", { body: { email, password, ...(accountId ? { account_id: accountId } : {}) } }));
    adopt(s);
  }, []);
  const logout = useCallback(async () => {
    try {
      await call(api.POST("/api/v1/auth/logout"));
    } finally {
      adopt(null);
      window.location.hash = "/";
    }
  }, []);
  const role = session?.user.role;
  const can = useCallback((min: Role) => atLeast(role, min), [role]);
  const timeZone = session?.account?.time_zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  return <SessionCtx.Provider value={{ session, loading, login, logout, refresh, adopt, can, timeZone }}>{children}</SessionCtx.Provider>;
}

export function useSession(): Ctx {
  const c = useContext(SessionCtx);
  if (!c) throw new Error("useSession outside SessionProvider");
  return c;
}
