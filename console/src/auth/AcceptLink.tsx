import { useMemo, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { clientFor } from "../api/client";
import { problemOfError, type Problem } from "../api/errors";
import { graphql } from "../graphql";
import { ProblemMessage } from "../ui/Problem";

const AcceptInvitation = graphql(`
  mutation AcceptInvitation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) { user { id displayName } expiresAt }
  }
`);

type Purpose = "setup" | "invitation" | "reset";

const TEXT: Record<Purpose, { title: string; intro: string; submit: string }> = {
  setup: {
    title: "Set up the first owner",
    intro: "This link was printed when Keyplane started for the first time. Choose the owner's email, name and password.",
    submit: "Create owner and sign in",
  },
  invitation: {
    title: "Join your team on Keyplane",
    intro: "You were invited to an account. Choose your name and a password to accept.",
    submit: "Accept invitation",
  },
  reset: {
    title: "Choose a new password",
    intro: "Setting a new password signs you in here and ends your other sessions.",
    submit: "Set password and sign in",
  },
};

/** The page a setup, invitation or reset link opens. The token is in the fragment (never sent). */
export function AcceptLink({ purpose }: { purpose: Purpose }) {
  const navigate = useNavigate();
  const client = useMemo(() => clientFor("production"), []);
  const token = window.location.hash.replace(/^#/, "");
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const text = TEXT[purpose];

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password") ?? "");
    if (password !== String(form.get("confirm") ?? "")) {
      setProblem({ code: "BAD_USER_INPUT", text: "The two passwords are not the same.", field: "password" });
      return;
    }
    const input: { token: string; password: string; email?: string; displayName?: string } = { token, password };
    if (purpose === "setup") input.email = String(form.get("email") ?? "");
    if (purpose !== "reset") input.displayName = String(form.get("displayName") ?? "");
    setBusy(true);
    setProblem(undefined);
    const result = await client.mutation(AcceptInvitation, { input }).toPromise();
    setBusy(false);
    if (result.error) {
      const failure = problemOfError(result.error);
      setProblem(
        failure?.code === "UNAUTHENTICATED" || (failure?.code === "BAD_USER_INPUT" && failure.field === "token")
          ? { code: failure.code, text: "This link is not valid any more: it was used already or it expired. Ask for a new one." }
          : failure,
      );
      return;
    }
    // Drop the token from the address bar and history before moving on.
    window.history.replaceState(null, "", window.location.pathname);
    navigate("/", { replace: true });
  };

  return (
    <main id="main" className="auth-page">
      <form className="card auth-card" onSubmit={(e) => void submit(e)} aria-labelledby="accept-title">
        <h1 id="accept-title">{text.title}</h1>
        <p>{text.intro}</p>
        {token ? null : <ProblemMessage problem={{ code: "BAD_USER_INPUT", text: "This address has no link token. Open the whole link you were given." }} />}
        {purpose === "setup" ? (
          <label className="field">
            <span>Email</span>
            <input name="email" type="email" autoComplete="username" required />
          </label>
        ) : null}
        {purpose !== "reset" ? (
          <label className="field">
            <span>Your name</span>
            <input name="displayName" autoComplete="name" required maxLength={100} />
          </label>
        ) : null}
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" autoComplete="new-password" required minLength={12} aria-describedby="password-rule" />
        </label>
        <p id="password-rule" className="muted small">
          At least 12 characters.
        </p>
        <label className="field">
          <span>Repeat the password</span>
          <input name="confirm" type="password" autoComplete="new-password" required minLength={12} />
        </label>
        <ProblemMessage problem={problem} />
        <button type="submit" className="button primary" disabled={busy || !token}>
          {busy ? "Working…" : text.submit}
        </button>
      </form>
    </main>
  );
}
