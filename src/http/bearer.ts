/** Bearer-token checks for the administration routes (compared in constant time, never logged). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './json-server.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function checkBearer(headers: IncomingHttpHeaders, expected: string): void {
  const h = headers.authorization;
  if (!h) throw new HttpError(401, 'administration needs the admin token (Authorization: Bearer …)');
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (!m || !timingSafeEqual(digest(m[1]!), digest(expected))) throw new HttpError(401, 'the admin token is not valid');
}
