import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allRoutes, fillPath, routeUrl } from './index.ts';

describe('the route table', () => {
  it('names each method and path once', () => {
    const keys = allRoutes.map((r) => `${r.method} ${r.path}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('declares a schema for exactly the parameters each path has', () => {
    for (const route of allRoutes) {
      const inPath = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]).sort();
      const schema = route.params ? z.toJSONSchema(route.params, { io: 'input' }) : { properties: {} };
      const declared = Object.keys('properties' in schema && schema.properties ? schema.properties : {}).sort();
      expect(declared, `${route.method} ${route.path}`).toEqual(inPath);
    }
  });

  it('says who may call each route: an API-key route names its scope, a session or public route none', () => {
    for (const route of allRoutes) {
      expect(route.auth === 'api_key', `${route.method} ${route.path}`).toBe(route.scope !== undefined);
      if (route.auth === 'public') expect(route.role.startsWith('public')).toBe(true);
    }
  });

  it('fills paths and queries URL-encoded', () => {
    expect(fillPath('/api/v1/accounts/:id/labels/:labelId', { id: 'a b', labelId: 'x/y' })).toBe('/api/v1/accounts/a%20b/labels/x%2Fy');
    expect(() => fillPath('/api/v1/accounts/:id', {})).toThrow(':id');
    expect(routeUrl({ path: '/oauth/instagram/authorize' }, { query: { redirect: '/chat', invitation: undefined, empty: '' } })).toBe('/oauth/instagram/authorize?redirect=%2Fchat');
  });
});
