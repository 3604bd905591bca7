/** The optional bearer token of the API and /metrics. */
import { createHash, timingSafeEqual } from 'crypto';

/**
 * Whether an Authorization header carries the token. Both sides are hashed
 * first so the comparison takes the same time whatever the lengths, and
 * timingSafeEqual compares the digests in constant time.
 */
export function checkToken(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? '');
  const given = createHash('sha256')
    .update(m ? m[1] : '')
    .digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want) && m !== null;
}
