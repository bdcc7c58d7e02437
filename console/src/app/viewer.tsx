import { createContext, useContext } from "react";
import { graphql, type ResultOf } from "../graphql";

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      user { id email displayName role }
      environment { id slug name type recoverableKeys }
      environments { id slug name type }
      account { id name plan }
    }
  }
`);

export type Viewer = ResultOf<typeof ViewerQuery>["viewer"];
export type Role = NonNullable<Viewer["user"]>["role"];

const ViewerContext = createContext<Viewer | null>(null);
export const ViewerProvider = ViewerContext.Provider;

/** The signed-in user, the environment the page acts in and the account. */
export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error("useViewer outside the signed-in shell");
  return viewer;
}

/** What the role lets a person do; the server decides, this only hides controls that would fail. */
export function usePermissions() {
  const viewer = useViewer();
  const role = viewer.user?.role ?? "READ_ONLY";
  return {
    role,
    canWrite: role !== "READ_ONLY",
    isOwner: role === "OWNER",
    canReveal: role === "OWNER" || role === "MEMBER",
  };
}

/** The environment last worked in, so /console opens where the person left off. */
const LAST_ENVIRONMENT = "keyplane.environment";
export function rememberEnvironment(slug: string): void {
  try {
    localStorage.setItem(LAST_ENVIRONMENT, slug);
  } catch {
    // Storage may be off (private windows); the console then opens the first environment.
  }
}
export function lastEnvironment(): string | null {
  try {
    return localStorage.getItem(LAST_ENVIRONMENT);
  } catch {
    return null;
  }
}
