// The visual flow editor (#/flow-editor?id=N): a node graph of the flow's
// draft on @xyflow/react (run on Preact's compat layer like the rest of
// the console). Its code, the graph library and the layout library are
// this screen's own chunk: the console's entry does not grow.
import { createContext, memo, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import {
  Background,
  Controls,
  Handle,
  MiniMap,
  Position,
  ReactFlow,
  ReactFlowProvider,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  useStore,
  useUpdateNodeInternals,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import "../editor/editor.css";
import { api, call } from "../api/client";
import type { Flow, FlowVersion, Problem } from "../api/types";
import { navigate, useRoute } from "../router";
import { useSession } from "../session";
import { useToast } from "../ui/Toast";
import { useConfirm } from "../ui/Confirm";
import { Modal } from "../ui/Modal";
import { Badge, ErrorBox, useTime } from "../util";
import { FLOW_TYPE_LABEL } from "./flowsCache";
import { WIDGET, WIDGETS, type FieldSpec } from "../editor/widgets";
import { autoLayout, diffDocs, edgeID, handleLine, newID, nodeLines, problemField, renameNode, toDoc, toGraph, type FlowDocument, type GEdge, type GNode, type Graph, type Params, type WidgetData } from "../editor/model";

type FNode = Node<WidgetData, "widget">;
type FEdge = Edge;

interface LiveStep {
  node: string;
  type: string;
  exit?: number;
  next?: string;
  error?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}
interface Live {
  callID: string;
  number: string;
  active: string;
  visited: string[];
  failed: string[];
  steps: LiveStep[];
  end?: { outcome: string; reason?: string; status?: string };
  error?: string;
}

const FLOW_TYPES = ["inbound", "outbound_multicast", "outbound_dialer", "emergency_notification"];
const HISTORY = 200;
/** A flow of more than BIG nodes opens on its first nodes, readable, not all of it at a tenth of its size. */
const BIG = 40;
/** FAR: below this zoom the nodes' small text is not painted (it cannot be read, and painting it slows the canvas). */
const FAR = 0.45;

/** firstNodes: the start node and the nodes after it, breadth first, up to n. */
function firstNodes(g: Graph, n: number): { id: string }[] {
  const start = String(g.meta.start ?? "") || g.nodes[0]?.id;
  if (!start) return [];
  const next = new Map<string, string[]>();
  for (const e of g.edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const seen = new Set([start]);
  for (const q = [start]; q.length && seen.size < n; ) for (const t of next.get(q.shift()!) ?? []) if (seen.size < n && !seen.has(t)) (seen.add(t), q.push(t));
  return [...seen].map((id) => ({ id }));
}

/** FarMark marks the canvas "far" while zoomed out below FAR (the canvas alone re-renders, only when that changes). */
function FarMark({ target }: { target: { current: HTMLDivElement | null } }) {
  const far = useStore((s) => s.transform[2] < FAR);
  useEffect(() => {
    target.current?.classList.toggle("fe-far", far);
  }, [far, target]);
  return null;
}

/** NodeInfo gives the node renderer what is not the graph: problems, the live call, the start. */
const NodeInfo = createContext<{ problems: Map<string, Problem[]>; start: string; edges: GEdge[] }>({ problems: new Map(), start: "", edges: [] });

export function FlowEditorPage() {
  const { can } = useSession();
  const route = useRoute();
  const id = Number(route.query.get("id") ?? 0);
  if (!can("scheduler")) return <div className="notice" role="alert"><h1>Not allowed</h1></div>;
  return (
    <ReactFlowProvider>
      <Editor key={id} id={id} admin={can("admin")} />
    </ReactFlowProvider>
  );
}

const blank = (): Graph => ({ meta: { format: 1, name: "New flow", type: "inbound", start: "", variables: [] }, nodes: [], edges: [] });

function Editor({ id, admin }: { id: number; admin: boolean }) {
  const toast = useToast();
  const confirm = useConfirm();
  const rf = useReactFlow<FNode, FEdge>();
  const [flow, setFlow] = useState<Flow | null>(null);
  const [loadError, setLoadError] = useState("");
  const [g, setG] = useState<Graph>(blank);
  const gRef = useRef(g);
  gRef.current = g;
  const past = useRef<Graph[]>([]);
  const future = useRef<Graph[]>([]);
  const lastKey = useRef<{ key: string; at: number }>({ key: "", at: 0 });
  const [, setHist] = useState(0);
  // ext counts the changes that come from outside the properties panel's
  // fields (opened, undone, redone, a version opened): the panel starts
  // again from the graph then, and never while one types (a field that
  // followed the graph as it caught up with fast typing lost keys).
  const [ext, setExt] = useState(0);
  const [saved, setSaved] = useState("");
  const [problems, setProblems] = useState<Problem[]>([]);
  const [warnings, setWarnings] = useState<{ message: string; node?: string }[]>([]);
  const [checking, setChecking] = useState(false);
  const [versions, setVersions] = useState(false);
  const [testing, setTesting] = useState(false);
  const [live, setLive] = useState<Live | null>(null);
  const clip = useRef<{ nodes: GNode[]; edges: GEdge[] } | null>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLDivElement>(null);
  const [vars, setVars] = useState<string[]>([]);

  // Open the flow's draft (or a blank flow).
  const [fit, setFit] = useState<{ nodes?: { id: string }[]; maxZoom: number }>({ maxZoom: 1.1 });
  const open = useCallback((doc: FlowDocument, fl: Flow | null) => {
    const graph = toGraph(doc);
    setFit(graph.nodes.length > BIG ? { nodes: firstNodes(graph, 12), maxZoom: 1 } : { maxZoom: 1.1 });
    setG(graph);
    past.current = [];
    future.current = [];
    setSaved(JSON.stringify(toDoc(graph)));
    setFlow(fl);
    setExt((x) => x + 1);
  }, []);
  useEffect(() => {
    if (!id) {
      open(toDoc(blank(), false), null);
      return;
    }
    call<Flow>(api.GET("/api/v1/flows/{id}", { params: { path: { id } } }))
      .then((fl) => open(fl.draft as FlowDocument, fl))
      .catch((e: Error) => setLoadError(e.message));
  }, [id, open]);

  // Variables for the autocomplete: declared, account-wide, system.
  useEffect(() => {
    let liveReq = true;
    const sys = call<Record<string, { name: string }[]>>(api.GET("/api/v1/flows/variables/system"))
      .then((s) => ["sys", "call", "syskey", "builtin_flow_keys"].flatMap((k) => (s[k] ?? []).map((d) => d.name)))
      .catch(() => [] as string[]);
    const user = admin
      ? call<{ variables: { name: string }[] }>(api.GET("/api/v1/variables")).then((r) => (r.variables ?? []).map((v) => `$user.key.${v.name}`)).catch(() => [] as string[])
      : Promise.resolve([] as string[]);
    void Promise.all([sys, user]).then(([a, b]) => liveReq && setVars([...b, ...a]));
    return () => {
      liveReq = false;
    };
  }, [admin]);

  // commit makes next the graph, undoable; edits of one field within a
  // second are one step.
  const commit = useCallback((next: Graph, key = "") => {
    const now = Date.now();
    const merge = key !== "" && key === lastKey.current.key && now - lastKey.current.at < 1000;
    lastKey.current = { key, at: now };
    if (!merge) {
      past.current = [...past.current.slice(-HISTORY + 1), gRef.current];
      future.current = [];
      setHist((x) => x + 1);
    }
    gRef.current = next;
    setG(next);
  }, []);
  const undo = useCallback(() => {
    const prev = past.current.pop();
    if (!prev) return;
    future.current.push(gRef.current);
    lastKey.current = { key: "", at: 0 };
    gRef.current = prev;
    setG(prev);
    setHist((x) => x + 1);
    setExt((x) => x + 1);
  }, []);
  const redo = useCallback(() => {
    const next = future.current.pop();
    if (!next) return;
    past.current.push(gRef.current);
    gRef.current = next;
    setG(next);
    setHist((x) => x + 1);
    setExt((x) => x + 1);
  }, []);

  // While nodes are dragged only their positions change: the document
  // (and with it validation, the unsaved mark and the properties panel)
  // follows when the drag ends, not at every mouse move.
  const dragging = useRef(false);
  const settledRef = useRef(g);
  if (!dragging.current) settledRef.current = g;
  const settled = settledRef.current;
  const doc = useMemo(() => toDoc(settled), [settled]);
  const docText = useMemo(() => JSON.stringify(doc), [doc]);
  const dirty = docText !== saved;

  // Live validation: the server's validator, a moment after each change.
  useEffect(() => {
    let current = true;
    setChecking(true);
    const t = window.setTimeout(() => {
      call<{ valid: boolean; problems: Problem[]; warnings?: { message: string; node?: string }[] }>(api.POST("/api/v1/flows/validate", { body: doc as Record<string, unknown> }))
        .then((r) => {
          if (!current) return;
          setProblems(r.problems ?? []);
          setWarnings(r.warnings ?? []);
        })
        .catch((e: Error) => current && setProblems([{ field: "document", message: e.message }]))
        .finally(() => current && setChecking(false));
    }, 300);
    return () => {
      current = false;
      window.clearTimeout(t);
    };
  }, [doc]);
  const byNode = useMemo(() => {
    const m = new Map<string, Problem[]>();
    for (const p of problems) if (p.node) m.set(p.node, [...(m.get(p.node) ?? []), p]);
    return m;
  }, [problems]);

  const selected = useMemo(() => settled.nodes.filter((n) => n.selected), [settled.nodes]);
  const one = selected.length === 1 ? selected[0] : null;

  // The canvas.
  const onNodesChange = useCallback((changes: NodeChange<FNode>[]) => {
    const cur = gRef.current;
    const removed = new Set(changes.flatMap((c) => (c.type === "remove" ? [c.id] : [])));
    dragging.current = changes.some((c) => c.type === "position" && c.dragging);
    const nodes = applyNodeChanges(changes, cur.nodes as FNode[]) as GNode[];
    if (removed.size) {
      const edges = cur.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target));
      const meta = removed.has(String(cur.meta.start)) ? { ...cur.meta, start: "" } : cur.meta;
      // The canvas removes the nodes and then their edges: one undo step.
      commit({ meta, nodes, edges }, "remove");
      return;
    }
    const next = { ...cur, nodes };
    gRef.current = next;
    setG(next);
  }, [commit]);
  const onEdgesChange = useCallback((changes: EdgeChange<FEdge>[]) => {
    const cur = gRef.current;
    const edges = applyEdgeChanges(changes, cur.edges as FEdge[]) as GEdge[];
    const next = { ...cur, edges };
    if (changes.some((c) => c.type === "remove")) commit(next, "remove");
    else {
      gRef.current = next;
      setG(next);
    }
  }, [commit]);
  const onConnect = useCallback((c: Connection) => {
    const cur = gRef.current;
    if (!c.source || !c.target) return;
    const line = handleLine(c.sourceHandle);
    const eid = edgeID(c.source, line);
    // One line leads to one node: connecting it again moves it.
    const edges = [...cur.edges.filter((e) => e.id !== eid), { id: eid, source: c.source, sourceHandle: `l${line}`, target: c.target, targetHandle: "in" as const }];
    const nodes = cur.nodes.map((n) => {
      const d = n.data.dangling as Record<number, string> | undefined;
      if (n.id !== c.source || !d || !(line in d)) return n;
      const rest = { ...d };
      delete rest[line];
      return { ...n, data: { ...n.data, dangling: Object.keys(rest).length ? rest : undefined } };
    });
    commit({ ...cur, nodes, edges });
  }, [commit]);
  const onNodeDragStart = useCallback(() => {
    past.current = [...past.current.slice(-HISTORY + 1), gRef.current];
    future.current = [];
    lastKey.current = { key: "", at: 0 };
    setHist((x) => x + 1);
  }, []);

  const addNode = useCallback((widget: string, at?: { x: number; y: number }) => {
    const cur = gRef.current;
    const id = newID(widget, new Set(cur.nodes.map((n) => n.id)));
    let pos = at;
    if (!pos) {
      const r = wrap.current?.querySelector(".react-flow")?.getBoundingClientRect();
      pos = r ? rf.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 }) : { x: 0, y: 0 };
      pos = { x: pos.x - 95 + (cur.nodes.length % 5) * 12, y: pos.y - 40 + (cur.nodes.length % 5) * 12 };
    }
    const spec = WIDGET[widget];
    const params: Params | undefined = spec.fields.length ? {} : undefined;
    const node: GNode = { id, type: "widget", position: pos, data: params ? { widget, params } : { widget }, selected: true };
    const meta = cur.meta.start ? cur.meta : { ...cur.meta, start: id };
    commit({ meta, nodes: [...cur.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node], edges: cur.edges.map((e) => (e.selected ? { ...e, selected: false } : e)) });
  }, [commit, rf]);

  // Palette drag: pointer events (a drag that a mouse, a pen or a
  // finger makes the same way), dropped where the pointer is released.
  const [ghost, setGhost] = useState<{ widget: string; x: number; y: number } | null>(null);
  const startDrag = (widget: string, e: React.PointerEvent) => {
    if (e.button !== 0) return;
    e.preventDefault();
    const x0 = e.clientX;
    const y0 = e.clientY;
    let moved = false;
    const move = (ev: PointerEvent) => {
      moved = moved || Math.abs(ev.clientX - x0) + Math.abs(ev.clientY - y0) > 4;
      if (moved) setGhost({ widget, x: ev.clientX, y: ev.clientY });
    };
    const up = (ev: PointerEvent) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      setGhost(null);
      if (!moved) return addNode(widget);
      const pane = wrap.current?.querySelector(".react-flow")?.getBoundingClientRect();
      if (!pane || ev.clientX < pane.left || ev.clientX > pane.right || ev.clientY < pane.top || ev.clientY > pane.bottom) return;
      const p = rf.screenToFlowPosition({ x: ev.clientX, y: ev.clientY });
      addNode(widget, { x: p.x - 95, y: p.y - 20 });
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  };

  const setNode = useCallback((nid: string, data: WidgetData, key: string) => {
    const cur = gRef.current;
    commit({ ...cur, nodes: cur.nodes.map((n) => (n.id === nid ? { ...n, data } : n)) }, key);
  }, [commit]);
  const setMeta = useCallback((meta: Graph["meta"], key: string) => commit({ ...gRef.current, meta }, key), [commit]);
  const setExit = useCallback((src: string, line: number, target: string) => {
    const cur = gRef.current;
    const eid = edgeID(src, line);
    const edges = cur.edges.filter((e) => e.id !== eid);
    if (target) edges.push({ id: eid, source: src, sourceHandle: `l${line}`, target, targetHandle: "in" });
    commit({ ...cur, edges });
  }, [commit]);
  const rename = useCallback((from: string, to: string) => {
    to = to.trim();
    if (!to || to === from) return;
    if (gRef.current.nodes.some((n) => n.id === to)) return toast(`A node is already called "${to}".`, "error");
    commit(renameNode(gRef.current, from, to));
  }, [commit, toast]);
  const removeSelected = useCallback(() => {
    const cur = gRef.current;
    const gone = new Set(cur.nodes.filter((n) => n.selected).map((n) => n.id));
    if (!gone.size && !cur.edges.some((e) => e.selected)) return;
    commit({
      meta: gone.has(String(cur.meta.start)) ? { ...cur.meta, start: "" } : cur.meta,
      nodes: cur.nodes.filter((n) => !gone.has(n.id)),
      edges: cur.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target)),
    });
  }, [commit]);
  const copy = useCallback(() => {
    const cur = gRef.current;
    const ids = new Set(cur.nodes.filter((n) => n.selected).map((n) => n.id));
    if (!ids.size) return;
    clip.current = { nodes: cur.nodes.filter((n) => ids.has(n.id)), edges: cur.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
    toast(`Copied ${ids.size} node${ids.size > 1 ? "s" : ""}.`, "info");
  }, [toast]);
  const paste = useCallback(() => {
    const c = clip.current;
    if (!c) return;
    const cur = gRef.current;
    const used = new Set(cur.nodes.map((n) => n.id));
    const ids = new Map<string, string>();
    for (const n of c.nodes) {
      const nid = newID(n.data.widget, used);
      used.add(nid);
      ids.set(n.id, nid);
    }
    const nodes = c.nodes.map((n) => ({ ...n, id: ids.get(n.id)!, position: { x: n.position.x + 40, y: n.position.y + 40 }, selected: true, data: JSON.parse(JSON.stringify(n.data)) as WidgetData }));
    const edges = c.edges.map((e) => ({ ...e, id: edgeID(ids.get(e.source)!, handleLine(e.sourceHandle)), source: ids.get(e.source)!, target: ids.get(e.target)!, selected: false }));
    clip.current = { nodes: nodes.map((n) => ({ ...n, id: [...ids].find(([, v]) => v === n.id)![0] })), edges: c.edges };
    commit({ ...cur, nodes: [...cur.nodes.map((n) => ({ ...n, selected: false })), ...nodes], edges: [...cur.edges, ...edges] });
  }, [commit]);
  const layout = () => {
    const cur = gRef.current;
    commit({ ...cur, nodes: autoLayout(cur.nodes, cur.edges) });
    window.requestAnimationFrame(() => rf.fitView({ maxZoom: 1.1, duration: 200 }));
  };

  // Keyboard: undo/redo, copy/paste (not while typing in a field).
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      // On the editor, or on nothing in particular (the page's body).
      if (!(el.contains(t) || t === document.body) || t.closest("input, textarea, select, [contenteditable], [role=dialog]")) return;
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === "z" && !e.shiftKey) undo();
      else if (mod && (k === "y" || (k === "z" && e.shiftKey))) redo();
      else if (mod && k === "c") copy();
      else if (mod && k === "v") paste();
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redo, copy, paste]);

  // Saving and publishing.
  const save = async (): Promise<number | null> => {
    try {
      if (!id) {
        const fl = await call<Flow>(api.POST("/api/v1/flows", { body: doc as Record<string, unknown> }));
        setSaved(docText);
        toast(`Flow "${fl.name}" created.`);
        navigate("/flow-editor", { id: String(fl.id) });
        return fl.id;
      }
      const fl = await call<Flow>(api.PUT("/api/v1/flows/{id}", { params: { path: { id } }, body: doc as Record<string, unknown> }));
      setFlow(fl);
      setSaved(docText);
      toast("Draft saved.");
      return id;
    } catch (e) {
      toast((e as Error).message, "error");
      return null;
    }
  };
  const publish = async () => {
    if (!flow) return;
    if (problems.length) return toast(`Fix the ${problems.length} problem(s) first: they are marked on the nodes.`, "error");
    const ask = flow.transactional
      ? { title: "Submit for approval", message: `Save the draft of "${flow.name}" and submit it for approval? It is transactional: the version goes live only when our operations team approves it${flow.published_version ? `; version ${flow.published_version} stays live meanwhile` : ""}.`, confirm: "Submit for approval", danger: false }
      : { title: "Publish flow", message: `Save the draft of "${flow.name}" and publish it as the next version? New calls run it; calls in progress keep their version.`, confirm: "Publish", danger: false };
    if (!(await confirm(ask))) return;
    if (dirty && (await save()) === null) return;
    try {
      const r = await call<{ version: number; approval?: string }>(api.POST("/api/v1/flows/{id}/publish", { params: { path: { id: flow.id } } }));
      toast(r.approval === "pending" ? `Submitted version ${r.version} for approval: it goes live once approved.` : `Published version ${r.version}.`);
      setFlow(await call<Flow>(api.GET("/api/v1/flows/{id}", { params: { path: { id: flow.id } } })));
    } catch (e) {
      const body = (e as { body?: { problems?: Problem[] } }).body;
      if (body?.problems?.length) setProblems(body.problems);
      toast((e as Error).message, "error");
    }
  };

  // The test call: the draft is saved, the number called, and the
  // journey lights up node by node as the call runs.
  const es = useRef<EventSource | null>(null);
  useEffect(() => () => es.current?.close(), []);
  const testCall = async (number: string) => {
    if (!flow) return;
    if (dirty && (await save()) === null) return;
    try {
      const r = await call<{ call_id: string; number: string }>(api.POST("/api/v1/flows/{id}/test-call", { params: { path: { id: flow.id } }, body: { number } }));
      setTesting(false);
      es.current?.close();
      setLive({ callID: r.call_id, number: r.number, active: "", visited: [], failed: [], steps: [] });
      const src = new EventSource(`/api/v1/flows/${flow.id}/test-call/${encodeURIComponent(r.call_id)}/events`);
      es.current = src;
      src.addEventListener("enter", (ev) => {
        const d = JSON.parse((ev as MessageEvent).data) as { node: string };
        setLive((l) => l && { ...l, active: d.node });
      });
      src.addEventListener("step", (ev) => {
        const d = JSON.parse((ev as MessageEvent).data) as { node: string; step: LiveStep };
        setLive((l) => l && { ...l, active: "", visited: [...l.visited, d.node], failed: d.step.error ? [...l.failed, d.node] : l.failed, steps: [...l.steps, d.step] });
      });
      src.addEventListener("end", (ev) => {
        const d = JSON.parse((ev as MessageEvent).data) as Live["end"];
        setLive((l) => l && { ...l, active: "", end: d });
        src.close();
      });
      src.onerror = () => {
        if (src.readyState === EventSource.CLOSED) setLive((l) => (l && !l.end ? { ...l, error: "The live journey stopped." } : l));
      };
    } catch (e) {
      const body = (e as { body?: { problems?: Problem[] } }).body;
      if (body?.problems?.length) setProblems(body.problems);
      toast((e as Error).message, "error");
    }
  };

  // What the canvas draws: the graph plus problems and the live call.
  const viewNodes = useMemo(() => {
    const visited = new Set(live?.visited ?? []);
    const failed = new Set(live?.failed ?? []);
    return g.nodes.map((n) => {
      const cls = [byNode.has(n.id) ? "has-problems" : "", live?.active === n.id ? "live-active" : "", failed.has(n.id) ? "live-failed" : visited.has(n.id) ? "live-done" : ""].filter(Boolean).join(" ");
      return (cls ? { ...n, className: cls } : n) as FNode;
    });
  }, [g.nodes, byNode, live]);
  const viewEdges = useMemo(() => {
    if (!live?.steps.length) return g.edges as FEdge[];
    const taken = new Set(live.steps.filter((s) => s.exit !== undefined).map((s) => edgeID(s.node, s.exit!)));
    return g.edges.map((e) => (taken.has(e.id) ? { ...e, animated: true, className: "live-edge" } : e)) as FEdge[];
  }, [g.edges, live]);
  const info = useMemo(() => ({ problems: byNode, start: String(g.meta.start ?? ""), edges: g.edges }), [byNode, g.meta.start, g.edges]);

  const selectNode = useCallback((nid: string) => {
    const cur = gRef.current;
    setG({ ...cur, nodes: cur.nodes.map((n) => ({ ...n, selected: n.id === nid })) });
    void rf.fitView({ nodes: [{ id: nid }], maxZoom: 1.2, duration: 200 });
  }, [rf]);
  // The properties panel, drawn again only when the document or what it
  // shows changed (not while the canvas pans, zooms or drags).
  const panel = useMemo(() => {
    const ids = new Set(settled.nodes.map((n) => n.id));
    const flowProblems = problems.filter((p) => !p.node || !ids.has(p.node));
    return one ? (
      <NodeForm key={`${one.id}:${ext}`} node={one} g={settled} vars={vars} problems={byNode.get(one.id) ?? []} setNode={setNode} setExit={setExit} rename={rename} setStart={() => setMeta({ ...gRef.current.meta, start: one.id }, "")} remove={removeSelected} />
    ) : (
      <FlowForm key={ext} g={settled} isNew={!id} setMeta={setMeta} selected={selected.length} problems={flowProblems} warnings={warnings} select={selectNode} />
    );
  }, [id, ext, settled, one, selected.length, vars, problems, byNode, warnings, setNode, setExit, rename, setMeta, removeSelected, selectNode]);
  // The canvas's background, controls and minimap do not change with the
  // graph: the same elements each render, so a node drag does not draw
  // them again.
  const chrome = useMemo(() => (
    <>
      <Background />
      <Controls />
      <MiniMap pannable zoomable ariaLabel="Minimap" />
      <FarMark target={canvas} />
    </>
  ), []);
  const title = String(g.meta.name ?? "");
  const declared = settled.meta.variables as string[] | undefined;
  const varList = useMemo(() => (
    <datalist id="sy-vars">
      {(declared ?? []).map((v) => <option key={`f${v}`} value={v.startsWith("$flow.key.") ? v : `$flow.key.${v}`} />)}
      {vars.map((v) => <option key={v} value={v} />)}
    </datalist>
  ), [declared, vars]);
  if (loadError) return <ErrorBox text={loadError} />;
  return (
    <div className="fe" ref={wrap}>
      <div className="fe-bar" role="toolbar" aria-label="Flow editor">
        <a className="btn btn-small" href="#/flows">← Flows</a>
        <h1 className="fe-title">{title || "Untitled flow"}</h1>
        {flow && <span className="muted">#{flow.id} · {flow.published_version ? `live v${flow.published_version}` : flow.transactional ? "none approved" : "draft only"}{flow.awaiting_approval ? ` · v${flow.awaiting_approval} awaiting approval` : ""}</span>}
        <span className="fe-status" role="status" aria-live="polite" data-valid={!checking && problems.length === 0 ? "true" : "false"}>
          {checking ? "Checking…" : problems.length ? <span className="warn-text">{problems.length} problem{problems.length > 1 ? "s" : ""}</span> : <span className="ok-text">✓ valid</span>}
          {dirty ? <span className="muted"> · unsaved</span> : <span className="muted"> · saved</span>}
        </span>
        <span className="fe-sep" />
        <button type="button" className="btn btn-small" onClick={undo} disabled={!past.current.length} title="Undo (Ctrl+Z)">Undo</button>
        <button type="button" className="btn btn-small" onClick={redo} disabled={!future.current.length} title="Redo (Ctrl+Shift+Z)">Redo</button>
        <button type="button" className="btn btn-small" onClick={copy} disabled={!selected.length} title="Copy (Ctrl+C)">Copy</button>
        <button type="button" className="btn btn-small" onClick={paste} title="Paste (Ctrl+V)">Paste</button>
        <button type="button" className="btn btn-small" data-act="layout" onClick={layout}>Auto-layout</button>
        {flow && <button type="button" className="btn btn-small" onClick={() => setVersions(true)}>Versions</button>}
        {admin && flow && <button type="button" className="btn btn-small" onClick={() => setTesting(true)}>Test call</button>}
        {admin && <button type="button" className="btn btn-small" data-act="save" onClick={() => void save()} disabled={!dirty && !!id}>Save draft</button>}
        {admin && flow && <button type="button" className="btn btn-small btn-primary" onClick={() => void publish()}>{flow.transactional ? "Submit for approval" : "Publish"}</button>}
      </div>
      <aside className="fe-palette" aria-label="Widgets">
        <div className="fe-h">Widgets</div>
        <p className="muted fe-small">Drag onto the canvas, or click to add.</p>
        {(["Call", "Audio", "Input", "Logic", "Integration", "Routing"] as const).map((grp) => (
          <div key={grp}>
            <div className="fe-group">{grp}</div>
            {WIDGETS.filter((w) => w.group === grp).map((w) => (
              <button key={w.type} type="button" className="fe-item" data-widget={w.type} aria-label={`Add ${w.label}`} onPointerDown={(e) => startDrag(w.type, e)} onClick={(e) => e.detail === 0 && addNode(w.type)}>
                {w.label}
              </button>
            ))}
          </div>
        ))}
      </aside>
      <div className="fe-canvas" ref={canvas}>
        <NodeInfo.Provider value={info}>
          <ReactFlow<FNode, FEdge>
            nodes={viewNodes}
            edges={viewEdges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onNodeDragStart={onNodeDragStart}
            deleteKeyCode={["Delete", "Backspace"]}
            minZoom={0.1}
            maxZoom={2}
            onlyRenderVisibleElements
            fitView={!!id}
            fitViewOptions={fit}
            proOptions={{ hideAttribution: true }}
          >
            {chrome}
          </ReactFlow>
        </NodeInfo.Provider>
      </div>
      <aside className="fe-panel" aria-label="Properties">
        {live && <LivePanel live={live} onClose={() => { es.current?.close(); setLive(null); }} />}
        {panel}
      </aside>
      {varList}
      {ghost && <div className="fe-ghost" ref={(el) => { if (el) { el.style.left = `${ghost.x + 8}px`; el.style.top = `${ghost.y + 8}px`; } }}>{WIDGET[ghost.widget].label}</div>}
      {versions && flow && <VersionsModal flow={flow} current={doc} admin={admin} onClose={() => setVersions(false)} onOpen={(d) => { commit(toGraph(d)); setExt((x) => x + 1); setVersions(false); window.requestAnimationFrame(() => rf.fitView({ maxZoom: 1.1 })); }} onRolledBack={async () => { setVersions(false); const fl = await call<Flow>(api.GET("/api/v1/flows/{id}", { params: { path: { id: flow.id } } })); open(fl.draft as FlowDocument, fl); }} />}
      {testing && <TestCallModal onClose={() => setTesting(false)} onCall={(n) => void testCall(n)} />}
    </div>
  );
}

const WidgetNode = memo(function WidgetNode({ id, data, selected }: NodeProps<FNode>) {
  const info = useContext(NodeInfo);
  const spec = WIDGET[data.widget];
  const lines = nodeLines({ id, type: "widget", position: { x: 0, y: 0 }, data }, info.edges);
  const probs = info.problems.get(id);
  // A line added or taken away (a menu's digits) does not change the
  // node's size: the canvas must measure its handles again, or an edge
  // from a new line is not drawn.
  const updateInternals = useUpdateNodeInternals();
  const measured = useRef(lines.length);
  useEffect(() => {
    if (measured.current === lines.length) return;
    measured.current = lines.length;
    updateInternals(id);
  }, [id, lines.length, updateInternals]);
  return (
    <div className={`fe-node${selected ? " selected" : ""}`} data-node={id} aria-label={`Node ${id}`}>
      <Handle type="target" position={Position.Top} id="in" />
      <div className="fe-node-head">
        <span className="fe-node-type">{spec?.label ?? data.widget}</span>
        {info.start === id && <span className="fe-start" title="The flow starts here">start</span>}
        {probs && <span className="fe-node-bad" title={probs.map((p) => `${p.field}: ${p.message}`).join("\n")}>{probs.length}</span>}
      </div>
      <div className="fe-node-id">{id}</div>
      <div className="fe-node-sum">{summary(data)}</div>
      <div className="fe-lines">
        {lines.map((l, i) => (
          <div key={i} className="fe-line" title={`line ${i}: ${l}`}>
            <span>{l}</span>
            <Handle type="source" position={Position.Bottom} id={`l${i}`} className="fe-handle" data-line={i} />
          </div>
        ))}
      </div>
    </div>
  );
});
const nodeTypes = { widget: WidgetNode };

function summary(d: WidgetData): string {
  const p = d.params ?? {};
  const first = (v: unknown) => (Array.isArray(v) ? v.join(", ") : typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v));
  switch (d.widget) {
    case "play":
      return first(p.media);
    case "gather":
    case "menu":
    case "play_and_record":
      return first(p.prompt);
    case "say":
      return `${first(p.type)} ${first(p.value)}`.trim();
    case "transfer":
      return first(p.endpoint);
    case "queue":
      return first(p.queue);
    case "webhook":
      return first(p.webhook ?? p.url);
    case "goto":
      return `→ ${first(p.node)}`;
    case "time_condition":
      return first(p.timezone);
    default:
      return "";
  }
}

