import type { Lab } from '../lab.ts';
import { dnsDefaultDeny } from './dns-default-deny.ts';
import { services } from './services.ts';
import { starwars } from './starwars.ts';
import { threeTier } from './three-tier.ts';

export const SCENARIOS: Record<string, Lab> = {
  'three-tier': threeTier,
  starwars,
  'dns-default-deny': dnsDefaultDeny,
  services,
};

export const DEFAULT_SCENARIO = 'three-tier';
