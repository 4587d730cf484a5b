// "react" as the editor's libraries see it (@xyflow/react, zustand):
// Preact's compat layer by name, without its default export. zustand
// imports React's default object, and compat's default object holds every
// compat function: taken from the shared compat module, it would pull all
// of them into the console's entry chunk (the compat module lives there).
// vite.config.ts points these libraries' "react" here.
import { useDebugValue } from "preact/compat";

export * from "preact/compat";
export default { useDebugValue };
