import * as AlertDialog from "@radix-ui/react-alert-dialog";
import type { ReactNode } from "react";
import { useRestoreFocus } from "./restoreFocus";
import { CopyButton } from "./CopyButton";

/**
 * A secret Keyplane shows exactly once. The dialog cannot be dismissed by a click outside or by
 * Escape: only "I have saved it" closes it, so nobody loses a secret by a stray click.
 */
export function OneTimeSecret({
  title,
  secret,
  secretLabel = "Secret",
  children,
  onDone,
}: {
  title: string;
  secret: string;
  secretLabel?: string;
  children?: ReactNode;
  onDone: () => void;
}) {
  useRestoreFocus();
  return (
    <AlertDialog.Root open>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="overlay" />
        <AlertDialog.Content className="dialog" onEscapeKeyDown={(event) => event.preventDefault()}>
          <AlertDialog.Title>{title}</AlertDialog.Title>
          <AlertDialog.Description className="warning">
            Copy it now and keep it somewhere safe. Keyplane keeps only a hash: this is the only
            time it is shown.
          </AlertDialog.Description>
          <label className="field">
            <span>{secretLabel}</span>
            <input className="secret" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
          </label>
          {children}
          <div className="actions">
            <CopyButton value={secret} label={`Copy ${secretLabel.toLowerCase()}`} />
            <AlertDialog.Action className="button primary" onClick={onDone}>
              I have saved it
            </AlertDialog.Action>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
