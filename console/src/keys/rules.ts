import type { KeyDetail } from "./documents";

/**
 * Which controls a key's panel offers. The server decides every request; these only hide
 * controls that would certainly be refused (read-only users, a state that forbids it).
 */
export function keyActions(key: KeyDetail, perms: { canWrite: boolean; isOwner: boolean }) {
  const live = key.status !== "REVOKED" && key.status !== "EXPIRED";
  // Only full access (an owner) may touch the full-access key.
  const mayChange = perms.canWrite && (key.type !== "FULL_ACCESS" || perms.isOwner);
  return {
    editSettings: mayChange && live,
    editNameAndScopes: mayChange && live && key.type === "SCOPED",
    rotate: mayChange && live && !key.replacedBy,
    changeExpiration: mayChange && live && key.expiresAt !== null,
    // Disabling the full-access key also needs a second usable one: the server says so.
    disable: mayChange && live && key.disabledAt === null,
    enable: mayChange && key.status !== "REVOKED" && key.disabledAt !== null,
    revoke:
      mayChange &&
      key.status !== "REVOKED" &&
      (key.type === "SCOPED" || ((key.type === "FULL_ACCESS" || key.type === "PUBLISHABLE") && key.expiresAt !== null)),
  };
}