function Pinned({ problems }: { problems: Problem[] }) {
  if (!problems.length) return null;
  return (
    <div className="field-error" role="alert">
      {problems.map((p, i) => <div key={i}>{p.message}</div>)}
    </div>
  );
}

function NodeForm({ node, g, vars, problems, setNode, setExit, rename, setStart, remove }: {
  node: GNode;
  g: Graph;
  vars: string[];
  problems: Problem[];
  setNode: (id: string, d: WidgetData, key: string) => void;
  setExit: (src: string, line: number, target: string) => void;
  rename: (from: string, to: string) => void;
  setStart: () => void;
  remove: () => void;
}) {
  void vars;
  const spec = WIDGET[node.data.widget];
  const params = node.data.params ?? {};
  const [idText, setIdText] = useState(node.id);
  const on = (field: string) => problems.filter((p) => problemField(p.field) === field);
  const known = new Set(["id", "exits", ...(spec?.fields.map((f) => f.name) ?? [])]);
  const other = problems.filter((p) => !known.has(problemField(p.field)));
  const set = (name: string, v: unknown) => {
    const next = { ...params };
    if (v === undefined || v === "") delete next[name];
    else next[name] = v;
    setNode(node.id, { ...node.data, params: next }, `${node.id}.${name}`);
  };
  const lines = nodeLines(node, g.edges);
  const exits = new Map(g.edges.filter((e) => e.source === node.id).map((e) => [handleLine(e.sourceHandle), e.target]));
  return (
    <div className="fe-form">
      <div className="fe-h">{spec?.label ?? node.data.widget}</div>
      <Pinned problems={other} />
      <label className="fe-field">
        <span>Node id</span>
        <input className="input" value={idText} aria-label="Node id" onChange={(e) => setIdText(e.target.value)} onBlur={() => rename(node.id, idText)} onKeyDown={(e) => e.key === "Enter" && rename(node.id, idText)} aria-invalid={on("id").length > 0} />
        <Pinned problems={on("id")} />
      </label>
      {g.meta.start === node.id ? <p className="muted fe-small">The flow starts here.</p> : <button type="button" className="btn btn-small" onClick={setStart}>Start the flow here</button>}
      {spec?.fields.map((f) => <ParamField key={f.name} f={f} value={params[f.name]} set={(v) => set(f.name, v)} problems={on(f.name)} nodes={g.nodes.map((n) => n.id)} />)}
      {lines.length > 0 && (
        <fieldset className="fe-exits">
          <legend>Exits</legend>
          {lines.map((l, i) => (
            <label key={i} className="fe-field">
              <span>{i}: {l}</span>
              <select className="input" aria-label={`Exit ${i} (${l})`} value={exits.get(i) ?? ""} onChange={(e) => setExit(node.id, i, e.target.value)}>
                <option value="">— ends the call</option>
                {g.nodes.map((n) => <option key={n.id} value={n.id}>{n.id}</option>)}
              </select>
            </label>
          ))}
          <Pinned problems={on("exits")} />
        </fieldset>
      )}
      <button type="button" className="btn btn-small btn-ghost-danger" onClick={remove}>Delete node</button>
    </div>
  );
}

