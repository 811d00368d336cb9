export * from './pkcs7.js';
export * from './client-license.js';
