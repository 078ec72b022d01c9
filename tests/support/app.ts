// A flowlens App on 127.0.0.1, port 0, for integration tests: the demo's three-tier lab unless
// the test says otherwise, a short stream tick so deltas come quickly, and no log output.
// Every App started here is stopped by stopApps(), which each test file calls in afterEach.
import { App, type AppOptions } from '../../backend/src/app.ts';
import { threeTier } from '../../backend/src/demo/scenarios/three-tier.ts';

export interface StartedApp {
  app: App;
  port: number;
  /** http://127.0.0.1:PORT */
  http: string;
  /** ws://127.0.0.1:PORT/ws */
  ws: string;
}

const started: App[] = [];

export async function startApp(over: Partial<AppOptions> = {}): Promise<StartedApp> {
  const app = new App({
    mode: 'demo',
    lab: threeTier,
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    ...over,
    stream: { tickMs: 50, ...over.stream },
  });
  started.push(app);
  await app.start();
  const port = app.address!.port;
  return { app, port, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/ws` };
}

export async function stopApps(): Promise<void> {
  for (const app of started.splice(0)) await app.stop();
}
