// Kept apart from the channel modules so ingest can validate CHANNELS without bundling the
// formatters and the HTTP client it never uses. A test checks it matches channels/index.ts.
export const CHANNEL_IDS = ['slack', 'teams'] as const;
export type ChannelId = (typeof CHANNEL_IDS)[number];
