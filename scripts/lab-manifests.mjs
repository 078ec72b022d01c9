// `npm run lab:manifests`: writes deploy/lab/ (the cluster and each step's policies) from the
// default demo lab.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const code = `
import { writeFileSync, mkdirSync } from 'node:fs';
import { labManifests, labStepManifests } from './backend/src/demo/lab-manifests.ts';
import { SCENARIOS } from './backend/src/demo/scenarios/index.ts';
mkdirSync('deploy/lab', { recursive: true });
writeFileSync('deploy/lab/three-tier.yaml', labManifests(SCENARIOS['three-tier']));
mkdirSync('deploy/lab/steps', { recursive: true });
for (const [name, text] of Object.entries(labStepManifests(SCENARIOS['three-tier']))) {
  writeFileSync('deploy/lab/steps/' + name, text);
}
console.log('wrote deploy/lab/');
`;
const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
