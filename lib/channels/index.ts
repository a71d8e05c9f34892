import type { Channel } from './channel';
import { slack } from './slack';
import { teams } from './teams';

export const CHANNELS: readonly Channel[] = [slack, teams];

export function channelById(id: string): Channel | undefined {
  return CHANNELS.find((c) => c.id === id);
}
