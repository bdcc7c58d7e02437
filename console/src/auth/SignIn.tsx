import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { postJson } from "../api/client";
import { problemOf, problemOfResponse, type Problem } from "../api/errors";
import { ProblemMessage } from "../ui/Problem";

/** Where to go after signing in: only a path of the console itself, never another site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function SignIn() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setProblem(undefined);
    try {
      const response = await postJson("/auth/login", {
        email: String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
      });
      if (response.ok) {
        navigate(safeNext(params.get("next")), { replace: true });
        return;
      }
      const failure = await problemOfResponse(response);
      setProblem(
        failure.code === "UNAUTHENTICATED"
          ? { code: failure.code, text: "That email and password do not match an active user." }
          : failure,
      );
    } catch {
      setProblem(problemOf(undefined));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="auth-page">
      <form className="card auth-card" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Keyplane</h1>
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <ProblemMessage problem={problem} />
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted small">
          Forgot your password? An owner, or an operator with <code>keyplane user reset-password</code>,
          can send you a reset link.
        </p>
      </form>
    </main>
  );
}
