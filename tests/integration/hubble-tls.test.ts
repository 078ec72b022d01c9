// TLS and mTLS between flowlens' client and its Hubble-compatible server, with the server name
// override Relay deployments need (`*.hubble-relay.cilium.io` certificates reached via 127.0.0.1).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubbleClient } from '../../backend/src/hubble/client.ts';
import type { FlowRecord } from '../../backend/src/hubble/types.ts';
import { FlowHistory } from '../../backend/src/hubble/flow-history.ts';
import { flowAt } from '../support/builders.ts';
import { startServer } from '../support/hubble.ts';
import { makeCerts } from '../support/certs.ts';
import type { TestCerts } from '../support/certs.ts';
import { waitFor } from '../support/wait.ts';

const NAME = 'relay.hubble-relay.cilium.io';
let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts(NAME);
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function tlsServer(requireClientCert: boolean, flows = 1) {
  const history = new FlowHistory(Math.max(10, flows));
  for (let i = 0; i < flows; i++) history.push(flowAt(i));
  const s = await startServer(history, {
    tls: {
      cert: certs.serverCert,
      key: certs.serverKey,
      clientCA: requireClientCert ? certs.ca : undefined,
    },
  });
  cleanup.push(() => s.server.close());
  return s;
}

function connect(
  address: string,
  tls: ConstructorParameters<typeof HubbleClient>[0]['tls'],
  initialHistory?: number,
) {
  const flows: FlowRecord[] = [];
  const c = new HubbleClient({
    address,
    tls,
    ...(initialHistory ? { initialHistory } : {}),
    backoff: { initialMs: 40, maxMs: 100 },
    statusIntervalMs: 0,
    onFlow: (r) => flows.push(r),
  });
  cleanup.push(() => c.stop());
  c.start();
  return { c, flows };
}

describe('Hubble over TLS', () => {
  it('connects with the CA and the server name override', async () => {
    const s = await tlsServer(false);
    const { flows } = connect(s.address, { ca: certs.ca, serverName: NAME });
    await waitFor(() => flows.length === 1, 'a flow over TLS');
  });

  it('reads a long stream over TLS whole and in order, resting the socket between reads', async () => {
    // The HTTP/2 transport stops reading its socket for a millisecond between turns; under TLS
    // that socket's handle is the TLS layer's, which must pass the stop and start through.
    const s = await tlsServer(false, 5000);
    const { flows } = connect(s.address, { ca: certs.ca, serverName: NAME }, 5000);
    await waitFor(() => flows.length === 5000, '5,000 flows over TLS');
    expect(flows.map((f) => f.flow.uuid)).toEqual(
      Array.from({ length: 5000 }, (_, i) => flowAt(i).flow.uuid),
    );
  });

  it('refuses a server whose certificate does not name the expected server', async () => {
    const s = await tlsServer(false);
    const { c } = connect(s.address, { ca: certs.ca, serverName: 'other.example' });
    await waitFor(() => c.state.state === 'retrying', 'retrying state');
    expect(c.state.state === 'retrying' && c.state.lastError).toMatch(/UNAVAILABLE/);
  });

  it('connects with a client certificate when the server requires one (mTLS)', async () => {
    const s = await tlsServer(true);
    const { flows } = connect(s.address, {
      ca: certs.ca,
      cert: certs.clientCert,
      key: certs.clientKey,
      serverName: NAME,
    });
    await waitFor(() => flows.length === 1, 'a flow over mTLS');
  });

  it('is refused without a client certificate when the server requires one', async () => {
    const s = await tlsServer(true);
    const { c, flows } = connect(s.address, { ca: certs.ca, serverName: NAME });
    await waitFor(() => c.state.state === 'retrying', 'retrying state');
    expect(flows).toHaveLength(0);
  });
});
