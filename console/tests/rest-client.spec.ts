import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { restClient, type ApiKey, type RotateApiKey } from "../src/rest/client";
import { fullAccessKey, server } from "./server";

// The REST API through the client generated from openapi.json, as a platform's script would use
// it: no browser page, only typed requests to the real server.

interface Verification {
  valid: boolean;
  code: string;
  apiKey?: { id: string } | null;
}

/** `POST /api/v1/verify` is not in openapi.json yet, so this one call is plain fetch. */
async function verify(secret: string): Promise<Verification> {
  const response = await fetch(`${server().baseURL}/api/v1/verify`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": fullAccessKey() },
    body: JSON.stringify({ key: secret }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Verification;
}

test("create, replay, rotate with a one-hour grace and revoke a key through the typed REST client", async () => {
  const api = restClient(server().baseURL, fullAccessKey());

  // Create, with an Idempotency-Key so that a retry is safe.
  const idempotencyKey = `rest-client-create-${randomUUID()}`;
  const create = () =>
    api.POST("/api/v1/api-keys", {
      headers: { "Idempotency-Key": idempotencyKey },
      body: { name: "rest-client-billing", scopes: ["customers:read"], metadata: { plan: "pro" } },
    });
  const created = await create();
  expect(created.error).toBeUndefined();
  expect(created.response.status).toBe(201);
  const first = created.data!;
  const id = first.apiKey.id;
  expect(created.response.headers.get("location")).toBe(`/api/v1/api-keys/${id}`);
  expect(first.secret).toMatch(/^server-[0-9A-Za-z]{46}$/);
  expect(first.apiKey).toMatchObject({ name: "rest-client-billing", type: "SCOPED", status: "ACTIVE", scopes: ["customers:read"] });
  expect(first.apiKey.metadata).toEqual({ plan: "pro" });
  // @ts-expect-error: a key never carries its secret; only the answer that made it does, once.
  expect(first.apiKey.secret).toBeUndefined();

  // The same request again is the first answer again, not a second key.
  const replayed = await create();
  expect(replayed.response.status).toBe(201);
  expect(replayed.response.headers.get("idempotent-replayed")).toBe("true");
  expect(replayed.response.headers.get("location")).toBe(`/api/v1/api-keys/${id}`);
  expect(replayed.data!.apiKey.id).toBe(id);
  expect(replayed.data!.secret).toBe(first.secret);
  const listed = await api.GET("/api/v1/api-keys", { params: { query: { name: "rest-client-billing" } } });
  expect(listed.data!.data.map((key: ApiKey) => key.id)).toEqual([id]);

  // The types catch a misspelt field before anything is sent (a literal body needs `satisfies`
  // for that: see client.ts); sent anyway, the server refuses it too (unknown fields are 400,
  // never ignored) and rotates nothing.
  const misspelt = await api.POST("/api/v1/api-keys/{id}/rotate", {
    params: { path: { id } },
    // @ts-expect-error: the field is `gracePeriod`.
    body: { gracePeriods: "ONE_HOUR" } satisfies RotateApiKey,
  });
  expect(misspelt.response.status).toBe(400);
  expect(misspelt.error!.error.code).toBe("BAD_USER_INPUT");

  // Rotate: a new key, and the old one keeps working for one more hour.
  const rotation = await api.POST("/api/v1/api-keys/{id}/rotate", {
    params: { path: { id } },
    headers: { "Idempotency-Key": `rest-client-rotate-${randomUUID()}` },
    body: { gracePeriod: "ONE_HOUR" },
  });
  expect(rotation.error).toBeUndefined();
  expect(rotation.response.status).toBe(200);
  const rotated = rotation.data!;
  const newId = rotated.apiKey.id;
  expect(newId).not.toBe(id);
  expect(rotated.secret).not.toBe(first.secret);
  expect(rotated.previousKey.id).toBe(id);
  expect(rotated.previousKey.status).toBe("EXPIRING_SOON");
  expect(rotated.previousKey.replacedById).toBe(newId);
  const graceEnds = Date.parse(rotated.previousKey.expiresAt!) - Date.now();
  expect(graceEnds).toBeGreaterThan(55 * 60_000);
  expect(graceEnds).toBeLessThanOrEqual(60 * 60_000);
  expect(rotated.apiKey.rotatedFromId).toBe(id);
  expect(rotated.apiKey.status).toBe("ACTIVE");

  // Both secrets verify during the grace period, each as its own key.
  const oldVerified = await verify(first.secret);
  expect(oldVerified).toMatchObject({ valid: true, code: "VALID", apiKey: { id } });
  const newVerified = await verify(rotated.secret);
  expect(newVerified).toMatchObject({ valid: true, code: "VALID", apiKey: { id: newId } });

  // Revoke the new key: at once and for good.
  const revoked = await api.POST("/api/v1/api-keys/{id}/revoke", { params: { path: { id: newId } } });
  expect(revoked.error).toBeUndefined();
  expect(revoked.response.status).toBe(200);
  expect(revoked.data!.status).toBe("REVOKED");
  expect(await verify(rotated.secret)).toMatchObject({ valid: false, code: "REVOKED" });

  // Revoking it again is a conflict, answered with the typed error body.
  const again = await api.POST("/api/v1/api-keys/{id}/revoke", { params: { path: { id: newId } } });
  expect(again.data).toBeUndefined();
  expect(again.response.status).toBe(409);
  expect(again.error!.error.code).toBe("CONFLICT");
  expect(again.error!.error.requestId).toBe(again.response.headers.get("x-request-id"));
});
