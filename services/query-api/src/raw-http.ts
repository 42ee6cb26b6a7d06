// Test helper: HTTP/1.1 over a bare socket, so hostile requests (bad framing, unknown methods,
// bodies never sent) go out byte for byte, which no HTTP client allows.
import { connect } from 'node:net';

/** An answer as read off the socket; `code` is the error body's code, if it has one. */
export interface Raw {
  status: number;
  headers: Record<string, string>;
  text: string;
  code: string | undefined;
}

/** Sends `request` byte for byte; resolves with the answer once the server closes or `waitMs` ends. */
export function raw(port: number, request: string | Buffer, waitMs = 3_000): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const h of headerLines) {
        const i = h.indexOf(':');
        headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim();
      }
      let code: string | undefined;
      try {
        code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
      } catch {
        code = undefined;
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, text, code });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One answer is enough once its declared body has arrived.
      const text = Buffer.concat(chunks).toString('utf8');
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      const at = text.indexOf('\r\n\r\n');
      if (
        length !== undefined &&
        at >= 0 &&
        Buffer.byteLength(text.slice(at + 4)) >= Number(length)
      )
        finish();
    });
    socket.on('end', finish);
    socket.on('error', reject);
    socket.write(request);
  });
}
