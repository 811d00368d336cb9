export { OID, TAG, TAG_CLASS, type DerNode, type TagClass, parseDer } from './der.js';
export * from './name.js';
export * from './x509.js';
export * from './tssk.js';
export * from './proprietary-certificate.js';
export * from './x509-certificate-chain.js';
export * from './server-certificate.js';
export * from './ms-extensions.js';
export * from './ms-certificates.js';
