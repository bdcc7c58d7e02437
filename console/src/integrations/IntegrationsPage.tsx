import { useState } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import { usePermissions } from "../app/viewer";
import { graphql, type ResultOf } from "../graphql";
import { Modal, ModalClose } from "../ui/Modal";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { ProblemMessage } from "../ui/Problem";
import { Table, type Column } from "../ui/Table";
import { Time } from "../ui/Time";

const IntegrationsQuery = graphql(`
  query Integrations {
    integrations { id provider displayName scopes connected connectedAt disconnectedAt apiKey { id name maskedKey status } }
  }
`);
const Connect = graphql(`
  mutation Connect($input: ConnectIntegrationInput!) {
    connectIntegration(input: $input) { secret integration { id displayName } }
  }
`);
const Disconnect = graphql(`
  mutation Disconnect($input: DisconnectIntegrationInput!) {
    disconnectIntegration(input: $input) { id connected disconnectedAt }
  }
`);

type Integration = ResultOf<typeof IntegrationsQuery>["integrations"][number];

// An empty list names no type, so the cache is told which mutations refresh it.
const INTEGRATION_TYPES = { additionalTypenames: ["Integration"] };

const PROVIDERS = [
  ["SALESFORCE", "Salesforce"],
  ["HUBSPOT", "HubSpot"],
] as const;

export function IntegrationsPage() {
  const { env } = useParams();
  const { canWrite } = usePermissions();
  const [{ data, error }] = useQuery({ query: IntegrationsQuery, context: INTEGRATION_TYPES });
  const [problem, setProblem] = useState<Problem>();
  const [secret, setSecret] = useState<{ name: string; secret: string }>();
  const [disconnecting, setDisconnecting] = useState<{ id: string; name: string }>();
  const [, connect] = useMutation(Connect);
  const [{ fetching }, disconnect] = useMutation(Disconnect);
  const columns: Column<Integration>[] = [
    { header: "Provider", cell: (i) => i.displayName },
    { header: "Key", cell: (i) => (i.apiKey ? <Link to={`/${env}/keys/${i.apiKey.id}`}>{i.apiKey.maskedKey}</Link> : "—") },
    { header: "Permissions", cell: (i) => i.scopes.join(", ") },
    { header: "Connected", cell: (i) => <Time at={i.connectedAt} /> },
    { header: "Disconnected", cell: (i) => <Time at={i.disconnectedAt} /> },
    {
      header: "Actions",
      headerHidden: true,
      cell: (i) =>
        i.connected && canWrite ? (
          <button type="button" className="button danger small" onClick={() => setDisconnecting({ id: i.id, name: i.displayName })}>
            Disconnect {i.displayName}
          </button>
        ) : null,
    },
  ];
  const connected = new Set(data?.integrations.filter((i) => i.connected).map((i) => i.provider));

  return (
    <section aria-labelledby="integrations-title">
      <h1 id="integrations-title">Integrations</h1>
      <p className="muted">Connecting a provider makes a dedicated key with the provider's fixed permissions. Disconnecting revokes it.</p>
      <ProblemMessage problem={problemOfError(error) ?? problem} />
      <ul className="cards">
        {PROVIDERS.map(([provider, name]) => (
          <li key={provider} className="card">
            <h2>{name}</h2>
            {connected.has(provider) ? (
              <p>Connected</p>
            ) : canWrite ? (
              <button
                type="button"
                className="button primary"
                onClick={async () => {
                  const result = await connect({ input: { provider } });
                  setProblem(problemOfError(result.error));
                  if (result.data) setSecret({ name, secret: result.data.connectIntegration.secret });
                }}
              >
                Connect {name}
              </button>
            ) : (
              <p className="muted">Not connected</p>
            )}
          </li>
        ))}
      </ul>
      <Table
        label="Integrations"
        columns={columns}
        rows={data?.integrations}
        rowKey={(i) => i.id}
        empty="No integration has been connected in this environment."
        placeholderRows={2}
      />
      {disconnecting ? (
        <Modal title={`Disconnect ${disconnecting.name}?`} description="Its key is revoked at once; the provider's calls stop working." onClose={() => setDisconnecting(undefined)}>
          <div className="actions">
            <ModalClose className="button secondary">Cancel</ModalClose>
            <button
              type="button"
              className="button danger"
              disabled={fetching}
              onClick={async () => {
                const result = await disconnect({ input: { id: disconnecting.id } });
                setProblem(problemOfError(result.error));
                setDisconnecting(undefined);
              }}
            >
              Disconnect
            </button>
          </div>
        </Modal>
      ) : null}
      {secret ? (
        <OneTimeSecret title={`Key for ${secret.name}`} secret={secret.secret} secretLabel="Integration key" onDone={() => setSecret(undefined)}>
          <p>Give this key to {secret.name}.</p>
        </OneTimeSecret>
      ) : null}
    </section>
  );
}
