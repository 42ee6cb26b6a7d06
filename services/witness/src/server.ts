import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_NOTE_LENGTH } from '@lineage/protocol';
import type { Witness, WitnessAnswer } from './witness.js';

/** Request bodies above this are refused: a note plus 63 proof lines fit well inside. */
const MAX_BODY = MAX_NOTE_LENGTH + 8192;
const CHECKPOINT_PATH = /^\/([0-9a-f]{64})\/checkpoint$/;

/** A witness serving HTTP. */
export interface WitnessServer {
  readonly server: Server;
  /** Its base URL (submission and monitoring prefix), e.g. `http://127.0.0.1:7380`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `witness` over HTTP (c2sp.org/tlog-witness): `POST /add-checkpoint` and
 * `GET /<origin hash>/checkpoint`, with keep-alive. Resolves once it listens.
 */
export async function serveWitness(
  witness: Witness,
  listen: { host?: string; port?: number } = {},
): Promise<WitnessServer> {
  const server = createServer((req, res) => {
    route(witness, req).then(
      (answer) => send(res, answer),
      () => send(res, { status: 500, contentType: 'text/plain', body: 'internal error\n' }),
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(witness: Witness, req: IncomingMessage): Promise<WitnessAnswer> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (path === '/add-checkpoint') {
    if (req.method !== 'POST') return plain(405, 'POST only\n');
    const body = await readBody(req);
    return body === null ? plain(413, 'request too large\n') : witness.addCheckpoint(body);
  }
  const hash = CHECKPOINT_PATH.exec(path)?.[1];
  if (hash !== undefined && req.method === 'GET') return witness.checkpoint(hash);
  return plain(404, 'not found\n');
}

// The body as UTF-8 text, or null when it exceeds MAX_BODY.
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function plain(status: number, body: string): WitnessAnswer {
  return { status, contentType: 'text/plain; charset=utf-8', body };
}

function send(res: ServerResponse, answer: WitnessAnswer): void {
  res.writeHead(answer.status, {
    'content-type': answer.contentType,
    'content-length': Buffer.byteLength(answer.body),
    'cache-control': 'no-store',
  });
  res.end(answer.body);
}
