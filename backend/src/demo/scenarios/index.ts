import type { Lab } from '../lab.ts';
import { threeTier } from './three-tier.ts';

export const SCENARIOS: Record<string, Lab> = {
  'three-tier': threeTier,
};

export const DEFAULT_SCENARIO = 'three-tier';
