// The entry module. boot goes first: it starts the session check (and the
// first request of the screen opened) before React is even evaluated.
import { takeFirstPath } from "./boot";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { preloadScreen } from "./pages";
import "./styles.css";

// The code of the screen opened, split from the entry, loads beside the
// session check; the console draws once it is here, so that screen never
// waits behind a loading placeholder.
void preloadScreen(takeFirstPath()).then(() => {
  performance.mark("sy:screen-code");
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
});
