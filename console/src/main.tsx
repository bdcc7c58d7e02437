import { lazy, StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { AcceptLink } from "./auth/AcceptLink";
import { SignIn } from "./auth/SignIn";
import { ActivityPage } from "./activity/ActivityPage";
import { lastEnvironment } from "./app/viewer";
import { Shell } from "./app/Shell";
import { IntegrationsPage } from "./integrations/IntegrationsPage";
import { KeysPage } from "./keys/KeysPage";
import { PublishablePage } from "./publishable/PublishablePage";
import { SettingsPage } from "./settings/SettingsPage";
import { UsersPage } from "./users/UsersPage";
import "./ui/styles.css";

// GraphiQL is large: it loads only when the Playground is opened.
const PlaygroundPage = lazy(() => import("./playground/PlaygroundPage"));

function Start() {
  return <Navigate to={`/${lastEnvironment() ?? "production"}/keys`} replace />;
}

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <BrowserRouter basename="/console">
      <Routes>
        <Route index element={<Start />} />
        <Route path="sign-in" element={<SignIn />} />
        <Route path="setup" element={<AcceptLink purpose="setup" />} />
        <Route path="invitation" element={<AcceptLink purpose="invitation" />} />
        <Route path="reset-password" element={<AcceptLink purpose="reset" />} />
        <Route path=":env" element={<Shell />}>
          <Route index element={<Navigate to="keys" replace />} />
          <Route path="keys" element={<KeysPage />} />
          <Route path="keys/:keyId" element={<KeysPage />} />
          <Route path="publishable" element={<PublishablePage />} />
          <Route path="integrations" element={<IntegrationsPage />} />
          <Route path="activity" element={<ActivityPage />} />
          <Route path="users" element={<UsersPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route
            path="playground"
            element={
              <Suspense fallback={<p>Loading the playground…</p>}>
                <PlaygroundPage />
              </Suspense>
            }
          />
        </Route>
      </Routes>
    </BrowserRouter>
  </StrictMode>,
);
