// Hash routing: the binary serves index.html only at /, every screen lives
// behind #/ (e.g. /#/reports?request_id=...).
import { useEffect, useState } from "react";

export interface Route {
  path: string;
  query: URLSearchParams;
}

function read(): Route {
  const h = window.location.hash.replace(/^#/, "") || "/";
  const [path, q] = h.split("?", 2);
  return { path: path || "/", query: new URLSearchParams(q ?? "") };
}

export function useRoute(): Route {
  const [r, setR] = useState(read);
  useEffect(() => {
    const on = () => setR(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return r;
}

export function navigate(path: string, query?: Record<string, string>) {
  const q = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "")).toString() : "";
  window.location.hash = q ? `${path}?${q}` : path;
}
