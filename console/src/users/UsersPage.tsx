import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import { usePermissions, useViewer } from "../app/viewer";
import { graphql, type ResultOf } from "../graphql";
import { Modal, ModalClose } from "../ui/Modal";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { Pager } from "../ui/Pager";
import { ProblemMessage } from "../ui/Problem";
import { Table, type Column } from "../ui/Table";
import { Time } from "../ui/Time";

const UsersQuery = graphql(`
  query Users($after: String) {
    users(first: 50, after: $after) {
      edges { node { id email displayName role disabled createdAt lastLoginAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const Invite = graphql(`
  mutation Invite($input: InviteUserInput!) {
    inviteUser(input: $input) { invitationUrl expiresAt }
  }
`);
const ChangeRole = graphql(`
  mutation ChangeRole($input: UpdateUserRoleInput!) { updateUserRole(input: $input) { id role disabled } }
`);
const Disable = graphql(`
  mutation Disable($input: UserIdInput!) { disableUser(input: $input) { id role disabled } }
`);
const Enable = graphql(`
  mutation Enable($input: UserIdInput!) { enableUser(input: $input) { id role disabled } }
`);
const Remove = graphql(`
  mutation Remove($input: UserIdInput!) { removeUser(input: $input) }
`);

const ROLES = [
  ["OWNER", "Owner"],
  ["MEMBER", "Member"],
  ["READ_ONLY", "Read-only"],
] as const;
type Role = (typeof ROLES)[number][0];
const USER_TYPES = { additionalTypenames: ["User"] };
type User = ResultOf<typeof UsersQuery>["users"]["edges"][number]["node"];

export function UsersPage() {
  const viewer = useViewer();
  const { isOwner } = usePermissions();
  const [params] = useSearchParams();
  const after = params.get("after");
  const [{ data, error }, refetch] = useQuery({ query: UsersQuery, variables: { after }, context: USER_TYPES });
  const [problem, setProblem] = useState<Problem>();
  const [inviting, setInviting] = useState(false);
  const [link, setLink] = useState<string>();
  const [removing, setRemoving] = useState<{ id: string; name: string }>();
  const [, changeRole] = useMutation(ChangeRole);
  const [, disable] = useMutation(Disable);
  const [, enable] = useMutation(Enable);
  const [, remove] = useMutation(Remove);

  const run = async (action: Promise<{ error?: Parameters<typeof problemOfError>[0] }>) => {
    const result = await action;
    setProblem(problemOfError(result.error));
  };

  const columns: Column<User>[] = [
    {
      header: "Name",
      cell: (u) => (
        <>
          {u.displayName}
          {u.id === viewer.user?.id ? <span className="muted"> (you)</span> : null}
        </>
      ),
    },
    { header: "Email", cell: (u) => u.email },
    {
      header: "Role",
      cell: (u) =>
        isOwner ? (
          <select aria-label={`Role of ${u.displayName}`} value={u.role} onChange={(e) => void run(changeRole({ input: { id: u.id, role: e.target.value as Role } }))}>
            {ROLES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        ) : (
          ROLES.find(([value]) => value === u.role)?.[1]
        ),
    },
    { header: "Status", cell: (u) => (u.disabled ? "Disabled" : "Active") },
    { header: "Last sign-in", cell: (u) => <Time at={u.lastLoginAt} empty="Never" /> },
  ];
  if (isOwner) {
    columns.push({
      header: "Actions",
      headerHidden: true,
      className: "row-actions",
      cell: (u) => (
        <>
          {u.disabled ? (
            <button type="button" className="button secondary small" onClick={() => void run(enable({ input: { id: u.id } }))}>
              Enable {u.displayName}
            </button>
          ) : (
            <button type="button" className="button secondary small" onClick={() => void run(disable({ input: { id: u.id } }))}>
              Disable {u.displayName}
            </button>
          )}
          <button type="button" className="button danger small" onClick={() => setRemoving({ id: u.id, name: u.displayName })}>
            Remove {u.displayName}
          </button>
        </>
      ),
    });
  }

  return (
    <section aria-labelledby="users-title">
      <div className="page-head">
        <h1 id="users-title">Users</h1>
        {isOwner ? (
          <button type="button" className="button primary" onClick={() => setInviting(true)}>
            Invite a user
          </button>
        ) : null}
      </div>
      <p className="muted">People of the {viewer.account.name} account. Owners manage users; every account keeps at least one active owner.</p>
      <ProblemMessage problem={problemOfError(error) ?? problem} />
      <Table label="Users" columns={columns} rows={data?.users.edges.map((e) => e.node)} rowKey={(u) => u.id} empty="No users." placeholderRows={2} />
      <Pager pageInfo={data?.users.pageInfo} />
      {inviting ? <InviteDialog onClose={() => setInviting(false)} onInvited={(url) => { setInviting(false); setLink(url); }} /> : null}
      {link ? (
        <OneTimeSecret title="Invitation link" secret={link} secretLabel="Link" onDone={() => { setLink(undefined); refetch({ requestPolicy: "network-only" }); }}>
          <p>Send this link to the person. It works once, for 72 hours. Keyplane sends no email.</p>
        </OneTimeSecret>
      ) : null}
      {removing ? (
        <Modal title={`Remove ${removing.name}?`} description="Their sessions end and they can no longer sign in. Their past changes stay in the audit logs." onClose={() => setRemoving(undefined)}>
          <div className="actions">
            <ModalClose className="button secondary">Cancel</ModalClose>
            <button
              type="button"
              className="button danger"
              onClick={async () => {
                await run(remove({ input: { id: removing.id } }));
                setRemoving(undefined);
                refetch({ requestPolicy: "network-only" });
              }}
            >
              Remove user
            </button>
          </div>
        </Modal>
      ) : null}
    </section>
  );
}

function InviteDialog({ onClose, onInvited }: { onClose: () => void; onInvited: (url: string) => void }) {
  const [problem, setProblem] = useState<Problem>();
  const [{ fetching }, invite] = useMutation(Invite);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const result = await invite({ input: { email: String(form.get("email") ?? ""), role: String(form.get("role")) as Role } });
    if (result.data) onInvited(result.data.inviteUser.invitationUrl);
    else setProblem(problemOfError(result.error));
  };
  return (
    <Modal title="Invite a user" description="Keyplane makes a one-time link for the person to choose their name and password." onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" required autoComplete="off" />
        </label>
        <label className="field">
          <span>Role</span>
          <select name="role" defaultValue="MEMBER">
            {ROLES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <ProblemMessage problem={problem} />
        <div className="actions">
          <ModalClose className="button secondary">Cancel</ModalClose>
          <button type="submit" className="button primary" disabled={fetching}>
            Create invitation link
          </button>
        </div>
      </form>
    </Modal>
  );
}
