import * as Tabs from "@radix-ui/react-tabs";
import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { problemOfError } from "../api/errors";
import { usePermissions } from "../app/viewer";
import { ProblemMessage } from "../ui/Problem";
import { AuditLog } from "./AuditLog";
import { EnableKey, KeyQuery } from "./documents";
import { DisableDialog, ExpirationDialog, RevokeDialog } from "./ChangeDialogs";
import { Overview } from "./Overview";
import { Permissions } from "./Permissions";
import { RotateDialog } from "./RotateDialog";
import { keyActions } from "./rules";
import { Usage } from "./Usage";

type Dialog = "rotate" | "expiration" | "disable" | "revoke" | null;

/** The key's detail panel: overview, permissions, audit log and usage, and its lifecycle actions. */
export function KeyPanel({ id, backTo }: { id: string; backTo: string }) {
  const [{ data, error }] = useQuery({ query: KeyQuery, variables: { id } });
  const perms = usePermissions();
  const [dialog, setDialog] = useState<Dialog>(null);
  const key = data?.apiKey;
  return (
    <aside className="panel" aria-labelledby="key-title">
      <div className="panel-head">
        <h2 id="key-title">{key ? key.name : "Key"}</h2>
        <Link to={backTo} className="button secondary" aria-label="Close key details">
          Close
        </Link>
      </div>
      <ProblemMessage problem={problemOfError(error)} />
      {data && !key ? <p>No such key in this environment.</p> : null}
      {!data && !error ? <p aria-busy="true">Loading…</p> : null}
      {key ? (
        <>
          <Actions id={key.id} actions={keyActions(key, perms)} open={setDialog} />
          <Tabs.Root defaultValue="overview" className="tabs">
            <Tabs.List aria-label="Key details" className="tab-list">
              <Tabs.Trigger value="overview">Overview</Tabs.Trigger>
              <Tabs.Trigger value="permissions">Permissions</Tabs.Trigger>
              <Tabs.Trigger value="audit">Audit log</Tabs.Trigger>
              <Tabs.Trigger value="usage">Usage</Tabs.Trigger>
            </Tabs.List>
            <Tabs.Content value="overview">
              <Overview apiKey={key} editable={keyActions(key, perms)} />
            </Tabs.Content>
            <Tabs.Content value="permissions">
              <Permissions apiKey={key} editable={keyActions(key, perms).editNameAndScopes} />
            </Tabs.Content>
            <Tabs.Content value="audit">
              <AuditLog id={key.id} />
            </Tabs.Content>
            <Tabs.Content value="usage">
              <Usage id={key.id} />
            </Tabs.Content>
          </Tabs.Root>
          {dialog === "rotate" ? <RotateDialog apiKey={key} onClose={() => setDialog(null)} /> : null}
          {dialog === "expiration" ? <ExpirationDialog apiKey={key} onClose={() => setDialog(null)} /> : null}
          {dialog === "disable" ? <DisableDialog apiKey={key} onClose={() => setDialog(null)} /> : null}
          {dialog === "revoke" ? <RevokeDialog apiKey={key} onClose={() => setDialog(null)} /> : null}
        </>
      ) : null}
    </aside>
  );
}

function Actions({ id, actions, open }: { id: string; actions: ReturnType<typeof keyActions>; open: (d: Dialog) => void }) {
  const [enabling, enable] = useMutation(EnableKey);
  if (!actions.rotate && !actions.changeExpiration && !actions.disable && !actions.enable && !actions.revoke) return null;
  return (
    <div className="actions" role="group" aria-label="Key actions">
      <ProblemMessage problem={problemOfError(enabling.error)} />
      {actions.rotate ? (
        <button type="button" className="button secondary" onClick={() => open("rotate")}>
          Rotate key
        </button>
      ) : null}
      {actions.changeExpiration ? (
        <button type="button" className="button secondary" onClick={() => open("expiration")}>
          Change expiration
        </button>
      ) : null}
      {actions.disable ? (
        <button type="button" className="button secondary" onClick={() => open("disable")}>
          Disable key
        </button>
      ) : null}
      {actions.enable ? (
        <button type="button" className="button secondary" disabled={enabling.fetching} onClick={() => void enable({ input: { id } })}>
          Enable key
        </button>
      ) : null}
      {actions.revoke ? (
        <button type="button" className="button danger" onClick={() => open("revoke")}>
          Revoke key
        </button>
      ) : null}
    </div>
  );
}
