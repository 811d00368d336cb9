import { Rc4, rc4, macEquals } from '../../crypto/index.js';
import type { RdpEncryptionMethod } from './constants.js';
import { macSignature, saltedMacSignature, updateSessionKey } from './session-keys.js';

/** [MS-RDPBCGR] 5.3.7: the key of a direction is updated after this many encryptions (or decryptions). */
export const KEY_UPDATE_INTERVAL = 4096;

/**
 * One direction of Standard RDP Security: an RC4 stream that continues across PDUs ([MS-RDPBCGR] 5.3.6), its key
 * updated every 4096 packets (5.3.7), and the MAC signature (5.3.6.1, salted 5.3.6.1.1).
 */
export class RdpCipherStream {
  private rc4: Rc4;
  private currentKey: Buffer;
  private useCount = 0;
  /** Packets processed in this direction since the keys were made (never reset: the salted MAC's encryptionCount). */
  private total = 0;

  constructor(
    private readonly initialKey: Buffer,
    private readonly macKey: Buffer,
    private readonly method: RdpEncryptionMethod,
  ) {
    this.currentKey = Buffer.from(initialKey);
    this.rc4 = new Rc4(this.currentKey);
  }

  /** Number of packets encrypted or decrypted so far. */
  get count(): number {
    return this.total;
  }

  private crypt(data: Uint8Array): Buffer {
    if (this.useCount >= KEY_UPDATE_INTERVAL) {
      this.currentKey = updateSessionKey(this.initialKey, this.currentKey, this.method, rc4);
      this.rc4 = new Rc4(this.currentKey);
      this.useCount = 0;
    }
    this.useCount++;
    this.total++;
    return this.rc4.update(data);
  }

  signature(plaintext: Uint8Array, salted: boolean, count: number): Buffer {
    return salted ? saltedMacSignature(this.macKey, plaintext, count) : macSignature(this.macKey, plaintext);
  }

  /** Signs then encrypts one PDU body. */
  encrypt(plaintext: Uint8Array, salted = false): { dataSignature: Buffer; ciphertext: Buffer } {
    const dataSignature = this.signature(plaintext, salted, this.total);
    return { dataSignature, ciphertext: this.crypt(plaintext) };
  }

  /** Decrypts one PDU body (advancing the stream whatever the MAC says) and checks its signature. */
  decrypt(ciphertext: Uint8Array, dataSignature: Uint8Array, salted = false): { plaintext: Buffer; signatureValid: boolean } {
    const count = this.total;
    const plaintext = this.crypt(ciphertext);
    return { plaintext, signatureValid: macEquals(this.signature(plaintext, salted, count), dataSignature) };
  }
}
