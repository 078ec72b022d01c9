import type { Lab } from '../lab.ts';
import { starwars } from './starwars.ts';
import { threeTier } from './three-tier.ts';

export const SCENARIOS: Record<string, Lab> = {
  'three-tier': threeTier,
  starwars,
};

export const DEFAULT_SCENARIO = 'three-tier';
