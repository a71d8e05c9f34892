import type { Channel } from './provider';
import { slack } from './slack';
import { teams } from './teams';

// The registry CHANNEL_IDS (ids.ts) must match; a test checks it.
export const CHANNELS: readonly Channel[] = [slack, teams];
