/** Random seeds for ids of objects created through the API (hand-written objects use their uid). */
import { randomUUID } from "node:crypto";

export function newUidSeed(): string {
  return randomUUID();
}
