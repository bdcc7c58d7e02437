import { useMemo } from "react";
import { Navigate, NavLink, Outlet, useLocation, useNavigate, useParams } from "react-router";
import { Provider, useQuery } from "urql";
import { clientFor, postJson } from "../api/client";
import { problemOfError } from "../api/errors";
import { ProblemMessage } from "../ui/Problem";
import { rememberEnvironment, ViewerProvider, ViewerQuery, type Viewer } from "./viewer";

const ROLE_LABELS: Record<string, string> = { OWNER: "Owner", MEMBER: "Member", READ_ONLY: "Read-only" };

/** Every signed-in page: the header with the environment switcher, the navigation, the page. */
export function Shell() {
  const { env = "production" } = useParams();
  const client = useMemo(() => clientFor(env), [env]);
  return (
    <Provider value={client}>
      <SignedIn env={env} />
    </Provider>
  );
}

function SignedIn({ env }: { env: string }) {
  const [{ data, error, fetching }] = useQuery({ query: ViewerQuery, requestPolicy: "cache-first" });
  const location = useLocation();
  const problem = problemOfError(error);
  if (problem?.code === "UNAUTHENTICATED") {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/sign-in?next=${next}`} replace />;
  }
  if (problem?.code === "BAD_USER_INPUT") {
    // No environment of that name: open the console where it starts.
    return <Navigate to="/" replace />;
  }
  if (!data) {
    return (
      <div className="page-loading" aria-busy={fetching}>
        {problem ? <ProblemMessage problem={problem} /> : <p>Loading…</p>}
      </div>
    );
  }
  rememberEnvironment(env);
  return (
    <ViewerProvider value={data.viewer}>
      <Header viewer={data.viewer} />
      <div className="layout">
        <Navigation />
        <main id="main" className="content">
          <Outlet />
        </main>
      </div>
    </ViewerProvider>
  );
}

function Header({ viewer }: { viewer: Viewer }) {
  const navigate = useNavigate();
  const location = useLocation();
  const { env } = useParams();
  const switchTo = (slug: string) => {
    // Stay on the same page of the other environment; a key's panel belongs to one environment.
    const rest = location.pathname.split("/").slice(2);
    const page = rest[0] === "keys" ? "keys" : rest.join("/") || "keys";
    navigate(`/${slug}/${page}`);
  };
  const signOut = async () => {
    await postJson("/auth/logout", {});
    navigate("/sign-in", { replace: true });
  };
  return (
    <header className="topbar">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <span className="brand">Keyplane</span>
      <span className="account">{viewer.account.name}</span>
      <label className="environment-switcher">
        <span>Environment</span>
        <select value={env} onChange={(e) => switchTo(e.target.value)}>
          {viewer.environments.map((e) => (
            <option key={e.id} value={e.slug}>
              {e.name}
            </option>
          ))}
        </select>
      </label>
      <span className="spacer" />
      {viewer.user ? (
        <span className="who">
          {viewer.user.displayName} · {ROLE_LABELS[viewer.user.role] ?? viewer.user.role}
        </span>
      ) : null}
      <button type="button" className="button secondary" onClick={() => void signOut()}>
        Sign out
      </button>
    </header>
  );
}

const PAGES: [string, string][] = [
  ["keys", "API keys"],
  ["publishable", "Publishable key"],
  ["integrations", "Integrations"],
  ["activity", "Activity"],
  ["users", "Users"],
  ["settings", "Settings"],
  ["playground", "Playground"],
];

function Navigation() {
  return (
    <nav aria-label="Console" className="sidebar">
      <ul>
        {PAGES.map(([path, label]) => (
          <li key={path}>
            <NavLink to={path}>{label}</NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
