import type { IncomingMessage } from 'node:http';
import { closedPort, startHttpServer, startTcpServer, type FaultServer } from './fault-receivers';
import type { ReceivedRequest } from './receiver';

/**
 * Receivers that misbehave below the level of a status code, built on fault-receivers.ts, each
 * recording every request it got (headers and full body) so a test can reconcile what reached it
 * with the delivery log. `requests` is empty for a port nothing listens on.
 */
export interface RecordingFaultReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

const record = (request: IncomingMessage, body: Buffer): ReceivedRequest => ({
  method: request.method ?? '',
  path: request.url ?? '',
  headers: request.headers,
  body: body.toString('utf8'),
  receivedAt: Date.now(),
});

const wrap = (server: FaultServer, requests: ReceivedRequest[], onClose: () => void = () => undefined): RecordingFaultReceiver => ({
  url: server.url(),
  requests,
  close: async () => {
    onClose();
    await server.close();
  },
});

/** Reads the whole request, then never answers (the connection stays open until the sender gives up). */
export const startSilentReceiver = async (): Promise<RecordingFaultReceiver> => {
  const requests: ReceivedRequest[] = [];
  const server = await startHttpServer((request, _response, body) => {
    requests.push(record(request, body));
  });
  return wrap(server, requests);
};

/** Answers 200 with its headers at once, then trickles the body one byte every `intervalMs`, forever. */
export const startTricklingReceiver = async (intervalMs = 50): Promise<RecordingFaultReceiver> => {
  const requests: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = await startHttpServer((request, response, body) => {
    requests.push(record(request, body));
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.flushHeaders();
    const timer = setInterval(() => response.write('.'), intervalMs);
    timers.add(timer);
    response.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  });
  return wrap(server, requests, () => {
    for (const timer of timers) clearInterval(timer);
  });
};

/** How far one streamed answer got: bytes handed to the socket, and whether all of them were. */
export interface StreamedAnswer {
  sentBytes: number;
  complete: boolean;
}

/**
 * Answers 200 and streams a body of `totalBytes` (20 MB by default), honouring back-pressure.
 * `answers` says, per request, how much of the body went out before the connection closed: a
 * client that stops reading early leaves it incomplete.
 */
export const startHugeBodyReceiver = async (
  totalBytes = 20 * 1024 * 1024,
): Promise<RecordingFaultReceiver & { readonly answers: readonly StreamedAnswer[] }> => {
  const requests: ReceivedRequest[] = [];
  const answers: StreamedAnswer[] = [];
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = await startHttpServer((request, response, body) => {
    requests.push(record(request, body));
    const answer: StreamedAnswer = { sentBytes: 0, complete: false };
    answers.push(answer);
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(totalBytes) });
    let closed = false;
    response.on('close', () => (closed = true));
    response.on('finish', () => (answer.complete = true));
    const pump = () => {
      while (!closed && answer.sentBytes < totalBytes) {
        const part = chunk.subarray(0, Math.min(chunk.length, totalBytes - answer.sentBytes));
        answer.sentBytes += part.length;
        if (!response.write(part)) return void response.once('drain', pump);
      }
      if (!closed) response.end();
    };
    pump();
  });
  return { ...wrap(server, requests), answers };
};

/**
 * Reads the whole request (headers, then content-length bytes of body) and answers it with a TCP
 * reset: the sender sees ECONNRESET before any response.
 */
export const startResettingReceiver = async (): Promise<RecordingFaultReceiver> => {
  const requests: ReceivedRequest[] = [];
  const server = await startTcpServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      const headerEnd = buffered.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const [requestLine = '', ...headerLines] = buffered.subarray(0, headerEnd).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      const body = buffered.subarray(headerEnd + 4);
      if (body.length < length) return;
      const [method = '', path = ''] = requestLine.split(' ');
      requests.push({ method, path, headers, body: body.subarray(0, length).toString('utf8'), receivedAt: Date.now() });
      socket.resetAndDestroy();
    });
  });
  return wrap(server, requests);
};

/** A loopback URL on a port nothing listens on: connecting is refused. */
export const refusingTarget = async (): Promise<RecordingFaultReceiver> => {
  const port = await closedPort();
  return { url: `http://127.0.0.1:${port}/hook`, requests: [], close: async () => undefined };
};
