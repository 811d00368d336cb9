/** Where protocol/ gets random bytes: src/ passes a CSPRNG, tests pass something repeatable. */
export interface RandomSource {
  bytes(n: number): Buffer;
}

/** A repeatable source (xorshift-based) for tests and demos. Not for real keys. */
export function seededRandom(seed: number): RandomSource {
  let x = seed >>> 0 || 0x9e3779b9;
  return {
    bytes(n) {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        out[i] = x & 0xff;
      }
      return out;
    },
  };
}

/** Hands out the given bytes in order, then fails: for replaying a captured session. */
export function fixedRandom(...chunks: Uint8Array[]): RandomSource {
  const queue = chunks.map((c) => Buffer.from(c));
  return {
    bytes(n) {
      const next = queue.shift();
      if (!next || next.length !== n) throw new Error(`fixedRandom: asked for ${n} bytes, have ${next?.length ?? 'none'}`);
      return next;
    },
  };
}
