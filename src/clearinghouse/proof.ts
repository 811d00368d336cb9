/**
 * Proof that a request to the clearinghouse comes from the license server that holds the key: the server signs the
 * operation, its License Server ID and its public key (RSA PKCS#1 v1.5, SHA-256). The clearinghouse checks the
 * signature and that the key is the one the License Server ID was activated with.
 */
import { rsaPkcs1v15Sign, rsaPkcs1v15Verify, rsaPublicKeyFromDer, type RsaPrivateKey } from '../../protocol/crypto/index.js';

export type ProofOperation = 'activate' | 'deactivate' | 'recover';

export interface Proof {
  /** SubjectPublicKeyInfo, base64. */
  publicKey: string;
  /** base64. */
  signature: string;
}

function message(op: ProofOperation, licenseServerId: string, publicKeyDer: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`rdp-licensing clearinghouse\n${op}\n${licenseServerId}\n`), publicKeyDer]);
}

export function signProof(op: ProofOperation, licenseServerId: string, key: RsaPrivateKey, publicKeyDer: Buffer): Proof {
  return { publicKey: publicKeyDer.toString('base64'), signature: rsaPkcs1v15Sign(key, message(op, licenseServerId, publicKeyDer), 'sha256').toString('base64') };
}

export function verifyProof(op: ProofOperation, licenseServerId: string, publicKeyDer: Buffer, signature: Buffer): boolean {
  try {
    return rsaPkcs1v15Verify(rsaPublicKeyFromDer(publicKeyDer), message(op, licenseServerId, publicKeyDer), signature, 'sha256');
  } catch {
    return false;
  }
}
