// How webhook receivers verify a delivery: HMAC-SHA256 of the raw body with the shared
// secret, hex, in X-Driftguard-Signature as "sha256=<hex>". The body carries sentAt, equal to
// X-Driftguard-Timestamp, so the signature covers the time too: reject deliveries whose
// timestamp is more than a few minutes off, and deduplicate by X-Driftguard-Delivery
// (the same across retries of one finding).
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-driftguard-signature";
export const TIMESTAMP_HEADER = "x-driftguard-timestamp";
export const DELIVERY_HEADER = "x-driftguard-delivery";

export function sign(secret: Buffer, body: string | Buffer): string {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

/** Constant-time check of a signature header against the body (receivers and tests). */
export function verify(secret: Buffer, body: string | Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
