/** The licensing state machines (protocol/RDPELE.md §6). */
export * from './events.js';
export * from './license-store.js';
export * from './server-licensing.js';
export * from './client-licensing.js';
