import { describe, expect, it } from 'vitest';
import { account } from '../test-helpers.ts';
import { authorizeUrl, connectionText, oauthErrorText, oauthSuccessText, reconnectUrl } from './oauth.ts';

describe('connecting accounts', () => {
  it('starts Instagram Login or Facebook Login with the page to come back to', () => {
    expect(authorizeUrl('instagram', '/chat')).toBe('/oauth/instagram/authorize?redirect=%2Fchat');
    expect(authorizeUrl('facebook', '/settings/accounts/a b')).toBe('/oauth/facebook/authorize?redirect=%2Fsettings%2Faccounts%2Fa%20b');
  });

  it('reconnects an account the way it was linked', () => {
    expect(reconnectUrl(account({ id: 'a', login_path: 'facebook_login' }), '/chat')).toBe('/oauth/facebook/authorize?redirect=%2Fchat');
    expect(reconnectUrl(account({ id: 'b', login_path: 'instagram_login' }), '/chat')).toBe('/oauth/instagram/authorize?redirect=%2Fchat');
    // The legacy account whose token is still being looked at: Instagram Login is where most start.
    expect(reconnectUrl(account({ id: 'c', login_path: null }), '/chat')).toBe('/oauth/instagram/authorize?redirect=%2Fchat');
  });

  it('says how Threadline reaches an account', () => {
    expect(connectionText(account({ id: 'a', login_path: 'facebook_login', facebook_page: { id: '1', name: 'Corner Shop' } }))).toBe('Facebook Page “Corner Shop”');
    expect(connectionText(account({ id: 'b' }))).toBe('Instagram Login');
    expect(connectionText(account({ id: 'c', login_path: null }))).toBe('being checked');
  });

  it('puts the outcome of a login in words', () => {
    expect(oauthSuccessText('3')).toBe('3 Instagram accounts connected.');
    expect(oauthSuccessText(undefined)).toBe('Instagram account connected.');
    expect(oauthErrorText('page_subscribe_failed')).toContain('webhook subscription failed');
    expect(oauthErrorText('facebook_access_denied')).toBe('You cancelled the Facebook Login, so no account was connected.');
    expect(oauthErrorText('made_up')).toBe('Connecting Instagram did not work. Try again.');
  });
});
