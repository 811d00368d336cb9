/** Client devices: an emulated RDP client whose licenses live in an emulated registry (DESIGN.md). */
export * from './client-device.js';
export * from './hardware-id.js';
export * from './registry-file.js';
export * from './registry-license-store.js';
export * from './transport.js';
export * from './license-summary.js';
export * from './cal-files.js';
export * from './cal-transfer.js';
export * from './report.js';
