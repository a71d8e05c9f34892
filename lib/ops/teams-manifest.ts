import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Io } from './io';
import { png, zip } from './zip';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The Teams app package for the bot: a manifest naming the bot (its Microsoft App ID) for teams
 * and group chats, and its two icons (192 px colour, 32 px white outline), zipped as Teams' "Upload
 * a custom app" takes it (schema 1.17, learn.microsoft.com "App manifest").
 */
export function teamsManifest(appId: string, o: { name?: string; website?: string } = {}) {
  const name = (o.name ?? 'flagger-notify').slice(0, 30);
  const website = o.website ?? 'https://flagger.app';
  const manifest = {
    $schema: 'https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json',
    manifestVersion: '1.17',
    version: '1.0.0',
    id: appId,
    developer: { name, websiteUrl: website, privacyUrl: website, termsOfUseUrl: website },
    name: { short: name, full: `${name}: Flagger canary rollouts` },
    description: {
      short: 'Flagger canary rollouts, live, with approval gates',
      full: 'One live card per canary rollout, updated as it moves, with Approve, Reject and Roll back for its gates.',
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: '#2EB886',
    bots: [{ botId: appId, scopes: ['team', 'groupChat'], isNotificationOnly: false, supportsFiles: false }],
    permissions: ['identity', 'messageTeamMembers'],
    validDomains: [],
  };
  return zip({
    'manifest.json': Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`),
    'color.png': png(192, [46, 184, 134, 255], [255, 255, 255, 255]),
    'outline.png': png(32, [0, 0, 0, 0], [255, 255, 255, 255]),
  });
}

/** `flagger-notify teams-manifest --app-id <id> [--out file.zip] [--name N] [--website URL]` */
export function teamsManifestCommand(
  o: { appId?: string; out?: string; name?: string; website?: string },
  io: Io,
): number {
  const appId = o.appId ?? io.env.TEAMS_APP_ID;
  if (!appId || !GUID.test(appId)) {
    io.err(
      'usage: flagger-notify teams-manifest --app-id <the bot’s Microsoft App ID> [--out flagger-notify-teams.zip] [--name N] [--website https://…]',
    );
    return 2;
  }
  if (o.website && !/^https:\/\/\S+$/.test(o.website)) {
    io.err('--website: must be an https URL');
    return 2;
  }
  const out = o.out ?? 'flagger-notify-teams.zip';
  writeFileSync(resolve(io.cwd ?? process.cwd(), out), teamsManifest(appId, o));
  io.out(
    `${out}: the Teams app for bot ${appId} (manifest.json, color.png, outline.png). Upload it in Teams: Apps → Manage your apps → Upload an app, then add it to the team.`,
  );
  return 0;
}
