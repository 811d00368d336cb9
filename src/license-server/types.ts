/** The token kinds of the seed (and per-user, from later versions). */
export type TokenKind = 'cal' | 'per-user' | 'temporary' | 'built-in' | 'internet-connector';
export type KeyPackType = 'per-device' | 'per-user' | 'internet-connector';
export type LicenseState = 'active' | 'renewed' | 'upgraded' | 'returned' | 'revoked' | 'expired';

export interface ProductVersion {
  major: number;
  minor: number;
}

export interface KeyPack {
  id: number;
  keypackId: string;
  source: string;
  program: string;
  type: KeyPackType;
  product: ProductVersion;
  total: number;
  issued: number;
  free: number;
  installedAt: Date;
}

export interface LicenseRecord {
  id: number;
  kind: TokenKind;
  keypack: number | null;
  token: number | null;
  hwid: Buffer | null;
  machine: string;
  user: string;
  platformId: number;
  terminalServer: string;
  product: ProductVersion;
  issuedAt: Date;
  expiresAt: Date;
  state: LicenseState;
  validated: boolean;
  endedAt: Date | null;
}

/** Who is asking for a token, as the terminal server learned it from the client. */
export interface ClientIdentity {
  hwid: Buffer;
  machine: string;
  user: string;
  platformId: number;
}
