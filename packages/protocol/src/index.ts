// The public surface of @lineage/protocol: pure, synchronous, no I/O, runs in a browser.

// Errors: the one coded base error every package derives from, and the protocol's coded errors.
export * from './errors.js';
// Encoding: canonical JSON (RFC 8785), bytes/base64/hex, SHA-256 digests, Ed25519, DSSE envelopes.
export * from './encoding/index.js';
// Records: ids, reason codes, scopes and the signed documents (intent, grant, resolution, release,
// statement) with the execution fingerprint.
export * from './records/index.js';
// Trust: the trust store of keys, with their roles and validity windows.
export * from './trust/index.js';
// Verify: one attestation, and an evidence bundle offline.
export * from './verify/index.js';
// Log: the Merkle log over each ledger partition, signed checkpoints, inclusion proofs, the audit.
export * from './log/index.js';
