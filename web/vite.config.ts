/// <reference types="node" />
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

// earlyScript adds src/early.js to the build as a chunk of its own (it
// imports nothing, so it runs as a classic script: an async module script
// waits for the main thread to compile the entry module first): a tiny
// script, loaded async ahead of the entry, that
// starts the first API requests of a page load and preloads the opened
// screen's code while the entry script still downloads and compiles. The
// screens' chunk files (each screen module's chunk and the chunks it
// imports, not the entry) go into index.html as JSON in a meta element
// (sy-screens: data, no inline script), where early.js reads them.
function earlyScript(): Plugin {
  let ref = "";
  return {
    name: "switchyard-early-script",
    apply: "build",
    enforce: "post",
    buildStart() {
      ref = this.emitFile({ type: "chunk", id: "/src/early.js", name: "early" });
    },
    generateBundle(_, bundle) {
      const early = this.getFileName(ref);
      const chunks = Object.values(bundle).flatMap((c) => (c.type === "chunk" ? [c] : []));
      const entry = chunks.find((c) => c.isEntry && c.fileName !== early);
      const html = bundle["index.html"];
      if (!entry || !html || html.type !== "asset") return this.error("early script: no entry chunk or index.html in the bundle");
      const byFile = new Map(chunks.map((c) => [c.fileName, c]));
      const screens: Record<string, string[]> = {};
      for (const c of chunks) {
        const m = c.facadeModuleId?.match(/\/src\/pages\/(\w+)\.tsx$/);
        if (!m || c.isEntry) continue;
        const files = new Set<string>();
        const walk = (f: string) => {
          if (f === entry.fileName || files.has(f)) return;
          files.add(f);
          byFile.get(f)?.imports.forEach(walk);
        };
        walk(c.fileName);
        screens[m[1]] = [...files].map((f) => "/" + f);
      }
      const page = String(html.source);
      const tag = /<script type="module" crossorigin src="\/assets\/[^"]+"><\/script>/;
      if (!tag.test(page)) return this.error("early script: the entry's script tag is not in index.html");
      html.source = page.replace(
        tag,
        (t) =>
          `<meta name="sy-screens" content='${JSON.stringify(screens).replace(/&/g, "&amp;").replace(/'/g, "&#39;").replace(/</g, "&lt;")}' />\n` +
          `    <script async src="/${early}"></script>\n    ${t}`,
      );
    },
  };
}

// precompress writes each script and style also brotli- and
// gzip-compressed (name.br, name.gz, at the highest levels: it is done
// once, at build time); the binary serves the one the browser accepts
// with its Content-Encoding. It compresses the files as written (Vite
// still edits chunks after generateBundle).
function precompress(): Plugin {
  return {
    name: "switchyard-precompress",
    apply: "build",
    enforce: "post",
    writeBundle(options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css)$/.test(name)) continue;
        const file = join(options.dir ?? "dist", name);
        const raw = readFileSync(file);
        const br = brotliCompressSync(raw, {
          params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
        });
        writeFileSync(file + ".br", br);
        writeFileSync(file + ".gz", gzipSync(raw, { level: 9 }));
      }
    },
  };
}

// editorLibraries gives the flow editor's libraries (@xyflow/react and
// its store, zustand) a "react" without compat's default export and an
// ES-module useSyncExternalStoreWithSelector (src/editor/react-shim.js,
// with-selector.ts): with the default object or the CommonJS shim,
// every compat function would land in the console's entry chunk, where
// the shared compat module lives, instead of the editor's chunk.
function editorLibraries(): Plugin {
  const shim = fileURLToPath(new URL("./src/editor/react-shim.js", import.meta.url));
  return {
    name: "switchyard-editor-libraries",
    enforce: "pre",
    resolveId(source, importer) {
      if (source === "preact/compat" && importer && /[\\/]node_modules[\\/](zustand|@xyflow)[\\/]/.test(importer)) return shim;
      return null;
    },
  };
}

// The console is served by the switchyard binary: index.html at / and hashed
// assets under /assets/. Nothing is inlined (the page's CSP allows only
// 'self' scripts and styles) and nothing is loaded from another origin.
export default defineConfig({
  plugins: [editorLibraries(), react(), earlyScript(), precompress()],
  base: "/",
  // The components are written against React's API and types, and run on
  // Preact's compat layer: the entry is 52 kB instead of 251 kB (React was
  // 190 kB of it), which a cold load has to download, compile and run
  // before the first draw.
  resolve: {
    alias: [
      { find: /^react\/jsx-runtime$/, replacement: "preact/jsx-runtime" },
      { find: /^react\/jsx-dev-runtime$/, replacement: "preact/jsx-dev-runtime" },
      { find: /^react-dom\/client$/, replacement: "preact/compat/client" },
      { find: /^react-dom$/, replacement: "preact/compat" },
      { find: /^react$/, replacement: "preact/compat" },
      { find: /^use-sync-external-store\/shim\/with-selector(\.js)?$/, replacement: fileURLToPath(new URL("./src/editor/with-selector.ts", import.meta.url)) },
    ],
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8080", "/recordings": "http://127.0.0.1:8080" },
  },
});
