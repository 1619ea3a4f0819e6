import { routes, type UiPreferences } from '@threadline/contract';
import { route } from '../../../http/route.ts';
import type { App } from '../../../http/server.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import type { PreferencesRepository, PreferencesRow } from './preferences.repository.ts';

const present = (row: PreferencesRow | undefined): UiPreferences => ({
  browser_notifications: row?.browserNotifications ?? false,
  notification_sound: row?.notificationSound ?? false,
});

/** `GET/PUT /api/v1/ui/preferences`: each person reads and changes only their own. */
export async function preferencesRoutes(app: App, opts: { preferences: PreferencesRepository }) {
  route(app, routes.auth.preferences, async (req) => present(await opts.preferences.get(requireSession(req).userId)));
  route(app, routes.auth.updatePreferences, async (req) =>
    present(
      await opts.preferences.upsert(requireSession(req).userId, {
        ...(req.body.browser_notifications !== undefined ? { browserNotifications: req.body.browser_notifications } : {}),
        ...(req.body.notification_sound !== undefined ? { notificationSound: req.body.notification_sound } : {}),
      }),
    ),
  );
}
