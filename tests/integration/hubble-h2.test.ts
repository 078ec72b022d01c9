// The HTTP/2 transport (backend/src/hubble/h2-transport.ts) against a raw node:http2 server
// that answers GetFlows the ways a Relay, a proxy in front of one, or a broken peer may: split
// and compressed messages, trailers-only errors, HTTP errors, a stream cut inside a message,
// a message over the size limit. Each must end as a gRPC status the client reports and retries
// on, never as a crash or a silent stall.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { HubbleClient } from '../../backend/src/hubble/client.ts';
import type { FlowRecord } from '../../backend/src/hubble/types.ts';
import { responseToWire } from '../../backend/src/hubble/wire.ts';
import { flowAt } from '../support/builders.ts';
import { encodeResponse } from '../support/hubble.ts';
import { waitFor } from '../support/wait.ts';

type Answer = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function rawServer(answer: Answer): Promise<{ address: string; paths: string[] }> {
  const paths: string[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    paths.push(path);
    stream.on('error', () => {});
    // The unary status calls get an empty OK; GetFlows gets the answer under test.
    if (path !== '/observer.Observer/GetFlows') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.end();
      return;
    }
    stream.resume();
    answer(stream, headers);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  cleanup.push(
    () =>
      new Promise<void>((res) => {
        server.close(() => res());
        // Streams left open by a test end with the server.
        for (const s of sessions) s.destroy();
      }),
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

/** One gRPC message: flag, length, body. */
function message(body: Buffer, compressed = false): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

const flowBody = (i: number) =>
  encodeResponse(responseToWire({ flow: flowAt(i).flow, node_name: 'kind-worker' }));

function client(address: string) {
  const flows: FlowRecord[] = [];
  const c = new HubbleClient({
    address,
    transport: 'h2',
    backoff: { initialMs: 50, maxMs: 100 },
    statusIntervalMs: 0,
    onFlow: (r) => flows.push(r),
  });
  cleanup.push(() => c.stop());
  c.start();
  return { c, flows };
}

const lastError = (c: HubbleClient) => (c.state.state === 'retrying' ? c.state.lastError : '');

describe('the HTTP/2 GetFlows transport', () => {
  it('reassembles messages split across DATA frames, one byte at a time', async () => {
    const s = await rawServer((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      const bytes = Buffer.concat([message(flowBody(0)), message(flowBody(1))]);
      for (let i = 0; i < bytes.length; i++) stream.write(bytes.subarray(i, i + 1));
    });
    const { c, flows } = client(s.address);
    await waitFor(() => flows.length === 2, 'two flows');
    expect(flows.map((f) => f.flow.uuid)).toEqual(['flow-0', 'flow-1']);
    expect(c.state.state).toBe('live');
    expect(s.paths).toContain('/observer.Observer/GetFlows');
  });

  it('reads every flow of a connection it rests between reads, trickled or in a burst', async () => {
    // The transport stops reading its socket for a millisecond after each turn that read data
    // (ReadPacer). Flows that arrive meanwhile, one per turn or 2,000 at once, must all arrive,
    // in order, and the end of the stream must still be seen.
    const s = await rawServer((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      let i = 0;
      const trickle = () => {
        if (stream.destroyed) return;
        if (i < 300) {
          stream.write(message(flowBody(i++)));
          setImmediate(trickle);
          return;
        }
        const burst: Buffer[] = [];
        while (i < 2300) burst.push(message(flowBody(i++)));
        stream.write(Buffer.concat(burst));
        stream.end();
      };
      trickle();
    });
    const { c, flows } = client(s.address);
    await waitFor(() => flows.length === 2300, 'all 2,300 flows');
    expect(flows.map((f) => f.flow.uuid)).toEqual(
      Array.from({ length: 2300 }, (_, i) => `flow-${i}`),
    );
    // The server ended the stream without a status: reported, and retried.
    await waitFor(() => lastError(c) !== '', 'the end of the stream seen');
    expect(c.stats.malformed).toBe(0);
  });

  it('inflates gzip-compressed messages', async () => {
    const s = await rawServer((stream) => {
      stream.respond({
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-encoding': 'gzip',
      });
      stream.write(message(zlib.gzipSync(flowBody(0)), true));
      stream.write(message(flowBody(1)));
    });
    const { c, flows } = client(s.address);
    await waitFor(() => flows.length === 2, 'both flows');
    expect(flows[0]!.flow.uuid).toBe('flow-0');
    expect(c.stats.malformed).toBe(0);
  });

  it.each([
    [
      'a trailers-only error, percent-encoded',
      ((stream) => {
        stream.respond(
          {
            ':status': 200,
            'content-type': 'application/grpc',
            'grpc-status': '7',
            'grpc-message': 'not%20allowed%3A%20peer',
          },
          { endStream: true },
        );
      }) as Answer,
      'PERMISSION_DENIED: not allowed: peer',
    ],
    [
      'an error in the trailers after flows',
      ((stream) => {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc' },
          { waitForTrailers: true },
        );
        stream.on('wantTrailers', () =>
          stream.sendTrailers({ 'grpc-status': '14', 'grpc-message': 'relay draining' }),
        );
        stream.end(message(flowBody(0)));
      }) as Answer,
      'UNAVAILABLE: relay draining',
    ],
    [
      'an HTTP error from a proxy',
      ((stream) => {
        stream.respond({ ':status': 404, 'content-type': 'text/plain' });
        stream.end('not found');
      }) as Answer,
      'UNIMPLEMENTED: Relay answered HTTP 404',
    ],
    [
      'a web page instead of gRPC',
      ((stream) => {
        stream.respond({ ':status': 200, 'content-type': 'text/html' });
        stream.end('<html></html>');
      }) as Answer,
      'UNKNOWN: Relay answered text/html, not gRPC',
    ],
    [
      'a stream that ends inside a message',
      ((stream) => {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc' },
          { waitForTrailers: true },
        );
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(message(flowBody(0)).subarray(0, 20));
      }) as Answer,
      'INTERNAL: stream ended inside a message',
    ],
    [
      'a message over the size limit',
      ((stream) => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        const head = Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]);
        stream.write(head);
      }) as Answer,
      'RESOURCE_EXHAUSTED: received message larger than max (2147483647 vs. 16777216)',
    ],
    [
      'a refused stream',
      ((stream) => {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      }) as Answer,
      'UNAVAILABLE: stream reset with HTTP/2 code 7',
    ],
    [
      'a stream that ends with no status',
      ((stream) => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        stream.end(message(flowBody(0)));
      }) as Answer,
      'UNKNOWN: stream ended without a gRPC status',
    ],
  ])('reports %s as a gRPC status and retries', async (_what, answer, reason) => {
    const s = await rawServer(answer);
    const { c } = client(s.address);
    await waitFor(() => lastError(c) === reason, `retrying with ${reason}`);
    await waitFor(() => c.stats.reconnects >= 2, 'a second attempt');
    expect(s.paths.filter((p) => p === '/observer.Observer/GetFlows').length).toBeGreaterThan(1);
  });

  it('says the connection was refused while nothing listens', async () => {
    const s = await rawServer(() => {});
    const port = Number(s.address.split(':')[1]);
    await cleanup.pop()!();
    const { c } = client(`127.0.0.1:${port}`);
    await waitFor(() => /^UNAVAILABLE: .*ECONNREFUSED/.test(lastError(c)), 'refused');
  });
});
