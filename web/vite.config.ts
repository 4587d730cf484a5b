import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The console is served by the switchyard binary: index.html at / and hashed
// assets under /assets/. Nothing is inlined (the page's CSP allows only
// 'self' scripts and styles) and nothing is loaded from another origin.
export default defineConfig({
  plugins: [react()],
  base: "/",
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
