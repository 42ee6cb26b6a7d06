export { startEmitter } from './service.js';
export type { EmitterOptions, EmitterService, EmitterStats } from './service.js';
export { consoleTransport } from './transports/console.js';
export { httpTransport } from './transports/http.js';
export type { HttpTransport, HttpTransportOptions } from './transports/http.js';
export { kafkaTransport } from './transports/kafka.js';
export type { SendOutcome, Transport } from './transports/transport.js';
export { EmitterError } from './errors.js';
export type { EmitterErrorCode } from './errors.js';
