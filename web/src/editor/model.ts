// The flow editor's model: a flow document (format 1, flows/doc.go) as
// the canvas's nodes and edges and back. It has no UI, so the round trip
// is tested on its own (model.test.ts, over every flow in testdata/flows).
//
// Node positions live in the document's editor-only "layout" key
// ({"node id": {x, y}}): the validator checks only its shape and the
// engine never reads it, so moving a node changes nothing a flow does.
import dagre from "@dagrejs/dagre";
import { lineLabels } from "./widgets";

export type Params = Record<string, unknown>;

export interface FlowNodeDoc {
  id: string;
  type: string;
  params?: Params;
  exits?: string[];
}

export interface FlowDocument {
  format?: number;
  name?: string;
  type?: string;
  start?: string;
  variables?: string[];
  nodes?: FlowNodeDoc[];
  layout?: Record<string, { x: number; y: number }>;
  [k: string]: unknown;
}

/** WidgetData is a canvas node's data: the widget and its parameters. */
export interface WidgetData extends Record<string, unknown> {
  widget: string;
  params?: Params;
}

export interface GNode {
  id: string;
  type: "widget";
  position: { x: number; y: number };
  data: WidgetData;
  selected?: boolean;
}

export interface GEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: "in";
  selected?: boolean;
}

/** Meta is the document outside its nodes and layout, in its key order. */
export type Meta = Record<string, unknown>;

export interface Graph {
  meta: Meta;
  nodes: GNode[];
  edges: GEdge[];
}

export const NODE_W = 190;
export const NODE_H = 84;

export const edgeID = (source: string, line: number) => `${source}~${line}`;
export const handleLine = (h: string | null | undefined) => (h && h.startsWith("l") ? Number(h.slice(1)) : 0);

/** toGraph opens a document: nodes where the layout puts them (auto-laid out when it has none). */
export function toGraph(doc: FlowDocument): Graph {
  const meta: Meta = {};
  for (const [k, v] of Object.entries(doc)) if (k !== "nodes" && k !== "layout") meta[k] = v;
  const docNodes = Array.isArray(doc.nodes) ? doc.nodes : [];
  const ids = new Set(docNodes.map((n) => n.id));
  const nodes: GNode[] = docNodes.map((n) => ({
    id: n.id,
    type: "widget",
    position: doc.layout?.[n.id] ? { x: doc.layout[n.id].x, y: doc.layout[n.id].y } : { x: 0, y: 0 },
    data: n.params === undefined ? { widget: n.type } : { widget: n.type, params: n.params },
  }));
  const edges: GEdge[] = [];
  for (const n of docNodes) {
    (n.exits ?? []).forEach((target, line) => {
      // An exit to a node that does not exist stays in the document (the
      // validator names it) but has no edge to draw: keep it as a param of
      // the node's data so it saves back.
      if (target && ids.has(target)) edges.push({ id: edgeID(n.id, line), source: n.id, sourceHandle: `l${line}`, target, targetHandle: "in" });
    });
  }
  for (const n of docNodes) {
    const dangling = (n.exits ?? []).map((t, line) => (t && !ids.has(t) ? [line, t] : null)).filter(Boolean) as [number, string][];
    if (dangling.length) {
      const node = nodes.find((x) => x.id === n.id)!;
      node.data = { ...node.data, dangling: Object.fromEntries(dangling) };
    }
  }
  const laid = docNodes.length > 0 && docNodes.every((n) => doc.layout?.[n.id]);
  return { meta, nodes: laid ? nodes : autoLayout(nodes, edges), edges };
}

/** exitsOf is a node's exits array as the document writes it (no trailing empty lines). */
export function exitsOf(id: string, edges: GEdge[], dangling?: Record<number, string>): string[] {
  const exits: string[] = [];
  if (dangling) for (const [line, t] of Object.entries(dangling)) exits[Number(line)] = t;
  for (const e of edges) if (e.source === id) exits[handleLine(e.sourceHandle)] = e.target;
  for (let i = 0; i < exits.length; i++) exits[i] = exits[i] ?? "";
  while (exits.length && exits[exits.length - 1] === "") exits.pop();
  return exits;
}

/** toDoc saves the canvas as a document, positions in its layout key. */
export function toDoc(g: Graph, withLayout = true): FlowDocument {
  const doc: FlowDocument = { ...g.meta };
  doc.nodes = g.nodes.map((n) => {
    const out: FlowNodeDoc = { id: n.id, type: n.data.widget };
    if (n.data.params !== undefined) out.params = n.data.params;
    const exits = exitsOf(n.id, g.edges, n.data.dangling as Record<number, string> | undefined);
    if (exits.length) out.exits = exits;
    return out;
  });
  if (withLayout) doc.layout = Object.fromEntries(g.nodes.map((n) => [n.id, { x: Math.round(n.position.x), y: Math.round(n.position.y) }]));
  return doc;
}

