// A throwaway CA, server and client certificate made with openssl, for TLS and mTLS tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** `serverName` goes in the server certificate's subjectAltName, as Relay's does. */
export function makeCerts(serverName: string): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-certs-'));
  const key = (name: string) =>
    openssl(dir, [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      name,
    ]);
  key('ca.key');
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=flowlens test CA',
    '-days',
    '2',
    '-out',
    'ca.crt',
  ]);
  for (const [who, ext] of [
    ['server', `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth`],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    key(`${who}.key`);
    openssl(dir, [
      'req',
      '-new',
      '-key',
      `${who}.key`,
      '-subj',
      `/CN=${who}`,
      '-out',
      `${who}.csr`,
    ]);
    writeFileSync(join(dir, `${who}.ext`), ext);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${who}.ext`,
      '-out',
      `${who}.crt`,
    ]);
  }
  const read = (f: string) => readFileSync(join(dir, f));
  return {
    dir,
    ca: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
  };
}
