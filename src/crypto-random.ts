import { randomBytes } from 'node:crypto';
import type { RandomSource } from '../protocol/crypto/index.js';

/** The randomness of the running system (protocol/ gets it injected; tests use seeded sources). */
export const cryptoRandom: RandomSource = { bytes: (n) => randomBytes(n) };
