// The round trip: every flow in testdata/flows opens in the editor's model
// and saves back with the same meaning (the same JSON after normalize),
// with a layout for every node; moving nodes or laying them out again
// changes only the layout.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { autoLayout, diffDocs, normalize, renameNode, toDoc, toGraph, type FlowDocument } from "./model";
import { WIDGET, lineLabels } from "./widgets";

const dir = join(__dirname, "..", "..", "..", "testdata", "flows");
const files = readdirSync(dir).filter((f) => f.endsWith(".json"));

describe("round trip over testdata/flows", () => {
  it("has flows to test", () => expect(files.length).toBeGreaterThanOrEqual(6));
  for (const file of files) {
    it(file, () => {
      const doc = JSON.parse(readFileSync(join(dir, file), "utf8")) as FlowDocument;
      const g = toGraph(doc);
      const saved = toDoc(g);
      expect(normalize(saved)).toBe(normalize(doc));
      expect(Object.keys(saved.layout ?? {}).sort()).toEqual((doc.nodes ?? []).map((n) => n.id).sort());
      // Every widget it uses is in the palette, and every exit it uses has a line.
      for (const n of doc.nodes ?? []) {
        expect(WIDGET[n.type], n.type).toBeTruthy();
        expect(lineLabels(n.type, n.params, n.exits?.length ?? 0).length).toBeGreaterThanOrEqual(n.exits?.length ?? 0);
      }
      // Opened again (now with a layout), moved and laid out again: same meaning.
      const again = toGraph(JSON.parse(JSON.stringify(saved)));
      expect(again.nodes.map((n) => n.position)).toEqual(g.nodes.map((n) => ({ x: Math.round(n.position.x), y: Math.round(n.position.y) })));
      const moved = { ...again, nodes: autoLayout(again.nodes.map((n) => ({ ...n, position: { x: n.position.x + 500, y: 3 } })), again.edges) };
      expect(normalize(toDoc(moved))).toBe(normalize(doc));
      expect(diffDocs(doc, toDoc(moved)).filter((l) => l.op !== " ").length).toBeLessThanOrEqual(
        // only formatting differences (exits' trailing empty lines), never a node
        (doc.nodes ?? []).reduce((k, n) => k + ((n.exits ?? []).at(-1) === "" ? 2 : 0), 0),
      );
    });
  }
});

describe("model", () => {
  it("keeps an exit to a missing node so the validator still names it", () => {
    const doc: FlowDocument = { format: 1, name: "x", type: "inbound", start: "a", nodes: [{ id: "a", type: "play", params: { media: ["sound:x"] }, exits: ["", "nowhere"] }] };
    expect(normalize(toDoc(toGraph(doc)))).toBe(normalize(doc));
  });
  it("renames a node in exits, start and goto", () => {
    const doc: FlowDocument = { format: 1, name: "x", type: "inbound", start: "a", nodes: [{ id: "a", type: "answer", exits: ["b"] }, { id: "b", type: "goto", params: { node: "a" } }] };
    const out = toDoc(renameNode(toGraph(doc), "a", "first"), false);
    expect(out).toEqual({ format: 1, name: "x", type: "inbound", start: "first", nodes: [{ id: "first", type: "answer", exits: ["b"] }, { id: "b", type: "goto", params: { node: "first" } }] });
  });
  it("labels a menu's digit lines", () => {
    expect(lineLabels("menu", { options: { "1": 2, "2": 3, "0": 0 } }, 0)).toEqual(["digit 0", "no input / invalid", "digit 1", "digit 2"]);
  });
  it("diffs without the layout", () => {
    const a = { name: "x", layout: { a: { x: 1, y: 1 } } };
    const b = { name: "y", layout: { a: { x: 9, y: 9 } } };
    expect(diffDocs(a, b).filter((l) => l.op !== " ")).toEqual([{ op: "-", text: '  "name": "x"' }, { op: "+", text: '  "name": "y"' }]);
  });
});
