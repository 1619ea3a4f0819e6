import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../../test/app.ts';
import { createTeamApp } from '../../../../test/team-world.ts';

describe('preferences of the web app', () => {
  let team: Awaited<ReturnType<typeof createTeamApp>>;
  beforeAll(async () => {
    team = await createTeamApp();
  });
  afterAll(async () => team.t.close());

  const get = (token: string) => team.t.app.inject({ method: 'GET', url: '/api/v1/ui/preferences', headers: bearer(token) });
  const put = (token: string, payload: Record<string, unknown>) => team.t.app.inject({ method: 'PUT', url: '/api/v1/ui/preferences', headers: bearer(token), payload });

  it('starts with notifications off, and keeps each person\'s own', async () => {
    expect((await get(team.tokens.owner)).json()).toEqual({ browser_notifications: false, notification_sound: false });
    expect((await put(team.tokens.owner, { browser_notifications: true })).json()).toEqual({ browser_notifications: true, notification_sound: false });
    expect((await put(team.tokens.owner, { notification_sound: true })).json()).toEqual({ browser_notifications: true, notification_sound: true });
    expect((await get(team.tokens.owner)).json()).toEqual({ browser_notifications: true, notification_sound: true });
    expect((await get(team.tokens.viewer)).json()).toEqual({ browser_notifications: false, notification_sound: false });
  });

  it('refuses unknown settings and callers without a session', async () => {
    const bad = await put(team.tokens.owner, { browser_notifications: 'yes' });
    expect(bad.statusCode).toBe(400);
    expect((await put(team.tokens.owner, { theme: 'dark' })).json().error.code).toBe('request.invalid');
    expect((await team.t.app.inject({ method: 'GET', url: '/api/v1/ui/preferences' })).statusCode).toBe(401);
  });
});
