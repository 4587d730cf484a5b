import { Suspense, useEffect, useState, type ReactNode } from "react";
import { SessionProvider, useSession } from "./session";
import { ToastProvider } from "./ui/Toast";
import { ConfirmProvider } from "./ui/Confirm";
import { useRoute, navigate } from "./router";
import { NAV, minRole } from "./nav";
import { Login } from "./pages/Login";
import { pages } from "./pages";
import { publicPages } from "./pages/Public";

export function App() {
  return (
    <ToastProvider>
      <ConfirmProvider>
        <SessionProvider>
          <Root />
        </SessionProvider>
      </ConfirmProvider>
    </ToastProvider>
  );
}

function Root() {
  const { session, loading } = useSession();
  const route = useRoute();
  // The mailed links and "Forgot password?" open without a session (and
  // even with one: a reset link opened in a logged-in browser still works).
  const pub = publicPages[route.path];
  if (pub) return <>{pub()}</>;
  if (loading) {
    return (
      <div className="center-page" aria-busy="true">
        Loading…
      </div>
    );
  }
  if (!session) return <Login />;
  return <Shell />;
}

function home(role: string): string {
  return role === "agent" ? "/desk" : role === "operator" ? "/operator/accounts" : "/requests";
}

function Shell() {
  const { session, can, logout } = useSession();
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const role = session!.user.role;
  useEffect(() => {
    if (route.path === "/") navigate(home(role));
    setMenuOpen(false);
  }, [route.path, role]);
  useEffect(() => {
    const t = NAV.flatMap((g) => g.items).find((i) => i.path === route.path);
    document.title = t ? `${t.label} · Switchyard` : "Switchyard console";
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [route.path]);
  const need = minRole(route.path);
  const Page = pages[route.path];
  let content: ReactNode;
  if (!Page) {
    content = route.path === "/" ? null : <NotFound />;
  } else if (need && !can(need)) {
    content = <Forbidden />;
  } else {
    content = <Page />;
  }
  return (
    <div className={`shell${menuOpen ? " menu-open" : ""}`}>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header className="topbar">
        <button type="button" className="menu-btn" aria-label="Menu" aria-expanded={menuOpen} aria-controls="sidenav" onClick={() => setMenuOpen((x) => !x)}>
          <span aria-hidden="true">☰</span> Menu
        </button>
        <a className="brand" href="#/">
          Switchyard
        </a>
        <div className="topbar-right">
          <span className="who" title={session!.user.email}>
            {session!.user.name || session!.user.email}
            <span className="muted"> · {role}{session!.account ? ` · ${session!.account.name}` : ""}</span>
          </span>
          <button type="button" className="btn btn-small" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </header>
      <nav id="sidenav" className="sidenav" aria-label="Main">
        {NAV.map((g) => {
          const items = g.items.filter((i) => (i.only ? role === i.only : i.anyone || can(i.min)));
          if (items.length === 0) return null;
          return (
            <div className="nav-group" key={g.label}>
              <div className="nav-group-label">{g.label}</div>
              <ul>
                {items.map((i) => (
                  <li key={i.path}>
                    <a href={`#${i.path}`} onClick={() => setMenuOpen(false)} aria-current={route.path === i.path ? "page" : undefined}>
                      {i.label}
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <Suspense fallback={<div className="muted" aria-busy="true">Loading…</div>}>{content}</Suspense>
      </main>
    </div>
  );
}

function Forbidden() {
  return (
    <div className="notice" role="alert">
      <h1>Not allowed</h1>
      <p>Your role does not give access to this page. Ask an administrator of the account if you need it.</p>
    </div>
  );
}

function NotFound() {
  return (
    <div className="notice">
      <h1>No such page</h1>
      <p>
        <a href="#/">Go to the start page</a>
      </p>
    </div>
  );
}
