import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import { usePermissions } from "../app/viewer";
import { graphql, type ResultOf } from "../graphql";
import { Modal, ModalClose } from "../ui/Modal";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { Pager } from "../ui/Pager";
import { ProblemMessage } from "../ui/Problem";
import { Table, type Column } from "../ui/Table";
import { Time } from "../ui/Time";

const IntegrationsQuery = graphql(`
  query Integrations($after: String) {
    integrations(first: 20, after: $after) {
      edges { node { id provider displayName scopes connected connectedAt disconnectedAt apiKey { id name maskedKey status } } }
      pageInfo { hasNextPage endCursor }
    }
    newest: integrations(first: 100) { edges { node { id provider connected } } }
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

type Integration = ResultOf<typeof IntegrationsQuery>["integrations"]["edges"][number]["node"];

// An empty list names no type, so the cache is told which mutations refresh it.
const INTEGRATION_TYPES = { additionalTypenames: ["Integration"] };

const PROVIDERS = [
  ["SALESFORCE", "Salesforce"],
  ["HUBSPOT", "HubSpot"],
] as const;

export function IntegrationsPage() {
  const { env } = useParams();
  const { canWrite } = usePermissions();
  const [params] = useSearchParams();
  const after = params.get("after");
  const [{ data, error }] = useQuery({ query: IntegrationsQuery, variables: { after }, context: INTEGRATION_TYPES });
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
  // The cards read the newest integrations whatever page the table shows: a provider's
  // connected integration is always its newest, so it is among them unless a hundred newer
  // ones of other providers push it out (connecting it again is then refused, and says so).
  const connected = new Set(data?.newest.edges.filter(({ node }) => node.connected).map(({ node }) => node.provider));

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
        rows={data?.integrations.edges.map((e) => e.node)}
        rowKey={(i) => i.id}
        empty="No integration has been connected in this environment."
        placeholderRows={2}
      />
      <Pager pageInfo={data?.integrations.pageInfo} />
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
