// The supervisor stream (GET /api/v1/supervisor/stream): the live rows of
// the account's agents and queues, shared by the Wallboard and the
// Supervisor Agent Dashboard.
import { useEffect, useRef, useState } from "react";
import type { AgentStatus, QueueStatus } from "../api/types";

/**
 * The supervisor's live state (the Wallboard, the Supervisor Agent
 * Dashboard): every agent and queue row from the supervisor stream
 * (Server-Sent Events, no polling). Updates are applied
 * to a map and rendered at most once per animation frame, so hundreds of
 * changes a second cost one render each frame.
 */
export function useSupervisorStream() {
  const agents = useRef(new Map<number, AgentStatus>());
  const queues = useRef(new Map<number, QueueStatus>());
  const [version, setVersion] = useState(0);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState("");
  // Counters of answered / abandoned per queue, to move the day chart's
  // current interval as calls end.
  const deltas = useRef({ answered: 0, abandoned: 0, timed_out: 0, joined: 0 });
  useEffect(() => {
    let frame = 0;
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; setVersion((v) => v + 1); });
    };
    let es: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      // Batched: the latest row of each agent and queue every 100 ms.
      es = new EventSource("/api/v1/supervisor/stream?batch_ms=100");
      es.addEventListener("agent", (e) => {
        const a = JSON.parse((e as MessageEvent<string>).data) as AgentStatus & { t?: number };
        a.t = performance.now();
        agents.current.set(a.agent_id!, a);
        schedule();
      });
      es.addEventListener("queue", (e) => {
        const q = JSON.parse((e as MessageEvent<string>).data) as QueueStatus;
        const old = queues.current.get(q.queue_id!);
        if (old) {
          const d = deltas.current;
          d.answered += Math.max(0, (q.answered ?? 0) - (old.answered ?? 0));
          d.abandoned += Math.max(0, (q.abandoned ?? 0) - (old.abandoned ?? 0));
          d.timed_out += Math.max(0, (q.timed_out ?? 0) - (old.timed_out ?? 0));
          d.joined += Math.max(0, (q.joined ?? 0) - (old.joined ?? 0));
        }
        (q as QueueStatus & { t?: number }).t = performance.now();
        queues.current.set(q.queue_id!, q);
        schedule();
      });
      es.addEventListener("ready", () => { setReady(true); setError(""); schedule(); });
      es.onerror = () => {
        // The browser reconnects by itself unless the stream was refused
        // (closed): then try again in a few seconds with a new snapshot.
        if (es && es.readyState === EventSource.CLOSED) {
          setError("The live stream closed; reconnecting…");
          retry = setTimeout(() => { agents.current.clear(); queues.current.clear(); open(); }, 3000);
        }
      };
    };
    open();
    return () => { es?.close(); if (retry) clearTimeout(retry); if (frame) cancelAnimationFrame(frame); };
  }, []);
  return { agents: agents.current, queues: queues.current, version, ready, error, deltas: deltas.current };
}