/**
 * normalize is a document's meaning as canonical JSON: keys sorted, no
 * layout, no trailing empty exit lines (a missing line ends the flow just
 * as an empty one does), no empty exits or params.
 */
export function normalize(doc: unknown): string {
  const d = JSON.parse(JSON.stringify(doc)) as FlowDocument;
  delete d.layout;
  for (const n of d.nodes ?? []) {
    if (n.exits) {
      while (n.exits.length && n.exits[n.exits.length - 1] === "") n.exits.pop();
      if (!n.exits.length) delete n.exits;
    }
    if (n.params && typeof n.params === "object" && !Object.keys(n.params).length) delete n.params;
  }
  return canonical(d);
}

export function canonical(v: unknown, indent = ""): string {
  const inner = indent === "" ? "" : indent;
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x, inner)).join(",")}]`;
  if (v && typeof v === "object") {
    const keys = Object.keys(v as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k], inner)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** autoLayout places the nodes top to bottom along their exits (dagre). */
export function autoLayout<N extends { id: string; position: { x: number; y: number } }>(nodes: N[], edges: { source: string; target: string }[]): N[] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const e of edges) if (e.source !== e.target) g.setEdge(e.source, e.target);
  dagre.layout(g);
  return nodes.map((n) => {
    const p = g.node(n.id);
    return p ? { ...n, position: { x: Math.round(p.x - NODE_W / 2), y: Math.round(p.y - NODE_H / 2) } } : n;
  });
}

/** lines of a node (labels of its exit handles). */
export function nodeLines(n: GNode, edges: GEdge[]): string[] {
  return lineLabels(n.data.widget, n.data.params, exitsOf(n.id, edges, n.data.dangling as Record<number, string> | undefined).length);
}

/** newID is a node id not yet used: the widget's name and a number. */
export function newID(widget: string, used: Set<string>): string {
  for (let i = 1; ; i++) {
    const id = `${widget}_${i}`;
    if (!used.has(id)) return id;
  }
}

/** renameNode changes a node's id everywhere it is named (exits, start, goto). */
export function renameNode(g: Graph, from: string, to: string): Graph {
  const nodes = g.nodes.map((n) => {
    let data = n.data;
    if (n.data.widget === "goto" && n.data.params?.node === from) data = { ...data, params: { ...n.data.params, node: to } };
    return n.id === from ? { ...n, id: to, data } : data === n.data ? n : { ...n, data };
  });
  const edges = g.edges.map((e) => {
    if (e.source !== from && e.target !== from) return e;
    const source = e.source === from ? to : e.source;
    return { ...e, id: edgeID(source, handleLine(e.sourceHandle)), source, target: e.target === from ? to : e.target };
  });
  const meta = g.meta.start === from ? { ...g.meta, start: to } : g.meta;
  return { meta, nodes, edges };
}

export interface DiffLine {
  op: " " | "+" | "-";
  text: string;
}

/** diffDocs is the line diff of two versions' documents (indented, without their layout). */
export function diffDocs(a: unknown, b: unknown): DiffLine[] {
  const lines = (d: unknown) => {
    if (!d) return [];
    const c = JSON.parse(JSON.stringify(d)) as FlowDocument;
    delete c.layout;
    return JSON.stringify(c, null, 2).split("\n");
  };
  const x = lines(a);
  const y = lines(b);
  if (x.length * y.length > 4_000_000) return [...x.map((text) => ({ op: "-" as const, text })), ...y.map((text) => ({ op: "+" as const, text }))];
  const lcs: Int32Array[] = Array.from({ length: x.length + 1 }, () => new Int32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      out.push({ op: " ", text: x[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: "-", text: x[i++] });
    else out.push({ op: "+", text: y[j++] });
  }
  while (i < x.length) out.push({ op: "-", text: x[i++] });
  while (j < y.length) out.push({ op: "+", text: y[j++] });
  return out;
}

/** problemField is the parameter a validator field names ("params.media[0]" → "media"). */
export function problemField(field: string | undefined): string {
  if (!field) return "";
  const m = field.match(/^params\.([A-Za-z0-9_]+)/);
  if (m) return m[1];
  if (/^exits/.test(field)) return "exits";
  if (/^nodes\[\d+\]\.id$/.test(field)) return "id";
  return field;
}
