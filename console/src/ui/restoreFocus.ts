import { useEffect, useRef } from "react";

/**
 * Dialogs here are mounted while open (so they open empty), not toggled by a Radix trigger:
 * this gives focus back to whatever opened the dialog once it closes.
 */
export function useRestoreFocus(): void {
  const opener = useRef<HTMLElement | null>(document.activeElement instanceof HTMLElement ? document.activeElement : null);
  useEffect(() => {
    const element = opener.current;
    return () => {
      if (element?.isConnected) window.setTimeout(() => element.focus(), 0);
    };
  }, []);
}