function ParamField({ f, value, set, problems, nodes }: { f: FieldSpec; value: unknown; set: (v: unknown) => void; problems: Problem[]; nodes: string[] }) {
  const label = f.label ?? f.name.replace(/_/g, " ");
  const bad = problems.length > 0;
  let input: ReactNode;
  switch (f.kind) {
    case "media": {
      const items = Array.isArray(value) ? (value as string[]) : typeof value === "string" ? [value] : [];
      const put = (xs: string[]) => set(xs.length ? xs : undefined);
      input = (
        <div className="fe-media">
          {items.map((m, i) => (
            <div key={i} className="fe-media-row">
              <input className="input" list="sy-vars" aria-label={`${label} ${i + 1}`} value={m} aria-invalid={bad} onChange={(e) => put(items.map((x, j) => (j === i ? e.target.value : x)))} />
              <button type="button" className="btn btn-small" aria-label={`Remove ${label} ${i + 1}`} onClick={() => put(items.filter((_, j) => j !== i))}>×</button>
            </div>
          ))}
          <button type="button" className="btn btn-small" aria-label={`Add ${label} item`} onClick={() => put([...items, "sound:"])}>+ item</button>
        </div>
      );
      break;
    }
    case "int":
    case "seconds":
      input = <input className="input" type="number" step={f.kind === "seconds" ? "any" : 1} aria-label={label} aria-invalid={bad} value={value === undefined ? "" : String(value)} onChange={(e) => set(e.target.value === "" ? undefined : Number(e.target.value))} />;
      break;
    case "bool":
      input = (
        <select className="input" aria-label={label} value={value === undefined ? "" : value ? "yes" : "no"} onChange={(e) => set(e.target.value === "" ? undefined : e.target.value === "yes")}>
          <option value="">(default)</option>
          <option value="yes">yes</option>
          <option value="no">no</option>
        </select>
      );
      break;
    case "enum":
      input = (
        <select className="input" aria-label={label} aria-invalid={bad} value={value === undefined ? "" : String(value)} onChange={(e) => set(e.target.value || undefined)}>
          <option value="">(default)</option>
          {f.options?.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      );
      break;
    case "node":
      input = (
        <select className="input" aria-label={label} aria-invalid={bad} value={value === undefined ? "" : String(value)} onChange={(e) => set(e.target.value || undefined)}>
          <option value="">(choose a node)</option>
          {nodes.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      );
      break;
    case "json":
      input = <JSONField label={label} value={value} set={set} bad={bad} example={f.example} />;
      break;
    default:
      input = <input className="input" type={f.kind === "password" ? "password" : "text"} list={f.kind === "var" || f.kind === "text" ? "sy-vars" : undefined} aria-label={label} aria-invalid={bad} value={value === undefined ? "" : String(value)} onChange={(e) => set(e.target.value)} />;
  }
  return (
    <div className={`fe-field${bad ? " invalid" : ""}`} data-field={f.name}>
      <span>{label}{f.required ? " *" : ""}</span>
      {input}
      {f.hint && <small className="muted">{f.hint}</small>}
      <Pinned problems={problems} />
    </div>
  );
}

function JSONField({ label, value, set, bad, example }: { label: string; value: unknown; set: (v: unknown) => void; bad: boolean; example?: string }) {
  const shown = value === undefined ? "" : JSON.stringify(value);
  const [text, setText] = useState(shown);
  const [err, setErr] = useState("");
  // Undo, redo or a new version start the panel again (Editor's ext): the
  // text follows only the typing.
  return (
    <>
      <textarea className="input mono" rows={3} aria-label={label} aria-invalid={bad || !!err} placeholder={example} value={text} onChange={(e) => {
        const t = e.target.value;
        setText(t);
        if (t.trim() === "") {
          setErr("");
          return set(undefined);
        }
        try {
          set(JSON.parse(t));
          setErr("");
        } catch {
          setErr("Not JSON yet: the flow keeps the last valid value.");
        }
      }} />
      {err && <small className="warn-text">{err}</small>}
    </>
  );
}

function FlowForm({ g, isNew, setMeta, selected, problems, warnings, select }: { g: Graph; isNew: boolean; setMeta: (m: Graph["meta"], key: string) => void; selected: number; problems: Problem[]; warnings: { message: string; node?: string }[]; select: (id: string) => void }) {
  const vars = (g.meta.variables as string[] | undefined) ?? [];
  const joined = vars.join(", ");
  // The list changed from outside (opened, undone): the form starts again
  // (Editor's ext), and the text follows only the typing.
  const [varText, setVarText] = useState(joined);
  return (
    <div className="fe-form">
      <div className="fe-h">Flow</div>
      {isNew && <p className="muted fe-small fe-new">A new flow: drag widgets from the palette onto the canvas, then Save draft. To change a flow you have, open it from <a href="#/flows">Flows</a> (Edit).</p>}
      {selected > 1 && <p className="muted fe-small">{selected} nodes selected.</p>}
      <label className="fe-field">
        <span>Name</span>
        <input className="input" aria-label="Flow name" value={String(g.meta.name ?? "")} onChange={(e) => setMeta({ ...g.meta, name: e.target.value }, "name")} />
      </label>
      <label className="fe-field">
        <span>Type</span>
        <select className="input" aria-label="Flow type" value={String(g.meta.type ?? "")} onChange={(e) => setMeta({ ...g.meta, type: e.target.value }, "")}>
          {FLOW_TYPES.map((t) => <option key={t} value={t}>{FLOW_TYPE_LABEL[t] ?? t}</option>)}
        </select>
      </label>
      <label className="fe-field">
        <span>Start node</span>
        <select className="input" aria-label="Start node" value={String(g.meta.start ?? "")} onChange={(e) => setMeta({ ...g.meta, start: e.target.value }, "")}>
          <option value="">(none)</option>
          {g.nodes.map((n) => <option key={n.id} value={n.id}>{n.id}</option>)}
        </select>
      </label>
      <label className="fe-field">
        <span>Variables ($flow.key.*)</span>
        <input className="input" aria-label="Flow variables" value={varText} placeholder="customer_name, amount" onChange={(e) => {
          setVarText(e.target.value);
          const list = e.target.value.split(",").map((s) => s.trim()).filter(Boolean);
          setMeta({ ...g.meta, variables: list }, "variables");
        }} />
        <small className="muted">Declared names are offered in every field that takes a variable.</small>
      </label>
      {g.meta.type === "emergency_notification" && <NotificationTemplate g={g} setMeta={setMeta} />}
      <div className="fe-h">Problems</div>
      {problems.length === 0 ? <p className="muted fe-small">None outside the nodes: a node with problems shows their number; select it to see them at their fields.</p> : (
        <ul className="fe-problems" aria-label="Flow problems">
          {problems.map((p, i) => <li key={i}>{p.node ? <button type="button" className="link" onClick={() => select(p.node!)}>{p.node}</button> : null} <strong>{p.field}</strong>: {p.message}</li>)}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="fe-problems" aria-label="Warnings">
          {warnings.map((w, i) => <li key={i} className="warn-text">{w.node ? `${w.node}: ` : ""}{w.message}</li>)}
        </ul>
      )}
    </div>
  );
}

type Template = { sms_text?: string; email_subject?: string; email_text?: string };

// NotificationTemplate is an emergency notification flow's template
// script: the SMS text and the email a notification sends (the flow's
// variables as ${flow.key.x}); voice runs the graph.
function NotificationTemplate({ g, setMeta }: { g: Graph; setMeta: (m: Graph["meta"], key: string) => void }) {
  const t = (g.meta.notification as Template | undefined) ?? {};
  const set = (k: keyof Template, v: string) => {
    const next: Template = { ...t, [k]: v };
    if (!v) delete next[k];
    const meta = { ...g.meta, notification: next } as Graph["meta"];
    if (Object.keys(next).length === 0) delete meta.notification;
    setMeta(meta, "notification");
  };
  return (
    <>
      <div className="fe-h">Notification template</div>
      <label className="fe-field">
        <span>SMS text</span>
        <textarea className="input" aria-label="Notification SMS text" rows={3} value={t.sms_text ?? ""} placeholder="Evacuate ${flow.key.site} now" onChange={(e) => set("sms_text", e.target.value)} />
      </label>
      <label className="fe-field">
        <span>Email subject</span>
        <input className="input" aria-label="Notification email subject" value={t.email_subject ?? ""} onChange={(e) => set("email_subject", e.target.value)} />
      </label>
      <label className="fe-field">
        <span>Email text</span>
        <textarea className="input" aria-label="Notification email text" rows={4} value={t.email_text ?? ""} onChange={(e) => set("email_text", e.target.value)} />
        <small className="muted">Sent by Send Notification on the SMS and Email channels, with the flow&apos;s variables filled from its parameters.</small>
      </label>
    </>
  );
}

function LivePanel({ live, onClose }: { live: Live; onClose: () => void }) {
  return (
    <section className="fe-live" aria-label="Test call journey">
      <div className="fe-live-head">
        <strong>Test call to {live.number}</strong>
        <button type="button" className="btn btn-small" onClick={onClose}>Close</button>
      </div>
      <ol className="fe-live-steps" role="log" aria-live="polite">
        {live.steps.length === 0 && !live.end && <li className="muted">{live.active ? `In ${live.active}…` : "Ringing…"}</li>}
        {live.steps.map((s, i) => (
          <li key={i} className={s.error ? "bad-text" : undefined} data-step={s.node}>
            {s.node} <span className="muted">({s.type}){s.exit !== undefined ? ` → line ${s.exit}` : ""}{s.next ? ` → ${s.next}` : ""}</span>
            {s.outputs && Object.keys(s.outputs).length > 0 && <span className="muted"> {JSON.stringify(s.outputs)}</span>}
            {s.error && <div>{s.error}</div>}
          </li>
        ))}
        {live.active && live.steps.length > 0 && <li className="muted">In {live.active}…</li>}
      </ol>
      {live.end && <p className="fe-live-end" data-outcome={live.end.outcome}>Ended: <strong>{live.end.outcome}</strong>{live.end.status ? ` · ${live.end.status}` : ""}{live.end.reason ? ` · ${live.end.reason}` : ""}</p>}
      {live.error && <p className="warn-text">{live.error}</p>}
    </section>
  );
}

function TestCallModal({ onClose, onCall }: { onClose: () => void; onCall: (number: string) => void }) {
  const [n, setN] = useState("");
  const white = useLoadWhite();
  return (
    <Modal title="Test call" onClose={onClose} footer={<><button type="button" className="btn" onClick={onClose}>Cancel</button><button type="submit" form="test-call-form" className="btn btn-primary" disabled={!n}>Call</button></>}>
      <form id="test-call-form" onSubmit={(e) => { e.preventDefault(); if (n) onCall(n); }}>
        <p className="muted">The draft is saved, the number is called and runs the draft once answered; its journey lights up here node by node. Only numbers on the account's whitelist (verified by OTP) can be called.</p>
        <label className="fe-field">
          <span>Number</span>
          <input className="input" list="sy-white" aria-label="Number to call" value={n} onChange={(e) => setN(e.target.value)} autoFocus />
        </label>
        <datalist id="sy-white">{white.map((w) => <option key={w} value={w} />)}</datalist>
      </form>
    </Modal>
  );
}

function useLoadWhite(): string[] {
  const [list, setList] = useState<string[]>([]);
  useEffect(() => {
    call<{ entries?: { kind: string; value: string }[] }>(api.GET("/api/v1/calllists/access-lists", { params: { query: { list: "white", kind: "phone" } } }))
      .then((r) => setList((r.entries ?? []).filter((e) => e.kind === "phone").map((e) => e.value)))
      .catch(() => setList([]));
  }, []);
  return list;
}

function VersionsModal({ flow, current, admin, onClose, onOpen, onRolledBack }: { flow: Flow; current: FlowDocument; admin: boolean; onClose: () => void; onOpen: (d: FlowDocument) => void; onRolledBack: () => void }) {
  const fmt = useTime();
  const toast = useToast();
  const confirm = useConfirm();
  const [list, setList] = useState<FlowVersion[] | null>(null);
  const [err, setErr] = useState("");
  const [a, setA] = useState<number>(0);
  const [b, setB] = useState<number>(-1); // -1: the draft in the editor
  const [defs, setDefs] = useState<Record<number, unknown>>({});
  useEffect(() => {
    call<{ versions: FlowVersion[] }>(api.GET("/api/v1/flows/{id}/versions", { params: { path: { id: flow.id } } }))
      .then((r) => {
        const vs = (r.versions ?? []).slice().sort((x, y) => y.version - x.version);
        setList(vs);
        if (vs.length) setA(vs[0].version);
      })
      .catch((e: Error) => setErr(e.message));
  }, [flow.id]);
  const def = useCallback(async (v: number): Promise<unknown> => {
    if (v === -1) return current;
    if (defs[v]) return defs[v];
    const r = await call<FlowVersion>(api.GET("/api/v1/flows/{id}/versions/{version}", { params: { path: { id: flow.id, version: String(v) } } }));
    setDefs((d) => ({ ...d, [v]: r.definition }));
    return r.definition;
  }, [current, defs, flow.id]);
  const [diff, setDiff] = useState<ReturnType<typeof diffDocs> | null>(null);
  useEffect(() => {
    if (!a) return;
    let ok = true;
    void Promise.all([def(a), def(b)]).then(([x, y]) => ok && setDiff(diffDocs(x, y))).catch((e: Error) => setErr(e.message));
    return () => {
      ok = false;
    };
  }, [a, b, def]);
  const rollBack = async (v: number) => {
    const ask = flow.transactional
      ? { title: `Roll back to v${v}`, message: `Make version ${v} the draft and submit it for approval as a new version? It goes live once approved.`, confirm: "Submit for approval", danger: false }
      : { title: `Roll back to v${v}`, message: `Make version ${v} the draft and publish it as a new version? New calls run it at once. Unsaved changes in the editor are lost.`, confirm: "Roll back", danger: false };
    if (!(await confirm(ask))) return;
    try {
      const d = await def(v);
      await call(api.PUT("/api/v1/flows/{id}", { params: { path: { id: flow.id } }, body: d as Record<string, unknown> }));
      const r = await call<{ version: number; approval?: string }>(api.POST("/api/v1/flows/{id}/publish", { params: { path: { id: flow.id } } }));
      toast(r.approval === "pending" ? `Version ${v} submitted again as v${r.version}: it goes live once approved.` : `Rolled back: version ${v} is live again as v${r.version}.`);
      onRolledBack();
    } catch (e) {
      toast((e as Error).message, "error");
    }
  };
  const changed = diff ? diff.filter((l) => l.op !== " ").length : 0;
  return (
    <Modal title={`Versions of "${flow.name}"`} onClose={onClose} wide>
      <ErrorBox text={err} />
      {list && list.length === 0 && <p className="muted">Never published: publish the draft to make it live.</p>}
      {list && list.length > 0 && (
        <>
          <table className="table fe-versions">
            <caption className="sr-only">Versions</caption>
            <thead><tr><th>Version</th><th>Published</th><th>Approval</th><th>Actions</th></tr></thead>
            <tbody>
              {list.map((v) => (
                <tr key={v.version}>
                  <td className="num">v{v.version}{v.version === flow.published_version ? " (live)" : ""}</td>
                  <td>{fmt(v.published_at)}</td>
                  <td>{v.approval ? <Badge text={v.approval === "pending" ? "awaiting approval" : v.approval} /> : <span className="muted">not needed</span>}</td>
                  <td className="row-actions">
                    <button type="button" className="btn btn-small" onClick={() => void def(v.version).then((d) => onOpen(d as FlowDocument))}>Open</button>
                    {admin && <button type="button" className="btn btn-small" onClick={() => void rollBack(v.version)} aria-label={`Roll back to v${v.version}`}>Roll back</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="fe-diff-pick">
            <label>Compare <select className="input" aria-label="Compare version" value={a} onChange={(e) => setA(Number(e.target.value))}>{list.map((v) => <option key={v.version} value={v.version}>v{v.version}</option>)}</select></label>
            <label>with <select className="input" aria-label="With version" value={b} onChange={(e) => setB(Number(e.target.value))}><option value={-1}>the editor's draft</option>{list.map((v) => <option key={v.version} value={v.version}>v{v.version}</option>)}</select></label>
            <span className="muted">{diff ? (changed ? `${changed} changed line${changed > 1 ? "s" : ""}` : "no change in meaning (positions are not compared)") : ""}</span>
          </div>
          {diff && (
            <pre className="diff" tabIndex={0} aria-label="Changes between the versions">
              {diff.map((l, i) => <span key={i} className={l.op === "+" ? "diff-add" : l.op === "-" ? "diff-del" : undefined}>{l.op === " " ? "  " : `${l.op} `}{l.text}</span>)}
            </pre>
          )}
        </>
      )}
    </Modal>
  );
}
